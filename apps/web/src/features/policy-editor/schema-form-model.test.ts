import { KIND_SCHEMAS } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatPath } from "@weft/mesh-model";
import { buildFormModel, humanize, initialValue, shownPaths, type FormNode, type JsonSchema } from "./schema-form-model.ts";

function fieldOf(node: FormNode, ...keys: string[]): FormNode {
  let cur = node;
  for (const key of keys) {
    if (cur.type === "array") cur = cur.item;
    if (cur.type !== "object") throw new Error(`${key}: not an object (${cur.type})`);
    const f = cur.fields.find((x) => x.key === key);
    if (!f) throw new Error(`no field ${key}`);
    cur = f.node;
  }
  return cur;
}

describe("humanize", () => {
  it.each([
    ["backendRefs", "Backend refs"],
    ["httpStatus", "HTTP status"],
    ["name", "Name"],
    ["p99", "P99"],
    ["grpcStatus", "GRPC status"],
    ["replacePrefixMatch", "Replace prefix match"],
  ])("%s → %s", (key, label) => expect(humanize(key)).toBe(label));
});

describe("buildFormModel: generic schemas", () => {
  it.each<[string, JsonSchema, Partial<FormNode>]>([
    ["string with pattern", { type: "string", pattern: "^a$", description: "A." }, { type: "string", pattern: "^a$", help: "A." }],
    ["integer with bounds", { type: "integer", minimum: 0, maximum: 10, default: 1 }, { type: "number", integer: true, minimum: 0, maximum: 10, defaultValue: 1 }],
    ["number", { type: "number" }, { type: "number", integer: false }],
    ["boolean", { type: "boolean", default: true }, { type: "boolean", defaultValue: true }],
    ["enum", { type: "string", enum: ["A", "B"], default: "B" }, { type: "enum", options: ["A", "B"], defaultValue: "B" }],
    ["union of literals", { anyOf: [{ type: "number", const: 301 }, { type: "number", const: 302 }], default: 302 }, { type: "enum", options: [301, 302], defaultValue: 302 }],
    ["const", { type: "string", const: "weft.io/v1alpha1" }, { type: "const", value: "weft.io/v1alpha1" }],
    ["record", { type: "object", additionalProperties: { type: "string" } }, { type: "record" }],
    ["nullable", { anyOf: [{ type: "string" }, { type: "null" }], description: "N." }, { type: "string", help: "N." }],
    ["unknown", {}, { type: "unknown" }],
  ])("%s", (_name, schema, expected) => {
    expect(buildFormModel(schema, "X")).toMatchObject(expected);
  });

  it("resolves $ref to $defs and stops at cycles", () => {
    const schema: JsonSchema = {
      type: "object",
      properties: { child: { $ref: "#/$defs/Node" } },
      $defs: { Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" }, name: { type: "string" } }, required: ["name"] } },
    };
    const model = buildFormModel(schema);
    expect(fieldOf(model, "child", "name")).toMatchObject({ type: "string" });
    expect(fieldOf(model, "child", "next")).toMatchObject({ type: "unknown" });
  });
});

describe("buildFormModel: mesh-model kinds", () => {
  const route = buildFormModel(z.toJSONSchema(KIND_SCHEMAS.HTTPRoute as z.ZodType, { io: "input", unrepresentable: "any" }) as JsonSchema, "HTTPRoute");

  it.each<[string[], Partial<FormNode>]>([
    [["apiVersion"], { type: "const", value: "weft.io/v1alpha1" }],
    [["metadata", "name"], { type: "string", label: "Name" }],
    [["spec", "rules"], { type: "array", minItems: 1, label: "Rules" }],
    [["spec", "rules", "backendRefs"], { type: "array", label: "Backend refs" }],
    [["spec", "rules", "backendRefs", "weight"], { type: "number", integer: true, minimum: 0, maximum: 1_000_000, defaultValue: 1 }],
    [["spec", "rules", "backendRefs", "kind"], { type: "enum", defaultValue: "Service" }],
    [["spec", "rules", "matches", "method"], { type: "enum" }],
    [["spec", "rules", "filters"], { type: "array" }],
  ])("%j", (keys, expected) => {
    expect(fieldOf(route, ...keys)).toMatchObject(expected);
  });

  it("labels and helps come from .describe()", () => {
    const weight = fieldOf(route, "spec", "rules", "backendRefs", "weight");
    expect(weight.help).toContain("Relative share of the rule's requests");
  });

  it("turns the filter discriminated union into variants keyed by type", () => {
    const filters = fieldOf(route, "spec", "rules", "filters");
    if (filters.type !== "array" || filters.item.type !== "union") throw new Error("expected a union of filters");
    expect(filters.item.discriminator).toBe("type");
    expect(filters.item.variants.map((v) => v.value)).toEqual(["RequestHeaderModifier", "ResponseHeaderModifier", "URLRewrite", "RequestRedirect", "RequestMirror", "FaultInjection"]);
  });

  it.each(["TrafficPolicy", "AuthorizationPolicy", "Gateway", "ExternalService", "RequestAuthentication", "Mesh"] as const)("%s builds without unknown nodes at the top", (kind) => {
    const model = buildFormModel(z.toJSONSchema(KIND_SCHEMAS[kind] as z.ZodType, { io: "input", unrepresentable: "any" }) as JsonSchema, kind);
    expect(model.type).toBe("object");
    expect(fieldOf(model, "spec").type).toBe("object");
  });

  it("initialValue fills required fields only", () => {
    const backend = fieldOf(route, "spec", "rules", "backendRefs");
    if (backend.type !== "array") throw new Error("array");
    expect(initialValue(backend.item)).toEqual({ name: "" });
    expect(initialValue(fieldOf(route, "spec", "rules", "filters"))).toEqual([]);
  });

  it("shownPaths lists the fields a value renders", () => {
    const value = { apiVersion: "weft.io/v1alpha1", kind: "HTTPRoute", metadata: { name: "r" }, spec: { parentRefs: [{ name: "a" }], rules: [{ backendRefs: [{ name: "a", weight: 1 }] }] } };
    const shown = shownPaths(route, value, [], new Set(), formatPath);
    expect(shown.has("spec.rules[0].backendRefs[0].weight")).toBe(true);
    expect(shown.has("spec.rules[0].backendRefs[1].weight")).toBe(false);
    expect(shown.has("metadata.namespace")).toBe(false);
  });
});
