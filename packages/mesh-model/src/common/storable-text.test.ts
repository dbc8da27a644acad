import { describe, expect, it } from "vitest";
import { findUnstorableText } from "./storable-text.ts";

describe("findUnstorableText", () => {
  it.each<[string, unknown, string[]]>([
    ["plain text", { name: "checkout", tags: ["a", "ü", "😀"] }, []],
    ["a NUL in a field", { username: "ad\u0000min" }, ["username nul_character"]],
    ["a NUL deep in arrays", { spans: [{ name: "ok" }, { attributes: { k: "v\u0000" } }] }, ["spans[1].attributes.k nul_character"]],
    ["a NUL in a key", { labels: { "a\u0000b": "x" } }, ['labels["a\\u0000b"] nul_character']],
    ["a lone high surrogate", { message: "x\uD800y" }, ["message unpaired_surrogate"]],
    ["a lone low surrogate", ["\uDC00"], ["[0] unpaired_surrogate"]],
    ["a paired surrogate is fine", "\uD83D\uDE00", []],
    ["the whole input", "\u0000", [" nul_character"]],
    ["inside a Map and a Set", { m: new Map([["k", "\u0000"]]), s: new Set(["\u0000"]) }, ["m.k nul_character", "s[0] nul_character"]],
    ["numbers, dates, bigints and nulls", { n: 1, d: new Date(0), b: 1n, z: null, u: undefined }, []],
  ])("%s", (_name, input, expected) => {
    expect(findUnstorableText(input).map((f) => `${f.path} ${f.code}`)).toEqual(expected);
  });

  it("refuses nesting beyond the limit without walking it (no stack overflow)", () => {
    let deep: unknown = "\u0000";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const found = findUnstorableText({ a: deep }, { maxDepth: 64, maxFindings: 20 });
    expect(found).toHaveLength(1);
    expect(found[0]?.code).toBe("too_deep");
  });

  it("stops after maxFindings", () => {
    const many = Array.from({ length: 1000 }, () => "\u0000");
    expect(findUnstorableText(many, { maxDepth: 64, maxFindings: 5 })).toHaveLength(5);
  });
});
