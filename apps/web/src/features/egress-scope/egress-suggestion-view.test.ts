import type { EgressSuggestion } from "@weft/api";
import { describe, expect, it } from "vitest";
import { calleeRows, editorQuery, suggestionSummary } from "./egress-suggestion-view.ts";

const at = new Date("2026-01-07T12:00:00Z");
const suggestion: EgressSuggestion = {
  document: { apiVersion: "weft.io/v1alpha1", kind: "Sidecar", metadata: { name: "frontend-egress", namespace: "shop" }, spec: { targetRef: { kind: "Service", name: "frontend" }, egress: { hosts: ["shop/checkout", "shop/reviews", "shop/stripe"] } } },
  callees: [
    { host: "shop/checkout", kind: "Service", requests: 40, lastSeen: at, clusters: ["east"] },
    { host: "shop/reviews", kind: "Service", requests: 15, lastSeen: at, clusters: ["east", "west"] },
    { host: "shop/stripe", kind: "ExternalService", requests: 3, lastSeen: at, clusters: [] },
  ],
  window: { from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-01-08T00:00:00Z"), coveredFrom: new Date("2026-01-01T00:00:00Z"), coveredTo: new Date("2026-01-08T00:00:00Z") },
  diff: null,
  notes: [],
};
const withDiff: EgressSuggestion = {
  ...suggestion,
  document: { ...suggestion.document, metadata: { name: "frontend-scope", namespace: "shop" } },
  diff: { against: "shop/frontend-scope", added: ["shop/stripe"], removed: ["shop/ratings"], unchanged: ["shop/checkout", "shop/reviews"] },
};

describe("calleeRows", () => {
  it("lists every host busiest first, with where the calls went", () => {
    expect(calleeRows(suggestion).map((r) => [r.host, r.requests, r.where, r.change])).toEqual([
      ["shop/checkout", 40, "east", "new"],
      ["shop/reviews", 15, "east, west", "new"],
      ["shop/stripe", 3, "external", "new"],
    ]);
  });
  it("marks the hosts the Sidecar in force lacks", () => {
    expect(calleeRows(withDiff).map((r) => [r.host, r.change])).toEqual([
      ["shop/checkout", "kept"],
      ["shop/reviews", "kept"],
      ["shop/stripe", "added"],
    ]);
  });
});

describe("suggestionSummary", () => {
  it.each([
    [suggestion, "A new Sidecar shop/frontend-egress would scope shop/frontend to the 3 hosts it called; any other call would answer 404."],
    [withDiff, "Updating shop/frontend-scope would add 1 and remove 1 host (3 hosts in all)."],
    [{ ...withDiff, diff: { against: "shop/frontend-scope", added: [], removed: [], unchanged: ["shop/checkout"] } }, "shop/frontend-scope already lists exactly the 3 hosts shop/frontend called."],
  ])("%#", (s, text) => {
    expect(suggestionSummary(s)).toBe(text);
  });
});

describe("editorQuery", () => {
  it("opens a new Sidecar as a draft, and an existing one as an edit diffed against the stored revision", () => {
    expect(editorQuery(suggestion, "abc")).toEqual({ kind: "Sidecar", namespace: "shop", draft: "abc" });
    expect(editorQuery(withDiff, "abc")).toEqual({ kind: "Sidecar", namespace: "shop", draft: "abc", name: "frontend-scope" });
  });
});
