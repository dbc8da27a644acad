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
