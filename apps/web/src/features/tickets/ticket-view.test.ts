import { describe, expect, it } from "vitest";
import { changeRows, errorLevel, miniTopology, statusBadge, traceHref, type TicketContextLike } from "./ticket-view.ts";

const context: TicketContextLike = {
  capturedAt: "2026-12-06T12:00:00.000Z",
  service: { namespace: "shop", name: "catalog" },
  neighbourhood: {
    self: { namespace: "shop", service: "catalog", requests: 600, errors: 75, errorPercent: 12.5 },
    callers: [{ namespace: "shop", service: "frontend", requests: 600, errors: 75, errorPercent: 12.5 }],
    callees: [
      { namespace: "shop", service: "inventory", requests: 300, errors: 0, errorPercent: 0 },
      { namespace: "billing", service: "ledger", requests: 20, errors: 1, errorPercent: 5 },
    ],
  },
  changes: [
    { kind: "HTTPRoute", namespace: "shop", name: "catalog", revision: 3, action: "update", author: "alice", at: "2026-12-06T11:48:00.000Z", message: "shift to v2", link: "http://dashboard.test/x" },
    { kind: "TrafficPolicy", namespace: "shop", name: "catalog", revision: 1, action: "create", author: "bob", at: "2026-12-06T09:00:00.000Z", message: "", link: "http://dashboard.test/y" },
  ],
  exemplars: [{ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", at: "2026-12-06T11:59:00.000Z", service: "shop/catalog", name: "GET /items", statusCode: 503, durationMs: 3, link: "http://dashboard.test/z" }],
};

describe("ticket context", () => {
  it("lays out callers, the service and callees in three columns, coloured by error rate", () => {
    const { nodes, edges, height } = miniTopology(context);
    expect(height).toBe(2 * 56 + 24);
    expect(nodes.map((n) => [n.label, n.role, n.level, Math.round(n.x), Math.round(n.y)])).toEqual([
      ["frontend", "caller", "critical", 77, 68],
      ["catalog", "self", "critical", 320, 68],
      ["inventory", "callee", "ok", 563, 40],
      ["billing/ledger", "callee", "critical", 563, 96],
    ]);
    expect(edges.map((e) => `${e.from} -> ${e.to} ${e.label}`)).toEqual([
      "caller:shop/frontend -> self:shop/catalog 12.5 %",
      "self:shop/catalog -> callee:shop/inventory 0.0 %",
      "self:shop/catalog -> callee:billing/ledger 5.0 %",
    ]);
  });

  it("has nothing to draw without a neighbourhood", () => expect(miniTopology({ ...context, neighbourhood: null }).nodes).toEqual([]));

  it("lists the changes latest first, timed against the breach, with a link to the diff", () => {
    const rows = changeRows(context);
    expect(rows.map((r) => [r.name, r.author, r.when])).toEqual([
      ["catalog", "alice", "12 min before"],
      ["catalog", "bob", "3 h before"],
    ]);
    expect(rows[0]?.href).toBe("/policies/edit?kind=HTTPRoute&namespace=shop&name=catalog&revision=3");
  });

  it.each([
    [0, 0, "idle"],
    [100, 0.5, "ok"],
    [100, 1, "warning"],
    [100, 5, "critical"],
  ] as const)("%s requests at %s %% errors is %s", (requests, errors, level) => expect(errorLevel(errors, requests)).toBe(level));

  it("links traces and badges statuses", () => {
    expect(traceHref(context.exemplars[0]!, { namespace: "shop", name: "catalog" })).toBe("/services/detail?service=shop%2Fcatalog&trace=4bf92f3577b34da6a3ce929d0e0e4736");
    expect(statusBadge("ACKNOWLEDGED")).toEqual({ label: "acknowledged", level: "warning" });
  });
});
