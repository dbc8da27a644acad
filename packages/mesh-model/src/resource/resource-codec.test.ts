import { describe, expect, it } from "vitest";
import { ValidationError, type ValidationIssue } from "../common/issues.ts";
import { make } from "../testing/fixtures.ts";
import { parseResources, serializeResource, serializeResources, validateResource } from "./resource-codec.ts";

const ROUTE_YAML = `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata:
  name: checkout
  namespace: shop
spec:
  parentRefs:
    - name: checkout
  rules:
    - backendRefs:
        - name: checkout
          version: v1
          weight: 90
        - name: checkout
          version: v2
          weight: 10
`;
const MESH_YAML = `apiVersion: weft.io/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { trustDomain: weft.local }
`;

const brief = (issues: ValidationIssue[]) => issues.map((i) => `${i.document}:${i.line ?? "-"} ${i.path}: ${i.code}`);

function issuesOfText(text: string, format?: "yaml" | "json"): string[] {
  const result = parseResources(text, format);
  return result.ok ? [] : brief(result.issues);
}

describe("parseResources", () => {
  it("reads a multi-document YAML stream, skipping empty documents", () => {
    const result = parseResources(`---\n${ROUTE_YAML}---\n# nothing here\n---\n${MESH_YAML}`);
    expect(result.ok && result.value.map((r) => `${r.kind}/${r.metadata.name}`)).toEqual(["HTTPRoute/checkout", "Mesh/default"]);
  });

  it.each([
    ["a JSON object", JSON.stringify({ apiVersion: "weft.io/v1alpha1", kind: "Mesh", metadata: { name: "default" }, spec: { trustDomain: "weft.local" } }), 1],
    ["a JSON array", JSON.stringify([{ apiVersion: "weft.io/v1alpha1", kind: "Mesh", metadata: { name: "a" }, spec: { trustDomain: "weft.local" } }, { apiVersion: "weft.io/v1alpha1", kind: "Mesh", metadata: { name: "b" }, spec: { trustDomain: "weft.local" } }]), 2],
    ["JSON with leading whitespace", `\n  ${JSON.stringify({ apiVersion: "weft.io/v1alpha1", kind: "Mesh", metadata: { name: "default" }, spec: { trustDomain: "weft.local" } })}`, 1],
  ])("reads %s", (_name, text, count) => {
    const result = parseResources(text);
    expect(result.ok && result.value.length).toBe(count);
  });

  it.each<[string, string, string[]]>([
    ["malformed YAML, with its line in the stream", `${MESH_YAML}---\nkind: Mesh\nspec: [a, b\n`, ["1:8 : yaml_syntax"]],
    ["a duplicate YAML key", "kind: Mesh\nkind: Gateway\n", ["0:2 : yaml_syntax"]],
    ["a tab-indented block", "kind: Mesh\nmetadata:\n\tname: x\n", ["0:3 : yaml_syntax"]],
    ["an unknown kind", `${MESH_YAML}---\napiVersion: weft.io/v1alpha1\nkind: VirtualService\n`, ["1:7 kind: unknown_kind"]],
    ["a missing kind and apiVersion, at the document's line", "metadata: { name: x }\n", ["0:1 apiVersion: required", "0:1 kind: required"]],
    ["a scalar document", "just text\n", ["0:1 : invalid_type"]],
    ["a list document", "- a\n- b\n", ["0:1 : invalid_type"]],
    ["a wrong type, with its line", ROUTE_YAML.replace("weight: 10", "weight: ten"), ["0:16 spec.rules[0].backendRefs[1].weight: invalid_type"]],
    ["a missing field, at its parent's line", ROUTE_YAML.replace("        - name: checkout\n          version: v2", "        - version: v2"), ["0:14 spec.rules[0].backendRefs[1].name: required"]],
    ["an unknown field, with its line", ROUTE_YAML.replace("    - name: checkout\n  rules", "    - name: checkout\n      weight: 1\n  rules"), ["0:9 spec.parentRefs[0].weight: unknown_field"]],
    [
      "issues in several documents, in document order",
      `${ROUTE_YAML.replace("weight: 90", "weight: -1")}---\n${MESH_YAML.replace("weft.local", "Weft")}`,
      ["0:13 spec.rules[0].backendRefs[0].weight: too_small", "1:21 spec.trustDomain: invalid_trust_domain"],
    ],
    ["an alias bomb", `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`, ["0:- : yaml_syntax"]],
  ])("reports %s", (_name, text, expected) => {
    expect(issuesOfText(text)).toEqual(expected);
  });

  it.each<[string, string, string[]]>([
    ["malformed JSON", '{"kind": "Mesh",}', ["0:1 : json_syntax"]],
    ["a JSON scalar", "42", ["0:- : invalid_type"]],
    ["a bad element of a JSON array", JSON.stringify([{ apiVersion: "weft.io/v1alpha1", kind: "Mesh", metadata: { name: "a" }, spec: { trustDomain: "weft.local" } }, { kind: "Nope" }]), ["1:- apiVersion: required", "1:- kind: unknown_kind"]],
  ])("reports %s", (_name, text, expected) => {
    expect(issuesOfText(text, "json")).toEqual(expected);
  });

  it.each(["", "---", "\u0000\u0001", "{{{{", "[1,", "a: b: c", "!!binary x", "key: !custom tag", "%YAML 9.9\n---\na: 1", "? [a]\n: b", "x".repeat(10_000)])(
    "never throws on %j",
    (text) => {
      expect(() => parseResources(text)).not.toThrow();
      expect(() => parseResources(text, "json")).not.toThrow();
    },
  );

  it.each<[string, string, "yaml" | "json", string[]]>([
    ["a YAML \\0 escape", `${MESH_YAML}---\n${ROUTE_YAML.replace("name: checkout\n  namespace", 'name: "check\\0out"\n  namespace')}`, "yaml", ["1:9 metadata.name: nul_character"]],
    ["a YAML \\u0000 escape in a key", ROUTE_YAML.replace("spec:", 'metadata2: { "a\\u0000": 1 }\nspec:'), "yaml", ['0:6 metadata2["a\\u0000"]: nul_character']],
    ["a JSON \\u0000 escape", '{"apiVersion":"weft.io/v1alpha1","kind":"Mesh","metadata":{"name":"default"},"spec":{"trustDomain":"weft\\u0000.local"}}', "json", ["0:- spec.trustDomain: nul_character"]],
    ["a JSON lone surrogate escape", '[{"kind":"\\ud800"}]', "json", ["0:- kind: unpaired_surrogate"]],
  ])("refuses text PostgreSQL cannot store once parsed: %s", (_name, text, format, expected) => {
    expect(issuesOfText(text, format)).toEqual(expected);
  });

  it("treats an empty stream as no resources", () => {
    expect(parseResources("")).toEqual({ ok: true, value: [] });
  });
});

describe("serializeResource", () => {
  const route = make("HTTPRoute", "checkout", { parentRefs: [{ name: "checkout" }], rules: [{ matches: [{ path: { type: "Exact", value: "/a" } }], backendRefs: [{ name: "checkout", weight: 5 }], timeouts: { request: "1m30s" } }] });

  it.each(["yaml", "json"] as const)("round-trips through %s", (format) => {
    const text = serializeResource(route, format);
    expect(parseResources(text, format)).toEqual({ ok: true, value: [route] });
  });

  it("writes readable YAML with apiVersion and kind first and durations as written", () => {
    const text = serializeResource(route, "yaml");
    expect(text.startsWith("apiVersion: weft.io/v1alpha1\nkind: HTTPRoute\nmetadata:\n")).toBe(true);
    expect(text).toContain("request: 1m30s");
  });

  it("writes several resources as one stream", () => {
    const mesh = make("Mesh", "default", { trustDomain: "weft.local" });
    for (const format of ["yaml", "json"] as const) {
      const result = parseResources(serializeResources([route, mesh], format), format);
      expect(result).toEqual({ ok: true, value: [route, mesh] });
    }
  });
});

describe("validateResource and ValidationError", () => {
  it("validates a plain value without a document index", () => {
    const result = validateResource({ apiVersion: "weft.io/v1alpha1", kind: "Mesh", metadata: { name: "default" }, spec: { trustDomain: 7 } });
    expect(result).toEqual({ ok: false, issues: [{ path: "spec.trustDomain", message: "expected string, received number", code: "invalid_type" }] });
  });

  it("carries a code and every issue, and summarizes the first", () => {
    const error = new ValidationError("INVALID_RESOURCE", [
      { path: "spec.rules[0].backendRefs[1].weight", message: "must be between 0 and 1000000", code: "too_big", document: 2 },
      { path: "spec.rules[1]", message: "x", code: "y" },
    ]);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("INVALID_RESOURCE");
    expect(error.issues).toHaveLength(2);
    expect(error.message).toBe("document 3 spec.rules[0].backendRefs[1].weight: must be between 0 and 1000000 (and 1 more)");
  });
});
