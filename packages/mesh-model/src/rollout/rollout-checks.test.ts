import { describe, expect, it } from "vitest";
import { checkSummary, errorBudgetOutcome, webhookOutcome, type RolloutCheck } from "./rollout-checks.ts";

describe("checkSummary", () => {
  it.each<[string, RolloutCheck, string]>([
    [
      "a latency check with a comparison",
      { kind: "metric", name: "p99", type: "LatencyP99", mode: "Blocking", cluster: null, verdict: "pass", value: 48, stableValue: 40, threshold: { op: "<=", value: 100, unit: "ms" }, samples: { canary: 120, stable: 900 }, comparison: { limit: 50, unit: "percent", difference: 20, effectSize: 0.2, verdict: "pass" }, warnings: [], reason: "" },
      "48 ms (≤ 100 ms, 20 % vs stable; n=120/900)",
    ],
    [
      "a success rate without samples",
      { kind: "metric", name: "s", type: "SuccessRate", mode: "Advisory", cluster: "east", verdict: "no-data", value: null, stableValue: null, threshold: { op: ">=", value: 99, unit: "%" }, samples: { canary: 0, stable: 0 }, comparison: null, warnings: [], reason: "" },
      "no samples (≥ 99 %; n=0/0)",
    ],
    ["a webhook answering 500", { kind: "webhook", name: "w", type: "confirm-promotion", url: "http://x", verdict: "fail", status: 500, attempts: 1, durationMs: 3, error: null, reason: "" }, "HTTP 500 after 1 attempt"],
    ["the error budget", { kind: "error-budget", name: "error-budget", verdict: "fail", slos: [], reason: "burning 16.2× over 1h" }, "burning 16.2× over 1h"],
  ])("%s", (_name, check, expected) => {
    expect(checkSummary(check)).toBe(expected);
  });

  it("turns stored checks back into what the plan decides on", () => {
    expect(webhookOutcome({ kind: "webhook", name: "w", type: "rollback", url: "http://x", verdict: "pass", status: 200, attempts: 1, durationMs: 3, error: null, reason: "" })).toEqual({ name: "w", type: "rollback", ok: true, status: 200, attempts: 1, error: null });
    expect(errorBudgetOutcome({ kind: "error-budget", name: "error-budget", verdict: "no-slo", slos: [], reason: "no SLO" })).toEqual({ verdict: "no-slo", reason: "no SLO" });
  });
});
