import { describe, expect, it } from "vitest";
import { getAt, moveItem, parseNumberInput, removeItem, setAt } from "./form-values.ts";

const doc = { spec: { rules: [{ backendRefs: [{ name: "a", weight: 90 }, { name: "b", weight: 10 }] }] } };

describe("getAt", () => {
  it.each<[(string | number)[], unknown]>([
    [[], doc],
    [["spec", "rules", 0, "backendRefs", 1, "weight"], 10],
    [["spec", "rules", 3, "name"], undefined],
    [["spec", "rules", 0, "backendRefs", 0, "weight", "x"], undefined],
  ])("%j", (path, expected) => expect(getAt(doc, path)).toEqual(expected));
});

describe("setAt", () => {
  it("changes one weight without touching the original", () => {
    const next = setAt(doc, ["spec", "rules", 0, "backendRefs", 1, "weight"], 50);
    expect(getAt(next, ["spec", "rules", 0, "backendRefs", 1, "weight"])).toBe(50);
    expect(doc.spec.rules[0]?.backendRefs[1]?.weight).toBe(10);
  });
  it.each<[string, unknown, (string | number)[], unknown, unknown]>([
    ["creates objects", {}, ["a", "b"], 1, { a: { b: 1 } }],
    ["creates arrays for numeric steps", {}, ["a", 0], "x", { a: ["x"] }],
    ["undefined removes a key", { a: 1, b: 2 }, ["a"], undefined, { b: 2 }],
    ["root replaced", { a: 1 }, [], 5, 5],
  ])("%s", (_n, start, path, value, expected) => expect(setAt(start, path, value)).toEqual(expected));
});

describe("array items", () => {
  it.each<[string, unknown, unknown]>([
    ["removes", removeItem(doc, ["spec", "rules", 0, "backendRefs", 0]), [{ name: "b", weight: 10 }]],
    ["moves down", moveItem(doc, ["spec", "rules", 0, "backendRefs", 0], 1), [{ name: "b", weight: 10 }, { name: "a", weight: 90 }]],
    ["does not move past the end", moveItem(doc, ["spec", "rules", 0, "backendRefs", 1], 1), doc.spec.rules[0]?.backendRefs],
  ])("%s", (_n, result, expected) => expect(getAt(result, ["spec", "rules", 0, "backendRefs"])).toEqual(expected));
});

describe("parseNumberInput", () => {
  it.each<[string, unknown]>([
    ["", undefined],
    ["  ", undefined],
    ["42", 42],
    ["-1.5", -1.5],
    ["12abc", "12abc"],
  ])("%j → %j", (text, expected) => expect(parseNumberInput(text)).toEqual(expected));
});
