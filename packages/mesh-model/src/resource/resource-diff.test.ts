import { describe, expect, it } from "vitest";
import { diffDocuments } from "./resource-diff.ts";

describe("diffDocuments", () => {
  it.each<[string, unknown, unknown, unknown[]]>([
    ["identical values", { a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }, []],
    ["a creation", undefined, { a: 1 }, [{ op: "add", path: "", value: { a: 1 } }]],
    ["a deletion", { a: 1 }, undefined, [{ op: "remove", path: "", value: { a: 1 } }]],
    [
      "a changed weight deep in a route",
      { spec: { rules: [{ backendRefs: [{ weight: 90 }, { weight: 10 }] }] } },
      { spec: { rules: [{ backendRefs: [{ weight: 50 }, { weight: 50 }] }] } },
      [
        { op: "replace", path: "spec.rules[0].backendRefs[0].weight", from: 90, to: 50 },
        { op: "replace", path: "spec.rules[0].backendRefs[1].weight", from: 10, to: 50 },
      ],
    ],
    ["an added field", { spec: {} }, { spec: { timeout: "1s" } }, [{ op: "add", path: "spec.timeout", value: "1s" }]],
    ["a removed array tail", { xs: [1, 2, 3] }, { xs: [1] }, [{ op: "remove", path: "xs[1]", value: 2 }, { op: "remove", path: "xs[2]", value: 3 }]],
    ["a type change", { a: { b: 1 } }, { a: [1] }, [{ op: "replace", path: "a", from: { b: 1 }, to: [1] }]],
    ["a label key that is not an identifier", { labels: {} }, { labels: { "app.kubernetes.io/name": "x" } }, [{ op: "add", path: 'labels["app.kubernetes.io/name"]', value: "x" }]],
  ])("reports %s", (_name, before, after, expected) => {
    expect(diffDocuments(before, after)).toEqual(expected);
  });
});
