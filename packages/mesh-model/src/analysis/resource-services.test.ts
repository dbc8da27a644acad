import { describe, expect, it } from "vitest";
import { make } from "../testing/fixtures.ts";
import { namespacesReferencedBy, servicesReferencedBy } from "./resource-services.ts";

describe("servicesReferencedBy", () => {
  it.each([
    [
      "a route: parents, then backends and mirrors per rule, each once",
      make("HTTPRoute", "checkout", {
        parentRefs: [{ name: "checkout" }, { kind: "Gateway", name: "edge" }],
        rules: [
          { backendRefs: [{ name: "checkout", version: "v1" }, { name: "checkout", version: "v2" }, { kind: "ExternalService", name: "payments" }] },
          { filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "shadow", namespace: "test" } } }], backendRefs: [{ name: "cart" }] },
        ],
      }),
      ["parent shop/checkout", "backend shop/checkout", "backend shop/cart", "backend test/shadow"],
    ],
    ["a traffic policy", make("TrafficPolicy", "tp", { targetRef: { name: "cart", namespace: "other" } }), ["target other/cart"]],
    ["an authorization policy", make("AuthorizationPolicy", "ap", { targetRef: { name: "cart" }, action: "DENY" }), ["target shop/cart"]],
    ["a namespace-wide request authentication", make("RequestAuthentication", "ra", { jwtRules: [{ issuer: "https://issuer.example", jwks: { type: "Remote", uri: "https://issuer.example/jwks" } }] }), ["target shop/*"]],
    ["a mesh", make("Mesh", "default", { trustDomain: "weft.local" }), []],
  ])("%s", (_name, resource, expected) => {
    expect(servicesReferencedBy(resource).map((r) => `${r.role} ${r.namespace}/${r.name}`)).toEqual(expected);
  });
});

describe("namespacesReferencedBy", () => {
  it.each([
    ["a route attached to and sending to services elsewhere", make("HTTPRoute", "r", { parentRefs: [{ name: "ledger", namespace: "payments" }], rules: [{ backendRefs: [{ name: "ledger", namespace: "payments" }] }] }), ["payments", "shop"]],
    [
      "a route mirroring to another namespace and attached to a gateway in a third",
      make("HTTPRoute", "r", {
        parentRefs: [{ kind: "Gateway", name: "edge", namespace: "ingress" }],
        rules: [{ filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "shadow", namespace: "test" } } }], backendRefs: [{ name: "cart" }] }],
      }),
      ["ingress", "shop", "test"],
    ],
    ["an authorization policy targeting another namespace", make("AuthorizationPolicy", "ap", { targetRef: { name: "ledger", namespace: "payments" }, action: "DENY" }), ["payments", "shop"]],
    ["a traffic policy in its own namespace", make("TrafficPolicy", "tp", { targetRef: { name: "cart" } }), ["shop"]],
    ["a request authentication targeting another namespace", make("RequestAuthentication", "ra", { targetRef: { name: "ledger", namespace: "payments" }, jwtRules: [{ issuer: "https://issuer.example", jwks: { type: "Remote", uri: "https://issuer.example/jwks" } }] }), ["payments", "shop"]],
    ["a mesh (mesh-wide: no namespace)", make("Mesh", "default", { trustDomain: "weft.local" }), []],
  ])("%s", (_name, resource, expected) => {
    expect(namespacesReferencedBy(resource)).toEqual(expected);
  });
});
