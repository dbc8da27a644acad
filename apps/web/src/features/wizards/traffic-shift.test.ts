import { describe, expect, it } from "vitest";
import { setWeight, shiftedRoute, shiftProblems, weightsOf } from "./traffic-shift.ts";

const vw = (...pairs: [string, number][]) => pairs.map(([version, weight]) => ({ version, weight }));
const sum = (w: { weight: number }[]) => w.reduce((n, x) => n + x.weight, 0);

describe("traffic shift wizard", () => {
  it.each([
    ["two versions: the other takes the rest", vw(["v1", 90], ["v2", 10]), 1, 20, [80, 20]],
    ["three versions share the rest in proportion", vw(["v1", 50], ["v2", 25], ["v3", 25]), 0, 20, [20, 40, 40]],
    ["all others at 0 share evenly", vw(["v1", 100], ["v2", 0], ["v3", 0]), 0, 1, [1, 50, 49]],
    ["clamped to 100", vw(["v1", 50], ["v2", 50]), 0, 140, [100, 0]],
    ["a single version is 100", vw(["v1", 3]), 0, 30, [100]],
  ])("%s", (_name, versions, index, value, want) => {
    const out = setWeight(versions, index, value);
    expect(out.map((w) => w.weight)).toEqual(want);
    expect(sum(out)).toBe(100);
  });

  it("flags weights that do not sum to 100 and duplicate backends, at the resource's paths", () => {
    expect(shiftProblems(vw(["v1", 80], ["v1", 30]))).toEqual([
      { path: "spec.rules[0].backendRefs", message: "weights must sum to 100 (now 110)" },
      { path: "spec.rules[0].backendRefs[1].version", message: "duplicate backend: version v1 is already backendRefs[0]" },
    ]);
    expect(shiftProblems(vw(["v1", 80], ["v2", 20]))).toEqual([]);
  });

  it("rewrites only the catch-all rule of an existing route and reads its weights back", () => {
    const existing = {
      apiVersion: "weft.io/v1alpha1",
      kind: "HTTPRoute" as const,
      metadata: { name: "checkout", namespace: "shop" },
      spec: { parentRefs: [{ kind: "Service", name: "checkout" }], rules: [{ matches: [{ headers: [{ name: "x-beta", value: "1" }] }], backendRefs: [{ kind: "Service", name: "checkout", version: "v2" }] }, { backendRefs: [{ kind: "Service", name: "checkout", version: "v1", weight: 100 }] }] },
    };
    const out = shiftedRoute(existing, { namespace: "shop", name: "checkout" }, vw(["v1", 70], ["v2", 30]));
    expect(out.spec.rules?.[0]).toEqual(existing.spec.rules[0]);
    expect(weightsOf(out, "checkout")).toEqual(vw(["v1", 70], ["v2", 30]));
    expect(shiftedRoute(null, { namespace: "shop", name: "cart" }, vw(["v1", 100])).metadata).toEqual({ name: "cart", namespace: "shop" });
  });
});
