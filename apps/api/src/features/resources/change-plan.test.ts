import { parseResources, type Resource } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { hostsOverlap, planChange, type MeshState } from "./change-plan.ts";
import type { Discovery, StoredResource, WorkloadRecord } from "./resources.repository.ts";

const w = (namespace: string, name: string): WorkloadRecord => ({ cluster: "east", namespace, name, serviceAccount: name.split("-")[0] as string, version: name.split("-")[1] as string });
const workloads = { checkout: w("shop", "checkout-v1"), checkout2: w("shop", "checkout-v2"), cart: w("shop", "cart-v1"), ledger: w("payments", "ledger-v1") };
const discovery: Discovery = {
  services: [
    { name: "checkout", namespace: "shop", cluster: "east", versions: ["v1", "v2"], ports: [{ port: 8080 }] },
    { name: "cart", namespace: "shop", cluster: "east", versions: ["v1"], ports: [{ port: 8080 }] },
    { name: "ledger", namespace: "payments", cluster: "east", versions: ["v1"], ports: [{ port: 8080 }] },
  ],
  workloads: Object.values(workloads),
  members: new Map([
    ["shop/checkout", [workloads.checkout, workloads.checkout2]],
    ["shop/cart", [workloads.cart]],
    ["payments/ledger", [workloads.ledger]],
  ]),
};

function doc(yaml: string): Resource {
  const parsed = parseResources(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value[0] as Resource;
}
const stored = (resource: Resource, revision = 1): StoredResource => ({
  id: `${resource.kind}-${resource.metadata.name}`,
  kind: resource.kind,
  namespace: "namespace" in resource.metadata ? (resource.metadata.namespace ?? "default") : "",
  name: resource.metadata.name,
  revision,
  deleted: false,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  document: resource,
});
const state = (...resources: Resource[]): MeshState => ({ trustDomain: "weft.local", resources: resources.map((r) => stored(r)), discovery });

const route = (service: string, namespace = "shop") =>
  doc(`apiVersion: weft.io/v1alpha1\nkind: HTTPRoute\nmetadata: { name: r-${service}, namespace: ${namespace} }\nspec:\n  parentRefs: [{ name: ${service} }]\n  rules: [{ backendRefs: [{ name: ${service} }] }]\n`);
const authz = (service: string) => doc(`apiVersion: weft.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: { name: a-${service}, namespace: shop }\nspec: { targetRef: { name: ${service} }, action: DENY, rules: [{ from: { namespaces: [jobs] } }] }\n`);

describe("planChange", () => {
  it.each<[string, MeshState, Parameters<typeof planChange>[1], string[]]>([
    ["a creation", state(), [{ op: "apply", resource: route("cart") }], ["create HTTPRoute/shop/r-cart from -"]],
    ["an identical document", state(route("cart")), [{ op: "apply", resource: route("cart") }], ["unchanged HTTPRoute/shop/r-cart from 1"]],
    ["a deletion", state(route("cart")), [{ op: "delete", ref: { kind: "HTTPRoute", namespace: "shop", name: "r-cart" } }], ["delete HTTPRoute/shop/r-cart from 1"]],
    ["deleting what does not exist", state(), [{ op: "delete", ref: { kind: "HTTPRoute", namespace: "shop", name: "r-cart" } }], ["unchanged HTTPRoute/shop/r-cart from -"]],
  ])("classifies %s", (_name, s, ops, expected) => {
    expect(planChange(s, ops).changes.map((c) => `${c.action} ${c.ref.kind}/${c.ref.namespace}/${c.ref.name} from ${c.fromRevision ?? "-"}`)).toEqual(expected);
  });

  it("blocks on errors about the changed resources, not on old problems elsewhere", () => {
    const broken = route("gone");
    const plan = planChange(state(broken), [{ op: "apply", resource: route("cart") }]);
    expect(plan.blocked).toBe(false);
    expect(plan.findings).toEqual([]);
    const own = planChange(state(), [{ op: "apply", resource: route("gone") }]);
    expect(own.blocked).toBe(true);
    expect(own.findings.map((f) => f.code)).toContain("WEFT1001");
  });

  it.each<[string, Resource, string[]]>([
    [
      "without telemetry, a route reaches its service's workloads and every possible caller",
      route("cart"),
      [
        "shop/cart-v1: parent shop/cart; backend shop/cart; possible caller of shop/cart (no telemetry)",
        "payments/ledger-v1: possible caller of shop/cart (no telemetry)",
        "shop/checkout-v1: possible caller of shop/cart (no telemetry)",
        "shop/checkout-v2: possible caller of shop/cart (no telemetry)",
      ],
    ],
    ["an authorization policy reaches only its target's workloads", authz("checkout"), ["shop/checkout-v1: target shop/checkout", "shop/checkout-v2: target shop/checkout"]],
  ])("affected workloads: %s", (_name, resource, expected) => {
    const plan = planChange(state(), [{ op: "apply", resource }]);
    const lines = plan.affectedWorkloads.map((a) => `${a.namespace}/${a.name}: ${a.reasons.join("; ")}`);
    expect(lines.sort()).toEqual([...expected].sort());
  });

  it("with telemetry, names only the workloads seen calling the service, with their rate", () => {
    const end = (namespace: string, service: string, version: string, cluster = "east") => ({ cluster, namespace, service, version });
    const calls = [
      // checkout v2 called cart at 0.5/s over two response classes' edges; checkout v1 never did.
      { source: end("shop", "checkout", "v2"), destination: end("shop", "cart", "v1"), rate: 0.3 },
      { source: end("shop", "checkout", "v2"), destination: end("shop", "cart", ""), rate: 0.2 },
      // ledger called checkout, not cart; a caller from outside the mesh has no proxy to change.
      { source: end("payments", "ledger", "v1"), destination: end("shop", "checkout", "v1"), rate: 4 },
      { source: end("", "unknown", "", ""), destination: end("shop", "cart", "v1"), rate: 9 },
    ];
    const plan = planChange({ ...state(), calls }, [{ op: "apply", resource: route("cart") }]);
    expect(plan.affectedWorkloads.map((a) => `${a.namespace}/${a.name}: ${a.reasons.join("; ")}`)).toEqual([
      "shop/cart-v1: parent shop/cart; backend shop/cart",
      "shop/checkout-v2: caller of shop/cart: ≈ 30 req/min in the last hour",
    ]);
    expect(plan.affectedWorkloads[1]?.calls).toEqual([{ service: "shop/cart", requestsPerSecond: 0.5 }]);
  });

  it("counts the workloads of the old document too (a route moved to another service)", () => {
    const moved = { ...route("cart"), spec: { ...route("ledger").spec } } as Resource;
    const plan = planChange(state(route("cart")), [{ op: "apply", resource: moved }]);
    const names = plan.affectedWorkloads.filter((a) => a.reasons.some((r) => r.startsWith("parent"))).map((a) => a.name);
    expect(names.sort()).toEqual(["cart-v1"]);
    expect(plan.changes[0]?.textDiff).toContain("-      name: cart\n+      name: ledger");
  });
});

describe("cross-namespace egress (ExternalService hosts)", () => {
  const external = (namespace: string, name: string, ...hosts: string[]) =>
    doc(`apiVersion: weft.io/v1alpha1\nkind: ExternalService\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n  hosts: [${hosts.map((h) => JSON.stringify(h)).join(", ")}]\n  ports: [{ number: 443, protocol: HTTPS }]\n`);
  const stripe = external("payments", "stripe", "api.stripe.com");

  it.each<[string, MeshState, Parameters<typeof planChange>[1], string[]]>([
    ["a host nobody else defines touches only its own namespace", state(stripe), [{ op: "apply", resource: external("shop", "example", "example.com") }], ["shop"]],
    ["the same host as payments' definition touches payments", state(stripe), [{ op: "apply", resource: external("shop", "pay", "api.stripe.com") }], ["payments", "shop"]],
    ["a wildcard covering payments' host touches payments", state(stripe), [{ op: "apply", resource: external("shop", "pay", "*.stripe.com") }], ["payments", "shop"]],
    ["a host under payments' wildcard touches payments", state(external("payments", "all", "*.stripe.com")), [{ op: "apply", resource: external("shop", "pay", "api.stripe.com") }], ["payments", "shop"]],
    ["a discovered service's host name touches its namespace", state(), [{ op: "apply", resource: external("shop", "fake", "ledger.payments") }], ["payments", "shop"]],
    ["a host in another namespace's service domain touches it", state(), [{ op: "apply", resource: external("shop", "fake", "anything.billing.svc.cluster.local") }], ["billing", "shop"]],
    ["deleting a definition that shares payments' host touches payments", state(stripe, external("shop", "pay", "api.stripe.com")), [{ op: "delete", ref: { kind: "ExternalService", namespace: "shop", name: "pay" } }], ["payments", "shop"]],
    ["payments adding a host shop defines touches shop", state(external("shop", "s3", "s3.example.com"), stripe), [{ op: "apply", resource: external("payments", "stripe", "api.stripe.com", "s3.example.com") }], ["payments", "shop"]],
    ["an unchanged definition touches nothing", state(stripe, external("shop", "pay", "api.stripe.com")), [{ op: "apply", resource: external("shop", "pay", "api.stripe.com") }], []],
  ])("%s", (_name, s, ops, expected) => {
    expect(planChange(s, ops).namespaces).toEqual(expected);
  });

  it.each<[string, string, boolean]>([
    ["api.stripe.com", "api.stripe.com", true],
    ["*.stripe.com", "api.stripe.com", true],
    ["api.stripe.com", "*.stripe.com", true],
    ["*.stripe.com", "*.eu.stripe.com", true],
    ["*.stripe.com", "stripe.com", false],
    ["api.stripe.com", "api.stripe.co", false],
    ["*.stripe.com", "evilstripe.com", false],
  ])("hostsOverlap(%s, %s) = %s", (a, b, expected) => {
    expect(hostsOverlap(a, b)).toBe(expected);
  });
});
