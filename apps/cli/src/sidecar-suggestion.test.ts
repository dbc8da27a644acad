import type { EgressSuggestion } from "@weft/api";
import { describe, expect, it } from "vitest";
import { UsageError } from "./context.ts";
import { parseTarget, sinceWindow, summaryLines } from "./sidecar-suggestion.ts";

describe("parseTarget", () => {
  it.each([
    ["shop", { namespace: "shop" }],
    ["shop/frontend", { namespace: "shop", service: "frontend" }],
  ])("reads %s", (text, target) => {
    expect(parseTarget(text)).toEqual(target);
  });
  it.each(["Shop", "shop/", "shop/a/b", "/frontend", "shop/front end"])("refuses %s", (text) => {
    expect(() => parseTarget(text)).toThrow(UsageError);
  });
});

describe("sinceWindow", () => {
  const now = new Date("2026-01-08T00:00:00Z");
  it("ends now and starts --since before", () => {
    expect(sinceWindow("7d", now)).toMatchObject({ from: new Date("2026-01-01T00:00:00Z"), to: now });
  });
  it.each(["30s", "8d", "soon"])("refuses %s", (text) => {
    expect(() => sinceWindow(text, now)).toThrow(/--since must be a duration from 1m to 7d/);
  });
});

describe("summaryLines", () => {
  const at = new Date("2026-01-07T12:00:00Z");
  const base: EgressSuggestion = {
    document: { apiVersion: "weft.io/v1alpha1", kind: "Sidecar", metadata: { name: "frontend-egress", namespace: "shop" }, spec: { targetRef: { kind: "Service", name: "frontend" }, egress: { hosts: ["shop/reviews", "shop/stripe"] } } },
    callees: [
      { host: "shop/reviews", kind: "Service", requests: 15, lastSeen: at, clusters: ["east", "west"] },
      { host: "shop/stripe", kind: "ExternalService", requests: 3, lastSeen: at, clusters: [] },
    ],
    window: { from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-01-08T00:00:00Z"), coveredFrom: new Date("2026-01-07T00:00:00Z"), coveredTo: new Date("2026-01-08T00:00:00Z") },
    diff: null,
    notes: ["the telemetry covers only 24 hour(s)"],
  };

  it("comments every host with its evidence, and what applying does", () => {
    expect(summaryLines(base)).toEqual([
      "# egress of shop/frontend seen 2026-01-07T00:00:00.000Z … 2026-01-08T00:00:00.000Z:",
      "#   shop/reviews  15 requests, last 2026-01-07T12:00:00.000Z (east, west)",
      "#   shop/stripe  3 requests, last 2026-01-07T12:00:00.000Z (ExternalService)",
      "# no Sidecar scopes shop/frontend yet: applying creates shop/frontend-egress",
      "# note: the telemetry covers only 24 hour(s)",
    ]);
  });

  it("shows the hosts added and removed against the Sidecar in force", () => {
    const lines = summaryLines({ ...base, diff: { against: "shop/mine", added: ["shop/stripe"], removed: ["shop/ratings"], unchanged: ["shop/reviews"] } });
    expect(lines).toContain("# against shop/mine: 1 added, 1 removed");
    expect(lines).toContain("#   + shop/stripe");
    expect(lines).toContain("#   - shop/ratings");
  });
});
