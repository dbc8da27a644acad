import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";
import { MeshSchema } from "./mesh.schema.ts";

const mesh = (spec: unknown, metadata: Record<string, unknown> = { name: "default" }) => doc("Mesh", spec, metadata);

describe("Mesh schema", () => {
  it("defaults to STRICT mutual TLS", () => {
    expect(MeshSchema.parse(mesh({ trustDomain: "weft.local" })).spec.mtls.mode).toBe("STRICT");
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
  ])("rejects %s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });
});
