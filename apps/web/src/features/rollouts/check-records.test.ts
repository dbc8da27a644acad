import { checkSummary } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { storedChecks, type CheckRecordLike } from "./check-records.ts";

const row = (over: Partial<CheckRecordLike>): CheckRecordLike => ({
  id: "1",
  attempt: 1,
  wave: 0,
  step: 1,
  at: new Date(0),
  windowFrom: null,
  windowTo: null,
  kind: "metric",
  name: "success-rate",
  cluster: "west",
  verdict: "fail",
  mode: "Blocking",
  query: "rollups shop/catalog v2 vs v1",
  values: {},
  threshold: null,
  sampleCount: 0,
  message: "why",
  ...over,
});

describe("storedChecks", () => {
  it.each([
    [
      "a metric keeps the values it judged",
      row({ values: { type: "SuccessRate", value: 95, stableValue: 99.9, samples: { canary: 200, stable: 1800 }, comparison: { limit: 1, unit: "points", difference: -4.9, effectSize: -0.31, verdict: "fail" }, warnings: [] }, threshold: { op: ">=", value: 99, unit: "%" }, sampleCount: 200 }),
      "95 % (≥ 99 %, -4.9 points vs stable; n=200/1800)",
    ],
    ["a webhook that timed out", row({ kind: "webhook", name: "smoke", query: "http://ci/smoke", values: { type: "rollout", status: null, attempts: 3, durationMs: 3000, error: "timed out after 1s" } }), "timed out after 1s after 3 attempts"],
    ["the error budget", row({ kind: "error-budget", name: "error-budget", verdict: "no-slo", values: { slos: [] }, message: "no SLO to read" }), "no SLO to read"],
  ])("%s", (_name, record, summary) => {
    const [stored] = storedChecks([record]);
    expect(stored && checkSummary(stored.check)).toBe(summary);
  });
});
