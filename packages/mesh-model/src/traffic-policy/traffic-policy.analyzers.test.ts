import { describe, expect, it } from "vitest";
import { analyze } from "../analysis/analyze.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";
import type { TrafficPolicyInput } from "./traffic-policy.schema.ts";

type Target = TrafficPolicyInput["spec"]["targetRef"];
const policy = (name: string, targetRef: Target, namespace = "shop") => make("TrafficPolicy", name, { targetRef }, namespace);
const run = (...policies: ReturnType<typeof policy>[]) => findingLines(analyze(baseSnapshot({ resources: policies })));

describe("conflicting TrafficPolicies (WEFT2001)", () => {
  it.each<[string, ReturnType<typeof policy>[], string[]]>([
    ["one policy per service", [policy("a", { name: "checkout" }), policy("b", { name: "cart" })], []],
    ["service-wide and per-version policies layer", [policy("a", { name: "checkout" }), policy("b", { name: "checkout", version: "v2" })], []],
    ["per-port and per-version policies layer", [policy("a", { name: "checkout", port: 8080 }), policy("b", { name: "checkout", version: "v2" })], []],
    ["two service-wide policies", [policy("a", { name: "checkout" }), policy("b", { name: "checkout" })], ["WEFT2001 TrafficPolicy/shop/a spec.targetRef", "WEFT2001 TrafficPolicy/shop/b spec.targetRef"]],
    [
      "an explicit namespace equal to the policy's",
      [policy("a", { name: "checkout", version: "v1" }), policy("b", { name: "checkout", namespace: "shop", version: "v1" })],
      ["WEFT2001 TrafficPolicy/shop/a spec.targetRef", "WEFT2001 TrafficPolicy/shop/b spec.targetRef"],
    ],
    ["the same name in another namespace is another service", [policy("a", { name: "checkout" }), policy("b", { name: "checkout" }, "billing")], ["WEFT1005 TrafficPolicy/billing/b spec.targetRef.name"]],
  ])("%s", (_name, policies, expected) => {
    expect(run(...policies)).toEqual(expected);
  });

  it("names the other policy in the message", () => {
    const [first] = analyze(baseSnapshot({ resources: [policy("a", { name: "checkout" }), policy("b", { name: "checkout" })] }));
    expect(first?.message).toContain("TrafficPolicy/shop/b");
    expect(first?.related).toEqual([{ kind: "TrafficPolicy", name: "b", namespace: "shop" }]);
  });
});

describe("policy targets (WEFT1005)", () => {
  it.each<[string, Target, string[]]>([
    ["a known version", { name: "checkout", version: "v2" }, []],
    ["an unknown service", { name: "payments" }, ["WEFT1005 TrafficPolicy/shop/a spec.targetRef.name"]],
    ["an unknown version", { name: "checkout", version: "v7" }, ["WEFT1005 TrafficPolicy/shop/a spec.targetRef.version"]],
    ["an unknown port", { name: "checkout", port: 9999 }, ["WEFT1005 TrafficPolicy/shop/a spec.targetRef"]],
  ])("%s", (_name, target, expected) => {
    const findings = analyze(baseSnapshot({ resources: [policy("a", target)] }));
    expect(findingLines(findings)).toEqual(expected);
    expect(findings.every((f) => f.severity === "warning")).toBe(true);
  });
});

describe("locality clusters (WEFT2002)", () => {
  type Locality = NonNullable<NonNullable<TrafficPolicyInput["spec"]["loadBalancer"]>["locality"]>;
  const withLocality = (locality: Locality) => make("TrafficPolicy", "a", { targetRef: { name: "checkout" }, loadBalancer: { locality } }, "shop");
  it.each<[string, Locality, string[]]>([
    ["a failover order of discovered clusters", { failover: [{ from: "east", to: ["west"] }] }, []],
    ["a failover order naming an unknown cluster", { failover: [{ from: "east", to: ["west", "central"] }] }, ["WEFT2002 TrafficPolicy/shop/a spec.loadBalancer.locality.failover[0].to[1]"]],
    ["failover from an unknown cluster", { failover: [{ from: "north", to: ["east"] }] }, ["WEFT2002 TrafficPolicy/shop/a spec.loadBalancer.locality.failover[0].from"]],
    ["a distribution over discovered clusters and zones", { distribute: [{ from: "east/e1", to: { "east/e1": 80, west: 20 } }] }, []],
    ["a distribution naming an unknown cluster", { distribute: [{ from: "east", to: { east: 80, central: 20 } }] }, ["WEFT2002 TrafficPolicy/shop/a spec.loadBalancer.locality.distribute[0].to.central"]],
  ])("%s", (_name, locality, expected) => {
    expect(run(withLocality(locality))).toEqual(expected);
  });

  it("lists the known clusters, and checks nothing when discovery reports no cluster", () => {
    const policyWithTypo = withLocality({ failover: [{ from: "east", to: ["wset"] }] });
    const [finding] = analyze(baseSnapshot({ resources: [policyWithTypo] }));
    expect(finding?.message).toBe('no cluster "wset" has been discovered (known: east, west)');
    const clusterless = baseSnapshot({ resources: [policyWithTypo] });
    const findings = analyze({ ...clusterless, services: clusterless.services.map(({ cluster: _c, ...s }) => s), workloads: clusterless.workloads.map(({ cluster: _c, ...w }) => w) });
    expect(findings.filter((f) => f.code === "WEFT2002")).toEqual([]);
  });
});
