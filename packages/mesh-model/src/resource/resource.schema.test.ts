import { z } from "zod";
import { describe, expect, it } from "vitest";
import { KINDS, KIND_SCHEMAS, ResourceSchema, isKind, namespaceOf, refOf, resourceKey } from "./resource.schema.ts";
import { make } from "../testing/fixtures.ts";

type JsonSchema = { description?: string; properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; allOf?: JsonSchema[]; additionalProperties?: JsonSchema | boolean };

/** Every object property without a description, as a dotted path. */
function undescribed(schema: JsonSchema, path: string): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (!child.description) out.push(`${path}.${key}`);
    out.push(...undescribed(child, `${path}.${key}`));
  }
  if (schema.items) out.push(...undescribed(schema.items, `${path}[]`));
  for (const variant of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) out.push(...undescribed(variant, path));
  if (typeof schema.additionalProperties === "object") out.push(...undescribed(schema.additionalProperties, `${path}{}`));
  return out;
}

describe("the kind registry", () => {
  it("lists every kind once, in registry order", () => {
    expect(KINDS).toEqual(["Mesh", "HTTPRoute", "TrafficPolicy", "AuthorizationPolicy", "RequestAuthentication", "PeerAuthentication", "Gateway", "ExternalService", "ServiceLevelObjective", "Rollout", "Sidecar"]);
    expect(Object.keys(KIND_SCHEMAS).sort()).toEqual([...KINDS].sort());
  });

  it.each(KINDS)("%s: every field has a description (docs and forms are generated from them)", (kind) => {
    const schema = z.toJSONSchema(KIND_SCHEMAS[kind], { io: "input", unrepresentable: "any" }) as JsonSchema;
    expect(schema.description).toBeTruthy();
    expect(undescribed(schema, kind)).toEqual([]);
  });

  it("finds undescribed fields (the check above can fail)", () => {
    const schema = z.toJSONSchema(z.object({ a: z.string().describe("A."), b: z.object({ c: z.number() }).describe("B.") })) as JsonSchema;
    expect(undescribed(schema, "x")).toEqual(["x.b.c"]);
  });

  it("discriminates resources by kind", () => {
    const result = ResourceSchema.safeParse({ apiVersion: "weft.io/v1alpha1", kind: "Gateway", metadata: { name: "edge" }, spec: { mode: "ingress", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
    expect(result.success && result.data.kind).toBe("Gateway");
    expect(isKind("Gateway")).toBe(true);
    expect(isKind("Canary")).toBe(false);
  });

  it("names resources with their namespace, mesh-wide kinds without", () => {
    const route = make("HTTPRoute", "checkout", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "checkout" }] }] });
    const mesh = make("Mesh", "default", { trustDomain: "weft.local" });
    expect(resourceKey(refOf(route))).toBe("HTTPRoute/shop/checkout");
    expect(resourceKey(refOf(mesh))).toBe("Mesh/default");
    expect(namespaceOf(mesh)).toBeUndefined();
    const unnamespaced = { ...route, metadata: { name: "checkout" } };
    expect(namespaceOf(unnamespaced)).toBe("default");
  });
});
