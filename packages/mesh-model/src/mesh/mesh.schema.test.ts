import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";
import { isExported, MeshSchema } from "./mesh.schema.ts";

const mesh = (spec: unknown, metadata: Record<string, unknown> = { name: "default" }) => doc("Mesh", spec, metadata);

describe("Mesh schema", () => {
  it("defaults to STRICT mutual TLS", () => {
    expect(MeshSchema.parse(mesh({ trustDomain: "weft.local" })).spec.mtls.mode).toBe("STRICT");
  });

  it.each([
    // No multicluster section: everything is exported (the behaviour before issue 12).
    [undefined, "shop", "inventory", true],
    [{ export: { mode: "Selected", services: [{ namespace: "shop", name: "reviews" }] } }, "shop", "reviews", true],
    [{ export: { mode: "Selected", services: [{ namespace: "shop", name: "reviews" }] } }, "shop", "inventory", false],
    [{ export: { mode: "Selected", services: [{ namespace: "shop" }] } }, "shop", "inventory", true],
    [{ export: { mode: "Selected", services: [{ namespace: "shop" }] } }, "billing", "ledger", false],
  ])("exports under %o: %s/%s is %s", (multicluster, namespace, name, exported) => {
    const spec = MeshSchema.parse(mesh({ trustDomain: "weft.local", ...(multicluster && { multicluster }) })).spec;
    expect(isExported(spec.multicluster, namespace, name)).toBe(exported);
  });

  it.each([
    ["minimal", mesh({ trustDomain: "weft.local" })],
    ["with defaults", mesh({ trustDomain: "prod.example.org", mtls: { mode: "PERMISSIVE" }, defaults: { connectTimeout: "2s", requestTimeout: "30s", loadBalancing: "LEAST_REQUEST", retry: { attempts: 2 } } })],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ["no trust domain", mesh({}), ["spec.trustDomain: required"]],
    ["an upper-case trust domain", mesh({ trustDomain: "Weft.Local" }), ["spec.trustDomain: invalid_trust_domain"]],
    ["an unknown mTLS mode", mesh({ trustDomain: "weft.local", mtls: { mode: "OFF" } }), ["spec.mtls.mode: invalid_value"]],
    ["a namespace on the mesh-wide kind", mesh({ trustDomain: "weft.local" }, { name: "default", namespace: "shop" }), ["metadata.namespace: unknown_field"]],
    ["a bad default", mesh({ trustDomain: "weft.local", defaults: { connectTimeout: "5", loadBalancing: "FASTEST" } }), ["spec.defaults.connectTimeout: invalid_duration", "spec.defaults.loadBalancing: invalid_value"]],
    ["the wrong apiVersion", { ...mesh({ trustDomain: "weft.local" }), apiVersion: "weft.io/v1" }, ["apiVersion: invalid_value"]],
    ["exports listed with mode All", mesh({ trustDomain: "weft.local", multicluster: { export: { services: [{ namespace: "shop" }] } } }), ["spec.multicluster.export.services: unused_setting"]],
    ["an export listed twice", mesh({ trustDomain: "weft.local", multicluster: { export: { mode: "Selected", services: [{ namespace: "shop", name: "a" }, { namespace: "shop", name: "a" }] } } }), ["spec.multicluster.export.services[1]: duplicate"]],
    ["an export without a namespace", mesh({ trustDomain: "weft.local", multicluster: { export: { mode: "Selected", services: [{ name: "a" }] } } }), ["spec.multicluster.export.services[0].namespace: required"]],
  ])("rejects %s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });
});
