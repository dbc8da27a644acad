import { describe, expect, it } from "vitest";
import { auditInput, parseAuditFilters } from "./audit-query.ts";

const window = { from: new Date(1_000), to: new Date(2_000) };

describe("parseAuditFilters", () => {
  it.each([
    ["", { actor: "", action: "", target: "", outcome: "" }],
    ["actor=admin&action=resources.*&target=%20shop%20&outcome=DENIED", { actor: "admin", action: "resources.*", target: "shop", outcome: "DENIED" }],
    ["outcome=MAYBE", { actor: "", action: "", target: "", outcome: "" }],
  ])("%s", (query, expected) => expect(parseAuditFilters(new URLSearchParams(query))).toEqual(expected));
});

describe("auditInput", () => {
  it.each([
    ["no filters, first page", parseAuditFilters(new URLSearchParams("")), null, { from: window.from, to: window.to, limit: 50 }],
    [
      "all filters, next page",
      parseAuditFilters(new URLSearchParams("actor=a&action=b&target=c&outcome=FAILURE")),
      42n,
      { actor: "a", action: "b", target: "c", outcome: "FAILURE", from: window.from, to: window.to, before: 42n, limit: 50 },
    ],
  ] as const)("%s", (_name, filters, before, expected) => expect(auditInput(filters, window, before)).toEqual(expected));
});
