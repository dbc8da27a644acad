import { validateResource, type Resource } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { filterResources, newPolicyFor, policiesForService, SERVICE_POLICY_KINDS, type ResourceRow } from "./policy-catalog.ts";

function row(document: Resource): ResourceRow {
  return { kind: document.kind, namespace: (document.metadata as { namespace?: string }).namespace ?? "default", name: document.metadata.name, revision: 1, updatedAt: new Date(0), document };
}
function parsed(doc: Record<string, unknown>): Resource {
  const r = validateResource(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

const checkoutRoute = row(parsed(newPolicyFor("HTTPRoute", { namespace: "shop", name: "checkout" })));
const cartPolicy = row(parsed(newPolicyFor("TrafficPolicy", { namespace: "shop", name: "cart" })));
const authz = row(parsed(newPolicyFor("AuthorizationPolicy", { namespace: "shop", name: "checkout" })));
const splitToCheckout = row(
  parsed({
    apiVersion: "weft.io/v1alpha1",
    kind: "HTTPRoute",
    metadata: { name: "frontend", namespace: "shop" },
    spec: { parentRefs: [{ name: "frontend" }], rules: [{ backendRefs: [{ name: "checkout", weight: 1 }] }] },
  }),
);
const deleted: ResourceRow = { ...checkoutRoute, name: "gone", document: null };

describe("newPolicyFor", () => {
  it.each(SERVICE_POLICY_KINDS)("a new %s is valid", (kind) => {
    expect(validateResource(newPolicyFor(kind, { namespace: "shop", name: "checkout" })).ok).toBe(true);
  });
});

describe("policiesForService", () => {
  const rows = [checkoutRoute, cartPolicy, authz, splitToCheckout, deleted];
  it.each<[string, { namespace: string; name: string }, [string, string[]][]]>([
    [
      "checkout: its route, its authz, and a route sending to it",
      { namespace: "shop", name: "checkout" },
      [
        ["checkout-authz", ["target"]],
        ["checkout", ["parent", "backend"]],
        ["frontend", ["backend"]],
      ],
    ],
    ["cart", { namespace: "shop", name: "cart" }, [["cart-traffic", ["target"]]]],
    ["same name, other namespace", { namespace: "other", name: "checkout" }, []],
  ])("%s", (_name, service, expected) => {
    expect(policiesForService(rows, service).map((r) => [r.name, r.roles])).toEqual(expected);
  });
});

describe("filterResources", () => {
  const rows = [checkoutRoute, cartPolicy, authz];
  it.each<[object, string[]]>([
    [{}, ["checkout", "cart-traffic", "checkout-authz"]],
    [{ kind: "TrafficPolicy" }, ["cart-traffic"]],
    [{ namespace: "nope" }, []],
    [{ search: "CHECK" }, ["checkout", "checkout-authz"]],
    [{ search: "shop/cart" }, ["cart-traffic"]],
  ])("%j", (filter, names) => expect(filterResources(rows, filter).map((r) => r.name)).toEqual(names));
});
