import { describe, expect, it } from "vitest";
import { formatPath } from "@weft/mesh-model";
import { FieldErrorIndex, fieldId, parsePath } from "./field-paths.ts";

describe("parsePath / formatPath", () => {
  it.each<[string, (string | number)[]]>([
    ["", []],
    ["spec", ["spec"]],
    ["spec.rules[0].backendRefs[1].weight", ["spec", "rules", 0, "backendRefs", 1, "weight"]],
    ["spec.rules[12]", ["spec", "rules", 12]],
    ['metadata.labels["app.kubernetes.io/name"]', ["metadata", "labels", "app.kubernetes.io/name"]],
    ["[0].name", [0, "name"]],
  ])("%s", (text, segments) => {
    expect(parsePath(text)).toEqual(segments);
    expect(formatPath(segments)).toBe(text);
  });

  it("formats keys with dashes as plain names, like the manager", () => {
    expect(formatPath(["metadata", "labels", "x-y"])).toBe("metadata.labels.x-y");
  });

  it.each([
    [["spec", "rules", 0, "backendRefs", 1, "weight"], "field-spec_rules_0_backendRefs_1_weight"],
    [[], "field-root"],
  ])("fieldId(%j) → %s", (path, id) => expect(fieldId(path)).toBe(id));
});

describe("FieldErrorIndex", () => {
  const index = new FieldErrorIndex([
    { path: "spec.rules[0].backendRefs[1].weight", message: "must be between 0 and 1000000" },
    { path: "spec.rules[0].backendRefs[1].weight", message: "second" },
    { path: "spec.rules[1].name", message: "duplicate rule name" },
    { path: "", message: "whole document" },
    { path: "spec.parentRefs[3]", message: "gone" },
  ]);

  it.each<[(string | number)[], number]>([
    [["spec", "rules", 0, "backendRefs", 1, "weight"], 2],
    [["spec", "rules", 1, "name"], 1],
    [["spec", "rules", 0], 0],
  ])("at(%j) has %s", (path, n) => expect(index.at(path)).toHaveLength(n));

  it.each<[(string | number)[], number]>([
    [["spec", "rules"], 3],
    [["spec", "rules", 0], 2],
    [["spec", "rule"], 0],
    [[], 5],
  ])("countUnder(%j) is %s", (path, n) => expect(index.countUnder(path)).toBe(n));

  it("lists errors no field shows", () => {
    const shown = new Set(["spec.rules[0].backendRefs[1].weight", "spec.rules[1].name"]);
    expect(index.unplaced(shown).map((e) => e.message)).toEqual(["whole document", "gone"]);
  });
});
