import { formatPath, KIND_SCHEMAS } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildFormModel, type JsonSchema } from "./schema-form-model.ts";
import { cursorContext, rangeOfPath, suggestionsAt } from "./yaml-assist.ts";

const ROUTE = `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata:
  name: checkout
  namespace: shop
spec:
  parentRefs:
    - kind: Service
      name: checkout
  rules:
    - backendRefs:
        - kind: Service
          name: checkout
          weight: 90
        - kind: Service
          name: checkout
          weight: -5
`;

const model = buildFormModel(z.toJSONSchema(KIND_SCHEMAS.HTTPRoute as z.ZodType, { io: "input", unrepresentable: "any" }) as JsonSchema, "HTTPRoute");

/** The offset just after the first occurrence of `marker` (after `skip` earlier ones). */
const after = (text: string, marker: string, skip = 0) => {
  let at = -1;
  for (let i = 0; i <= skip; i++) at = text.indexOf(marker, at + 1);
  return at + marker.length;
};

describe("the YAML editor's schema assistance", () => {
  it("finds the text of the field an error names", () => {
    const range = rangeOfPath(ROUTE, "spec.rules[0].backendRefs[1].weight")!;
    expect(ROUTE.slice(range.from, range.to)).toBe("-5");
    // A missing field: its nearest ancestor's key.
    const missing = rangeOfPath(ROUTE, "spec.rules[0].matches[0].path")!;
    // The first line of the rule (its first key), where the missing list belongs.
    expect(ROUTE.slice(missing.from, missing.to)).toBe("backendRefs:");
    expect(rangeOfPath("a: [", "a")).toBeNull();
  });

  it.each([
    ["a top-level key being typed", "apiVersion: x\nki", { path: "", mode: "key" }],
    ["a key inside metadata", "metadata:\n  name: a\n  na", { path: "metadata", mode: "key" }],
    ["the value of a key in the second backend", ROUTE.slice(0, after(ROUTE, "kind: ", 3)), { path: "spec.rules[0].backendRefs[1].kind", mode: "value" }],
    ["a new item of a compact sequence", "spec:\n  rules:\n  - backendRefs: []\n  - ", { path: "spec.rules[1]", mode: "key" }],
    ["a key of the first rule", "spec:\n  rules:\n    - backendRefs: []\n      ", { path: "spec.rules[0]", mode: "key" }],
  ])("knows the path at %s", (_name, text, want) => {
    const context = cursorContext(text, text.length);
    expect({ path: formatPath(context.path), mode: context.mode }).toEqual(want);
  });

  it("completes keys the mapping does not have yet, with their help", () => {
    const text = "apiVersion: weft.io/v1alpha1\nkind: HTTPRoute\n";
    const s = suggestionsAt(model, text, text.length)!;
    const labels = s.options.map((o) => o.label);
    expect(labels).toContain("metadata");
    expect(labels).toContain("spec");
    expect(labels).not.toContain("kind");
    expect(s.options.find((o) => o.label === "spec")?.apply).toBe("spec: ");
  });

  it("completes enum values", () => {
    const text = ROUTE.slice(0, after(ROUTE, "kind: ", 2));
    const s = suggestionsAt(model, text, text.length)!;
    expect(s.options.map((o) => o.label)).toContain("Service");
  });
});
