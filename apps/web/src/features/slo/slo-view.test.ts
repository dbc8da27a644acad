import { describe, expect, it } from "vitest";
import { alertHistory, burnBars, burnDown, formatBudget, formatExhaustion, formatSli, sliSeries, sloHealth, sortSlos, type SloAlertLike, type SloRowLike } from "./slo-view.ts";

const at = new Date("2026-12-06T12:00:00Z");
const status = (budgetRemaining: number | null, sli: number | null = 0.999) => ({ scope: "", sli, requests: 1000, budgetRemaining, burnRates: {}, currentWindow: "1h", exhaustsAt: null, evaluatedAt: at });
const alert = (severity: string, state: SloAlertLike["state"], extra: Partial<SloAlertLike> = {}): SloAlertLike => ({ scope: "", pair: severity === "page" ? "1h/5m" : "3d/6h", severity, state, longBurn: 1, shortBurn: 1, threshold: 14.4, since: at, ...extra });
const row = (name: string, budget: number | null, alerts: SloAlertLike[] = [], sli: number | null = 0.999): SloRowLike => ({
  namespace: "shop",
  name,
  service: { namespace: "shop", name },
  objective: 99.9,
  window: "30d",
  indicator: { type: "availability" },
  statuses: [status(budget, sli)],
  alerts,
});

describe("SLO health at a glance", () => {
  it.each<[string, SloRowLike, string, string]>([
    ["a firing page", row("a", 0.9, [alert("page", "FIRING")]), "critical", "paging"],
    ["an overspent budget", row("a", -0.1), "critical", "budget spent"],
    ["a firing ticket", row("a", 0.5, [alert("ticket", "FIRING")]), "warning", "burning"],
    ["a pending alert", row("a", 0.5, [alert("page", "PENDING")]), "warning", "pending"],
    ["little budget left", row("a", 0.2), "warning", "at risk"],
    ["plenty left", row("a", 0.8, [alert("page", "RESOLVED")]), "ok", "ok"],
    ["no requests yet", row("a", null, [], null), "unknown", "no data"],
  ])("%s", (_name, r, level, label) => expect(sloHealth(r)).toEqual({ level, label }));

  it("sorts the worst first", () => {
    const rows = [row("fine", 0.9), row("paging", 0.8, [alert("page", "FIRING")]), row("risky", 0.1), row("riskier", 0.05)];
    expect(sortSlos(rows).map((r) => r.name)).toEqual(["paging", "riskier", "risky", "fine"]);
  });
});

describe("numbers as people read them", () => {
  it.each([
    [0.99934, "99.934 %"],
    [0.9712, "97.12 %"],
    [1, "100 %"],
    [null, "—"],
  ])("SLI %s is %s", (sli, text) => expect(formatSli(sli)).toBe(text));

  it.each([
    [0.734, "73 %"],
    [-0.12, "−12 %"],
    [null, "—"],
  ])("budget %s is %s", (b, text) => expect(formatBudget(b)).toBe(text));

  it.each([
    [new Date(at.getTime() + 3 * 86_400_000 + 4 * 3_600_000), 0.5, "in 3d 4h"],
    [new Date(at.getTime() + 2 * 3_600_000 + 10 * 60_000), 0.5, "in 2h 10m"],
    [new Date(at.getTime() + 5 * 60_000), 0.5, "in 5m"],
    [null, 0.5, "not burning"],
    [null, -0.2, "spent"],
  ])("exhaustion at %s with %s left: %s", (when, left, text) => expect(formatExhaustion(when, left, at.getTime())).toBe(text));
});

describe("burn rate per window against the threshold", () => {
  it("draws both windows of each pair, the threshold at half the bar", () => {
    const [page] = burnBars([alert("page", "FIRING", { longBurn: 21.6, shortBurn: 7.2 })]);
    expect(page).toEqual({
      pair: "1h/5m",
      severity: "page",
      state: "FIRING",
      bars: [
        { window: "1h", burn: 21.6, threshold: 14.4, fill: 0.75, thresholdAt: 0.5, over: true },
        { window: "5m", burn: 7.2, threshold: 14.4, fill: 0.25, thresholdAt: 0.5, over: false },
      ],
    });
  });

  it("keeps per-cluster alerts apart", () => {
    expect(burnBars([alert("page", "FIRING", { scope: "east" })], "")).toEqual([]);
    expect(burnBars([alert("page", "FIRING", { scope: "east" })], "east")).toHaveLength(1);
  });
});

describe("burn-down and SLI series", () => {
  const points = [
    { at: new Date(0), requests: 1000, bad: 0 },
    { at: new Date(3_600_000), requests: 1000, bad: 1 },
    { at: new Date(7_200_000), requests: 0, bad: 0 },
    { at: new Date(10_800_000), requests: 2000, bad: 2 },
  ];

  it("spends the window's budget as bad requests arrive, ending at the budget left", () => {
    // 4000 requests at 99.9 % allow 4 bad ones; 3 were bad: 25 % left.
    expect(burnDown(points, 99.9)).toEqual({ x: [0, 3600, 7200, 10800], remaining: [100, 75, 75, 25] });
  });

  it("shows no SLI where a step had no requests, and the objective as a line", () => {
    expect(sliSeries(points, 99.9)).toEqual({ x: [0, 3600, 7200, 10800], sli: [100, 99.9, null, 99.9], objective: [99.9, 99.9, 99.9, 99.9] });
  });

  it("lists the alert history newest first, with words", () => {
    const rows = alertHistory([
      { at: new Date(1000), pair: "1h/5m", scope: "", severity: "page", from: "INACTIVE", to: "FIRING", reason: "burning 20× over 1h, 30× over 5m (threshold 14.4×)", budgetRemaining: 0.97 },
      { at: new Date(2000), pair: "1h/5m", scope: "", severity: "page", from: "FIRING", to: "RESOLVED", reason: "burning 9× over 1h, 0× over 5m (threshold 14.4×)", budgetRemaining: 0.95 },
    ]);
    expect(rows.map((r) => [r.what, r.where, r.budget])).toEqual([
      ["resolved", "mesh-wide", "95 %"],
      ["fired", "mesh-wide", "97 %"],
    ]);
  });
});
