import { describe, expect, it } from "vitest";
import type { HTTPRoute, RouteRule } from "../http-route/http-route.schema.ts";
import { matchRoute } from "../proxy-config/route-match.ts";
import { make } from "../testing/fixtures.ts";
import { cookieHeaderMatch, defaultRoute, ownedRoute, rolloutRoute, RolloutRouteError } from "./rollout-route.ts";
import { planOf, type Traffic } from "./rollout-steps.ts";

type SpecInput = Parameters<typeof make<"Rollout">>[2];
const rollout = (extra: Partial<SpecInput> = {}) =>
  make("Rollout", "catalog", { service: { name: "catalog" }, stable: { version: "v1" }, canary: { version: "v2" }, strategy: { canary: { stepWeight: 20 } }, ...extra });
const route = make("HTTPRoute", "catalog", {
  parentRefs: [{ name: "catalog" }],
  rules: [
    { name: "api", matches: [{ path: { type: "PathPrefix", value: "/api" } }], backendRefs: [{ name: "catalog" }], timeouts: { request: "5s" } },
    { name: "legacy", matches: [{ path: { type: "PathPrefix", value: "/legacy" } }], backendRefs: [{ name: "legacy-catalog" }] },
    { name: "rest", backendRefs: [{ name: "catalog", version: "v1", weight: 3 }, { name: "search", weight: 1 }] },
  ],
});

/** One line per rule: name, clusters, matches, backends (version:weight, + when the backend sets a cookie), mirror. */
function rules(r: HTTPRoute): string[] {
  return r.spec.rules.map((rule: RouteRule) => {
    const where = rule.clusters ? `[${rule.clusters.join(",")}] ` : "";
    const matches = (rule.matches ?? []).map((m) => [m.path?.value, ...(m.headers ?? []).map((h) => `${h.name}${h.type === "Exact" ? "=" : "~"}${h.value}`)].filter(Boolean).join(" ")).join(" | ");
    const backends = (rule.backendRefs ?? []).map((b) => `${b.version ?? b.name}:${b.weight}${b.filters?.length ? "+cookie" : ""}`).join(" ");
    const mirror = (rule.filters ?? []).flatMap((f) => (f.type === "RequestMirror" ? [` mirror ${f.requestMirror.backendRef.version}@${f.requestMirror.percent}`] : [])).join("");
    return `${rule.name ?? "-"} ${where}${matches ? `${matches} ` : ""}→ ${backends}${mirror}`;
  });
}

const transform = (r: ReturnType<typeof rollout>, traffic: Traffic[], final = false, base: HTTPRoute | null = route) =>
  rolloutRoute({ rollout: r, base, plan: planOf(r.spec), traffic, final, affinityToken: "run-1" });

describe("rolloutRoute", () => {
  it.each<[string, ReturnType<typeof rollout>, Traffic[], boolean, string[]]>([
    [
      "stable: the service's share pinned to the stable version, other backends untouched",
      rollout(),
      [{ mode: "stable" }],
      false,
      ["api /api → v1:100", "legacy /legacy → legacy-catalog:1", "rest → v1:7500 search:2500"],
    ],
    [
      "weighted 20: split 80/20, the other backend keeps its share",
      rollout(),
      [{ mode: "weighted", weight: 20 }],
      false,
      ["api /api → v1:80 v2:20", "legacy /legacy → legacy-catalog:1", "rest → v1:6000 v2:1500 search:2500"],
    ],
    [
      "weighted with session affinity: the canary's cookie first, the canary sets it",
      rollout({ sessionAffinity: { cookieName: "weft-canary" } }),
      [{ mode: "weighted", weight: 20 }],
      false,
      [
        "api-sticky /api cookie~(?:.*;\\s*)?weft-canary=run-1(?:;.*)? → v2:100",
        "api /api → v1:80 v2:20+cookie",
        "legacy /legacy → legacy-catalog:1",
        "rest-sticky cookie~(?:.*;\\s*)?weft-canary=run-1(?:;.*)? → v2:7500 search:2500",
        "rest → v1:6000 v2:1500+cookie search:2500",
      ],
    ],
    [
      "mirror: live traffic on stable, copies to the canary",
      rollout({ strategy: { canary: { stepWeight: 20 }, mirror: { percent: 50, iterations: 1 } } }),
      [{ mode: "mirror", percent: 50 }],
      false,
      ["api /api → v1:100 v2:0 mirror v2@50", "legacy /legacy → legacy-catalog:1", "rest → v1:7500 v2:0 search:2500 mirror v2@50"],
    ],
    [
      "A/B: requests with the header or the cookie go to the canary",
      rollout({ strategy: { abTesting: { matches: [{ headers: [{ name: "x-canary", value: "insider" }] }, { cookies: [{ name: "canary", value: "always" }] }], iterations: 3 } } }),
      [{ mode: "match" }],
      false,
      [
        "api-canary /api x-canary=insider | /api cookie~(?:.*;\\s*)?canary=always(?:;.*)? → v2:100",
        "api /api → v1:100 v2:0",
        "legacy /legacy → legacy-catalog:1",
        "rest-canary x-canary=insider | cookie~(?:.*;\\s*)?canary=always(?:;.*)? → v2:7500 search:2500",
        "rest → v1:7500 v2:0 search:2500",
      ],
    ],
    ["promoted while running: the stable version stays listed at 0", rollout(), [{ mode: "canary" }], false, ["api /api → v1:0 v2:100", "legacy /legacy → legacy-catalog:1", "rest → v1:0 v2:7500 search:2500"]],
    ["succeeded: the clean form on the canary", rollout(), [{ mode: "canary" }], true, ["api /api → v2:100", "legacy /legacy → legacy-catalog:1", "rest → v2:7500 search:2500"]],
    [
      "waves in different states: scoped copies, then an unscoped stable copy for every other cluster",
      rollout({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }, { clusters: ["north"] }] } }),
      [{ mode: "canary" }, { mode: "weighted", weight: 20 }, { mode: "stable" }],
      false,
      [
        "api-w1 [east] /api → v1:0 v2:100",
        "api-w2 [west] /api → v1:80 v2:20",
        "api /api → v1:100",
        "legacy /legacy → legacy-catalog:1",
        "rest-w1 [east] → v1:0 v2:7500 search:2500",
        "rest-w2 [west] → v1:6000 v2:1500 search:2500",
        "rest → v1:7500 search:2500",
      ],
    ],
    [
      "two waves in the same state share one scoped copy",
      rollout({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }] } }),
      [{ mode: "weighted", weight: 20 }, { mode: "weighted", weight: 20 }],
      false,
      ["api-w1 [east,west] /api → v1:80 v2:20", "api /api → v1:100", "legacy /legacy → legacy-catalog:1", "rest-w1 [east,west] → v1:6000 v2:1500 search:2500", "rest → v1:7500 search:2500"],
    ],
    [
      "rolled back with waves: the clean form on stable",
      rollout({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }] } }),
      [{ mode: "stable" }, { mode: "stable" }],
      true,
      ["api /api → v1:100", "legacy /legacy → legacy-catalog:1", "rest → v1:7500 search:2500"],
    ],
  ])("%s", (_name, r, traffic, final, expected) => {
    expect(rules(transform(r, traffic, final))).toEqual(expected);
  });

  it("creates the service's route when it had none", () => {
    const r = rollout();
    expect(defaultRoute(r).metadata).toEqual({ name: "catalog", namespace: "shop" });
    expect(rules(transform(r, [{ mode: "weighted", weight: 5 }], false, null))).toEqual(["- → v1:95 v2:5"]);
  });

  it("keeps everything else of the route: parents, timeouts, the order of rules", () => {
    const out = transform(rollout(), [{ mode: "weighted", weight: 20 }]);
    expect(out.metadata).toEqual(route.metadata);
    expect(out.spec.parentRefs).toEqual(route.spec.parentRefs);
    expect(out.spec.rules[0]?.timeouts).toEqual({ request: "5s" });
  });

  it("refuses a route that would exceed 64 rules", () => {
    const big = make("HTTPRoute", "catalog", { parentRefs: [{ name: "catalog" }], rules: Array.from({ length: 30 }, (_, i) => ({ matches: [{ path: { type: "Exact" as const, value: `/p${i}` } }], backendRefs: [{ name: "catalog" }] })) });
    const r = rollout({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }] } });
    expect(() => transform(r, [{ mode: "canary" }, { mode: "weighted", weight: 10 }], false, big)).toThrow(RolloutRouteError);
  });
});

describe("the cookie matches the data plane evaluates", () => {
  const entry = (value: string) => ({
    name: "r",
    namespace: "shop",
    creationTimestamp: "2026-01-01T00:00:00Z",
    rules: [{ matches: [{ path: { type: "PathPrefix" as const, value: "/" }, headers: [cookieHeaderMatch([{ name: "canary", value }])], queryParams: [] }], filters: [], backendRefs: [], timeouts: { grpcTimeoutOffsetMs: 5 } }],
  });
  it.each([
    ["canary=always", true],
    ["a=1; canary=always", true],
    ["a=1; canary=always; b=2", true],
    ["canary=always2", false],
    ["xcanary=always", false],
    ["a=1", false],
  ])("Cookie: %s → %s", (cookie, matches) => {
    const selected = matchRoute([entry("always")], { method: "GET", path: "/", headers: { cookie }, query: new URLSearchParams() });
    expect(selected !== undefined).toBe(matches);
  });

  it("several cookies must all be there, in any order", () => {
    const both = cookieHeaderMatch([
      { name: "a", value: "1" },
      { name: "b", value: "2" },
    ]);
    const re = new RegExp(`^(?:${both.value})$`);
    expect(["a=1; b=2", "b=2; a=1", "x=0; b=2; y=3; a=1"].map((c) => re.test(c))).toEqual([true, true, true]);
    expect(["a=1", "b=2; a=3"].map((c) => re.test(c))).toEqual([false, false]);
  });
});

describe("ownedRoute", () => {
  const other = make("HTTPRoute", "catalog-extra", { parentRefs: [{ name: "catalog" }], rules: [{ backendRefs: [{ name: "catalog" }] }] });
  it.each<[string, ReturnType<typeof rollout>, HTTPRoute[], { name: string; base: string | null; ambiguous: string[] }]>([
    ["the only route attached to the service", rollout(), [route], { name: "catalog", base: "catalog", ambiguous: [] }],
    ["none yet: the service's name, created by the rollout", rollout(), [], { name: "catalog", base: null, ambiguous: [] }],
    ["several and none named: ambiguous", rollout(), [route, other], { name: "catalog", base: "catalog", ambiguous: ["catalog", "catalog-extra"] }],
    ["the one the rollout names", rollout({ route: { name: "catalog-extra" } }), [route, other], { name: "catalog-extra", base: "catalog-extra", ambiguous: [] }],
  ])("%s", (_name, r, routes, expected) => {
    const owned = ownedRoute(r, routes);
    expect({ name: owned.name, base: owned.base?.metadata.name ?? null, ambiguous: owned.ambiguous }).toEqual(expected);
  });
});
