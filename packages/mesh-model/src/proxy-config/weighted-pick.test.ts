import { describe, expect, it } from "vitest";
import { pickWeighted } from "./weighted-pick.ts";

const items = [
  { id: "a", weight: 1 },
  { id: "zero", weight: 0 },
  { id: "b", weight: 3 },
];

describe("pickWeighted", () => {
  it.each([
    [0, "a"],
    [0.2499, "a"],
    [0.25, "b"],
    [0.9999999, "b"],
  ])("random %f picks %s", (r, expected) => {
    expect(pickWeighted(items, () => r)?.id).toBe(expected);
  });

  it.each([
    ["empty", []],
    ["all zero", [{ weight: 0 }, { weight: 0 }]],
  ])("returns undefined when %s", (_name, list) => {
    expect(pickWeighted(list, () => 0.5)).toBeUndefined();
  });

  it("never picks a zero weight, even at the edges", () => {
    for (const r of [0, 0.25, 0.5, 0.999999999999]) expect(pickWeighted(items, () => r)?.id).not.toBe("zero");
  });

  it("follows the weights with a deterministic source", () => {
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 1000; i++) {
      const id = pickWeighted(items, () => i / 1000)?.id ?? "";
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 250, b: 750 });
  });
});
