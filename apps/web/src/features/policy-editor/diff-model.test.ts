import { describe, expect, it } from "vitest";
import { diffStats, formatValue, parseUnifiedDiff, structuredRows, type DiffEntryLike } from "./diff-model.ts";

describe("formatValue", () => {
  it.each<[unknown, string]>([
    [undefined, ""],
    [null, "null"],
    ["", '""'],
    ["v2", "v2"],
    [90, "90"],
    [false, "false"],
    [{ name: "a", weight: 1 }, '{"name":"a","weight":1}'],
    [{ long: "x".repeat(200) }, `{"long":"${"x".repeat(110)}…`],
  ])("%j → %s", (value, expected) => expect(formatValue(value)).toBe(expected));
});

describe("structuredRows", () => {
  it.each<[string, DiffEntryLike, { op: string; path: string; before: string; after: string }]>([
    ["replace", { op: "replace", path: "spec.rules[0].backendRefs[1].weight", from: 10, to: 50 }, { op: "replace", path: "spec.rules[0].backendRefs[1].weight", before: "10", after: "50" }],
    ["add", { op: "add", path: "spec.rules[0].timeouts", value: { request: "5s" } }, { op: "add", path: "spec.rules[0].timeouts", before: "", after: '{"request":"5s"}' }],
    ["remove", { op: "remove", path: "metadata.labels", value: { a: "b" } }, { op: "remove", path: "metadata.labels", before: '{"a":"b"}', after: "" }],
    ["creation", { op: "add", path: "", value: { kind: "HTTPRoute" } }, { op: "add", path: "(whole resource)", before: "", after: '{"kind":"HTTPRoute"}' }],
  ])("%s", (_name, entry, expected) => expect(structuredRows([entry])).toEqual([expected]));
});

describe("parseUnifiedDiff", () => {
  const patch = [
    "===================================================================",
    "--- HTTPRoute/shop/checkout\trev 1",
    "+++ HTTPRoute/shop/checkout\tproposed",
    "@@ -10,4 +10,4 @@",
    "       - name: checkout",
    "-        weight: 90",
    "+        weight: 50",
    "       - name: checkout",
    "\\ No newline at end of file",
    "",
  ].join("\n");
  const lines = parseUnifiedDiff(patch);

  it.each<[number, { kind: string; text?: string; oldLine: number | null; newLine: number | null }]>([
    [0, { kind: "header", oldLine: null, newLine: null }],
    [3, { kind: "hunk", oldLine: null, newLine: null }],
    [4, { kind: "context", text: "      - name: checkout", oldLine: 10, newLine: 10 }],
    [5, { kind: "remove", text: "        weight: 90", oldLine: 11, newLine: null }],
    [6, { kind: "add", text: "        weight: 50", oldLine: null, newLine: 11 }],
    [7, { kind: "context", oldLine: 12, newLine: 12 }],
  ])("line %i", (index, expected) => expect(lines[index]).toMatchObject(expected));

  it("drops the no-newline marker and trailing blank", () => expect(lines).toHaveLength(8));
  it("counts changes", () => expect(diffStats(lines)).toEqual({ added: 1, removed: 1 }));
});
