import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";
import { matchesPathPattern } from "./authorization-policy.schema.ts";

const policy = (spec: Record<string, unknown>) => doc("AuthorizationPolicy", { targetRef: { name: "checkout" }, action: "ALLOW", ...spec });

describe("AuthorizationPolicy schema", () => {
  it.each([
    ["allow-nothing", policy({})],
    [
      "identities, namespaces, clusters and operations",
      policy({
        targetRef: { name: "checkout", ports: [8080] },
        rules: [
          { from: { identities: ["spiffe://weft.local/ns/shop/sa/frontend", "spiffe://weft.local/ns/ops/*", "*/sa/monitor"] } },
          { from: { namespaces: ["shop"], clusters: ["east"] }, to: { methods: ["GET"], paths: ["/api/*", "*.json", "/healthz"], headers: [{ name: "x-role", values: ["admin"] }] } },
          {},
        ],
      }),
    ],
    ["a DENY", policy({ action: "DENY", rules: [{ from: { namespaces: ["untrusted"] } }] })],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ["no action", doc("AuthorizationPolicy", { targetRef: { name: "checkout" } }), ["spec.action: required"]],
    ["an unknown action", policy({ action: "REJECT" }), ["spec.action: invalid_value"]],
    ["a service account instead of an identity", policy({ rules: [{ from: { identities: ["frontend"] } }] }), ["spec.rules[0].from.identities[0]: invalid_identity"]],
    ["a wildcard in the middle", policy({ rules: [{ from: { identities: ["spiffe://weft.local/ns/*/sa/x"] } }] }), ["spec.rules[0].from.identities[0]: invalid_identity"]],
    ["an empty from", policy({ rules: [{ from: {} }] }), ["spec.rules[0].from: empty_condition"]],
    ["an empty to", policy({ rules: [{ to: { methods: [] } }] }), ["spec.rules[0].to: empty_condition"]],
    ["a path pattern without a slash", policy({ rules: [{ to: { paths: ["api/*"] } }] }), ["spec.rules[0].to.paths[0]: invalid_path_pattern"]],
    ["a header without values", policy({ rules: [{ to: { headers: [{ name: "x", values: [] }] } }] }), ["spec.rules[0].to.headers[0].values: too_small"]],
    ["a duplicate port", policy({ targetRef: { name: "checkout", ports: [80, 80] } }), ["spec.targetRef.ports[1]: duplicate"]],
  ])("rejects %s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });

  it.each([
    ["/api/*", "/api/items", true],
    ["/api/*", "/apix", false],
    ["*.json", "/a/b.json", true],
    ["/healthz", "/healthz/x", false],
    ["*", "/anything", true],
  ])("path pattern %s matches %s: %s", (pattern, path, matches) => {
    expect(matchesPathPattern(pattern, path)).toBe(matches);
  });
});
