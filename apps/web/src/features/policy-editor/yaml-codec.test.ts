import { describe, expect, it } from "vitest";
import { fromYaml, toYaml } from "./yaml-codec.ts";

const route = {
  apiVersion: "weft.io/v1alpha1",
  kind: "HTTPRoute",
  metadata: { name: "checkout", namespace: "shop", labels: { "app.kubernetes.io/name": "checkout" } },
  spec: {
    parentRefs: [{ name: "checkout" }],
    rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "checkout", version: "v1", weight: 90 }, { name: "checkout", version: "v2", weight: 10 }] }],
  },
};

describe("YAML round trip", () => {
  it.each<[string, unknown]>([
    ["a route", route],
    ["strings that look like other types", { a: "true", b: "010", c: "1e3", d: "", e: "null", f: "- x" }],
    ["nested empties", { a: [], b: {}, c: [{}] }],
  ])("%s survives form → YAML → form", (_name, value) => {
    const parsed = fromYaml(toYaml(value));
    expect(parsed).toEqual({ ok: true, value });
  });

  it("keeps key order", () => {
    expect(toYaml(route).split("\n").slice(0, 3)).toEqual(["apiVersion: weft.io/v1alpha1", "kind: HTTPRoute", "metadata:"]);
  });
});

describe("fromYaml errors", () => {
  it.each<[string, string, number | null]>([
    ["a tab-indented line", "kind: HTTPRoute\nspec:\n\trules: []\n", 3],
    ["duplicate keys", "kind: a\nkind: b\n", 2],
    ["a list, not a resource", "- a\n- b\n", 1],
    ["a scalar", "hello", 1],
  ])("%s", (_name, text, line) => {
    const parsed = fromYaml(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.line).toBe(line);
  });
});
