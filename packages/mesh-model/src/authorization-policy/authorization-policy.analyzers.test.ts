import { describe, expect, it } from "vitest";
import { analyze } from "../analysis/analyze.ts";
import type { ObservedCaller } from "../analysis/snapshot.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";
import type { AuthorizationPolicyInput } from "./authorization-policy.schema.ts";

type Spec = AuthorizationPolicyInput["spec"];
const policy = (name: string, spec: Omit<Spec, "targetRef"> & { targetRef?: Spec["targetRef"] }) => make("AuthorizationPolicy", name, { targetRef: { name: "checkout" }, ...spec });
const id = (ns: string, sa: string) => `spiffe://weft.local/ns/${ns}/sa/${sa}`;
const FRONTEND = id("shop", "frontend");
const CART = id("shop", "cart");
const callers: ObservedCaller[] = [{ identity: FRONTEND }, { identity: CART, cluster: "east" }];
const run = (policies: ReturnType<typeof policy>[], observed: readonly ObservedCaller[] = callers) =>
  findingLines(analyze(baseSnapshot({ resources: policies, observedCallers: [{ service: { name: "checkout", namespace: "shop" }, callers: observed }] })));

describe("identities no workload has (WEFT3001)", () => {
  it.each<[string, string[], string[]]>([
    ["existing identities", [FRONTEND, "spiffe://weft.local/ns/jobs/*", "*/sa/cart"], []],
    ["a misspelt service account", [id("shop", "frontent")], ["WEFT3001 AuthorizationPolicy/shop/p spec.rules[0].from.identities[0]"]],
    ["another trust domain", ["spiffe://other.org/ns/shop/sa/frontend"], ["WEFT3001 AuthorizationPolicy/shop/p spec.rules[0].from.identities[0]"]],
    ["a prefix matching nobody", [FRONTEND, "spiffe://weft.local/ns/payments/*"], ["WEFT3001 AuthorizationPolicy/shop/p spec.rules[0].from.identities[1]"]],
  ])("%s", (_name, identities, expected) => {
    expect(run([policy("p", { action: "AUDIT", rules: [{ from: { identities } }] })], [])).toEqual(expected);
  });

  it("stays silent when identities cannot be derived (no trust domain, no Mesh)", () => {
    const snapshot = baseSnapshot({ trustDomain: undefined, resources: [policy("p", { action: "AUDIT", rules: [{ from: { identities: [id("shop", "ghost")] } }] })] });
    expect(findingLines(analyze(snapshot))).toEqual([]);
  });

  it("uses the Mesh resource's trust domain", () => {
    const mesh = make("Mesh", "default", { trustDomain: "prod.example" });
    const snapshot = baseSnapshot({ trustDomain: undefined, resources: [mesh, policy("p", { action: "AUDIT", rules: [{ from: { identities: ["spiffe://prod.example/ns/shop/sa/cart", FRONTEND] } }] })] });
    expect(findingLines(analyze(snapshot))).toEqual(["WEFT3001 AuthorizationPolicy/shop/p spec.rules[0].from.identities[1]"]);
  });
});

describe("policies that cut off current callers (WEFT3002, WEFT3003)", () => {
  it.each<[string, ReturnType<typeof policy>[], string[]]>([
    ["an ALLOW covering every caller", [policy("allow", { action: "ALLOW", rules: [{ from: { namespaces: ["shop"] } }] })], []],
    ["a DENY of an unrelated namespace", [policy("deny", { action: "DENY", rules: [{ from: { namespaces: ["jobs"] } }] })], []],
    ["a DENY of everyone", [policy("deny", { action: "DENY", rules: [{}] })], ["WEFT3002 AuthorizationPolicy/shop/deny spec.rules"]],
    ["a DENY of the whole namespace", [policy("deny", { action: "DENY", rules: [{ from: { namespaces: ["shop"] } }] })], ["WEFT3002 AuthorizationPolicy/shop/deny spec.rules"]],
    ["a DENY of one caller", [policy("deny", { action: "DENY", rules: [{ from: { identities: [CART] } }] })], ["WEFT3003 AuthorizationPolicy/shop/deny spec.rules"]],
    ["a DENY limited to some requests cuts nobody off entirely", [policy("deny", { action: "DENY", rules: [{ to: { methods: ["DELETE"] } }] })], []],
    ["a DENY limited to one port cuts nobody off entirely", [policy("deny", { action: "DENY", targetRef: { name: "checkout", ports: [8080] }, rules: [{}] })], []],
    ["an allow-nothing policy", [policy("lockdown", { action: "ALLOW" })], ["WEFT3002 AuthorizationPolicy/shop/lockdown spec"]],
    ["a new ALLOW set that forgets a caller", [policy("allow", { action: "ALLOW", rules: [{ from: { identities: [FRONTEND] } }] })], ["WEFT3003 AuthorizationPolicy/shop/allow spec.rules"]],
    [
      "an ALLOW set split over two policies",
      [policy("allow-frontend", { action: "ALLOW", rules: [{ from: { identities: [FRONTEND] } }] }), policy("allow-cart", { action: "ALLOW", rules: [{ from: { identities: [CART] } }] })],
      [],
    ],
    ["an ALLOW by a cluster the caller may be in (unknown) is not a cut-off", [policy("allow", { action: "ALLOW", rules: [{ from: { clusters: ["east"] } }] })], []],
    ["an ALLOW by a cluster the caller is not in", [policy("allow", { action: "ALLOW", rules: [{ from: { clusters: ["west"], identities: [CART] } }] })], ["WEFT3002 AuthorizationPolicy/shop/allow spec.rules"]],
    ["AUDIT never cuts anyone off", [policy("audit", { action: "AUDIT", rules: [{}] })], []],
    ["a policy on another service", [policy("deny", { action: "DENY", targetRef: { name: "cart" }, rules: [{}] })], []],
  ])("%s", (_name, policies, expected) => {
    expect(run(policies).filter((l) => !l.startsWith("WEFT3001"))).toEqual(expected);
  });

  it("blocks the change when every caller would be cut off, and lists them", () => {
    const findings = analyze(baseSnapshot({ resources: [policy("deny", { action: "DENY", rules: [{}] })], observedCallers: [{ service: { name: "checkout", namespace: "shop" }, callers }] }));
    expect(findings[0]).toMatchObject({ code: "WEFT3002", severity: "error" });
    expect(findings[0]?.message).toContain(FRONTEND);
    expect(findings[0]?.message).toContain(`${CART} (cluster east)`);
  });

  it("needs observed callers", () => {
    expect(findingLines(analyze(baseSnapshot({ resources: [policy("deny", { action: "DENY", rules: [{}] })] })))).toEqual([]);
  });
});
