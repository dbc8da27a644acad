import { describe, expect, it } from "vitest";
import { validateResource } from "../resource/resource-codec.ts";
import { doc, issuesOf } from "../testing/fixtures.ts";
import { SidecarSchema, egressAllows, egressHosts } from "./sidecar.schema.ts";

const sc = (spec: unknown) => doc("Sidecar", spec);

describe("Sidecar schema", () => {
  it.each([
    ["a namespace-wide scope", sc({ egress: { hosts: ["./*", "weft-system/*"] } })],
    ["a service's scope", sc({ targetRef: { name: "frontend" }, egress: { hosts: ["shop/catalog", "./reviews", "payments/*"] } })],
    ["the whole mesh", sc({ egress: { hosts: ["*/*"] } })],
    ["a service of any namespace", sc({ egress: { hosts: ["*/ledger"] } })],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ["no egress", sc({}), ["spec.egress: required"]],
    ["no hosts", sc({ egress: { hosts: [] } }), ["spec.egress.hosts: too_small"]],
    ["a host without a namespace", sc({ egress: { hosts: ["./*", "reviews"] } }), ["spec.egress.hosts[1]: invalid_value"]],
    ["a bad namespace", sc({ egress: { hosts: ["Shop/*"] } }), ["spec.egress.hosts[0]: invalid_value"]],
    ["a bad service and a DNS name", sc({ egress: { hosts: ["shop/re_views", "shop/reviews.shop.svc"] } }), ["spec.egress.hosts[0]: invalid_value", "spec.egress.hosts[1]: invalid_value"]],
    ["a target in another namespace", sc({ targetRef: { name: "a", namespace: "b" }, egress: { hosts: ["./*"] } }), ["spec.targetRef.namespace: unknown_field"]],
  ])("rejects %s with the field path", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });

  it("says what a bad host should look like", () => {
    const result = validateResource(sc({ egress: { hosts: ["reviews"] } }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.message).toMatch(/must be <namespace>\/<service>, e\.g\. "shop\/\*"/);
  });

  it("resolves '.' to its own namespace and matches namespaces and services", () => {
    const hosts = egressHosts(SidecarSchema.parse(sc({ egress: { hosts: ["./reviews", "payments/*", "*/ledger"] } })));
    expect(hosts).toEqual([
      { namespace: "shop", service: "reviews" },
      { namespace: "payments", service: "*" },
      { namespace: "*", service: "ledger" },
    ]);
    expect(egressAllows(hosts, "shop", "reviews")).toBe(true);
    expect(egressAllows(hosts, "shop", "catalog")).toBe(false);
    expect(egressAllows(hosts, "payments", "anything")).toBe(true);
    expect(egressAllows(hosts, "billing", "ledger")).toBe(true);
  });
});
