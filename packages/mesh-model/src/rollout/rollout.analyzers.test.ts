import { describe, expect, it } from "vitest";
import { analyze } from "../analysis/analyze.ts";
import type { Resource } from "../resource/resource.schema.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";

type SpecInput = Parameters<typeof make<"Rollout">>[2];
/** baseSnapshot: shop/checkout runs v1 in east and v2 in west. */
const rollout = (name: string, extra: Partial<SpecInput> = {}) =>
  make("Rollout", name, { service: { name: "checkout" }, stable: { version: "v1" }, canary: { version: "v2" }, strategy: { canary: { stepWeight: 20 } }, ...extra });
const route = (name: string, backend = "checkout", namespace = "shop", parentNamespace?: string) =>
  make("HTTPRoute", name, { parentRefs: [{ name: "checkout", ...(parentNamespace ? { namespace: parentNamespace } : {}) }], rules: [{ backendRefs: [{ name: backend, ...(parentNamespace ? { namespace: parentNamespace } : {}) }] }] }, namespace);
const slo = make("ServiceLevelObjective", "checkout", { service: { name: "checkout" }, indicator: { type: "availability" }, objective: 99.9 });

describe("rollout analyzers", () => {
  it.each<[string, Resource[], string[]]>([
    ["a rollout of a known service and versions", [rollout("r")], []],
    ["an unknown service", [rollout("r", { service: { name: "payments" } })], ["WEFT5001 Rollout/shop/r spec.service.name"]],
    ["an unknown canary version", [rollout("r", { canary: { version: "v9" } })], ["WEFT5002 Rollout/shop/r spec.canary.version"]],
    ["an unknown stable version", [rollout("r", { stable: { version: "v0" } })], ["WEFT5002 Rollout/shop/r spec.stable.version"]],
    ["a cluster where the service does not run", [rollout("r", { clusters: ["east", "north"] })], ["WEFT5003 Rollout/shop/r spec.clusters[1]"]],
    ["a wave cluster where the service does not run", [rollout("r", { waves: { groups: [{ clusters: ["east"] }, { clusters: ["south"] }] } })], ["WEFT5003 Rollout/shop/r spec.waves.groups[1].clusters[0]"]],
    ["two rollouts of one service", [rollout("a"), rollout("b")], ["WEFT5004 Rollout/shop/b spec.service.name"]],
    ["an error-budget gate with no SLO to read", [rollout("r", { analysis: { errorBudgetGate: true } })], ["WEFT5005 Rollout/shop/r spec.analysis.errorBudgetGate"]],
    ["an error-budget gate with an SLO", [rollout("r", { analysis: { errorBudgetGate: true } }), slo], []],
    ["two routes and none named", [rollout("r"), route("checkout"), route("checkout-2")], ["WEFT5006 Rollout/shop/r spec.route"]],
    ["two routes and one named", [rollout("r", { route: { name: "checkout-2" } }), route("checkout"), route("checkout-2")], []],
    ["a route sending elsewhere", [rollout("r"), route("checkout", "cart")], ["WEFT5007 Rollout/shop/r spec.route"]],
    ["a consumer route in another namespace", [rollout("r"), route("checkout"), route("checkout-for-jobs", "checkout", "jobs", "shop")], ["WEFT5008 Rollout/shop/r spec.service.name"]],
  ])("%s", (_name, resources, expected) => {
    const lines = findingLines(analyze(baseSnapshot({ resources }))).filter((l) => l.startsWith("WEFT5"));
    expect(lines).toEqual(expected);
  });

  it("names the other rollout of an overlap", () => {
    const [overlap] = analyze(baseSnapshot({ resources: [rollout("a"), rollout("b")] })).filter((f) => f.code === "WEFT5004");
    expect(overlap?.related).toEqual([{ kind: "Rollout", namespace: "shop", name: "a" }]);
    expect(overlap?.message).toContain("already has a Rollout (a)");
  });
});

describe("route shadowing with cluster-scoped rules", () => {
  it.each<[string, Parameters<typeof make<"HTTPRoute">>[2], string[]]>([
    ["a scoped copy ahead of an unscoped fallback hides nothing", { parentRefs: [{ name: "checkout" }], rules: [{ clusters: ["east"], backendRefs: [{ name: "checkout", version: "v2" }] }, { backendRefs: [{ name: "checkout", version: "v1" }] }] }, []],
    ["an unscoped rule ahead of a scoped one hides it", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "checkout", version: "v1" }] }, { clusters: ["east"], backendRefs: [{ name: "checkout", version: "v2" }] }] }, ["WEFT1202 HTTPRoute/shop/r spec.rules[1]"]],
    ["rules of disjoint clusters do not hide each other", { parentRefs: [{ name: "checkout" }], rules: [{ clusters: ["east"], backendRefs: [{ name: "checkout", version: "v2" }] }, { clusters: ["west"], backendRefs: [{ name: "checkout", version: "v1" }] }] }, []],
  ])("%s", (_name, spec, expected) => {
    const lines = findingLines(analyze(baseSnapshot({ resources: [make("HTTPRoute", "r", spec)] }))).filter((l) => l.startsWith("WEFT12"));
    expect(lines).toEqual(expected);
  });
});
