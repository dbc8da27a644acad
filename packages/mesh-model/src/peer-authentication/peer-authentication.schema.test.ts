import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";
import { PeerAuthenticationSchema } from "./peer-authentication.schema.ts";

const pa = (spec: unknown) => doc("PeerAuthentication", spec);

describe("PeerAuthentication schema", () => {
  it.each([
    ["a namespace-wide override", pa({ mtls: { mode: "PERMISSIVE" } })],
    ["a service override", pa({ targetRef: { kind: "Service", name: "legacy" }, mtls: { mode: "PERMISSIVE" } })],
    ["a service override without kind", pa({ targetRef: { name: "legacy" }, mtls: { mode: "STRICT" } })],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it("targets a Service when the kind is omitted", () => {
    expect(PeerAuthenticationSchema.parse(pa({ targetRef: { name: "legacy" }, mtls: { mode: "STRICT" } })).spec.targetRef?.kind).toBe("Service");
  });

  it.each<[string, unknown, string[]]>([
    ["no mtls", pa({}), ["spec.mtls: required"]],
    ["an unknown mode", pa({ mtls: { mode: "DISABLE" } }), ["spec.mtls.mode: invalid_value"]],
    ["another target kind", pa({ targetRef: { kind: "Gateway", name: "edge" }, mtls: { mode: "STRICT" } }), ["spec.targetRef.kind: invalid_value"]],
    ["a target in another namespace", pa({ targetRef: { name: "legacy", namespace: "other" }, mtls: { mode: "STRICT" } }), ["spec.targetRef.namespace: unknown_field"]],
    ["a bad service name", pa({ targetRef: { name: "Legacy_App" }, mtls: { mode: "STRICT" } }), ["spec.targetRef.name: invalid_format"]],
  ])("rejects %s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });
});
