import { describe, expect, it } from "vitest";
import { cohensH, judgeInterval, type AnalysisWindow, type VersionTraffic } from "./rollout-analysis.ts";
import type { RolloutMetric } from "./rollout.schema.ts";

const t = (requests: number, errors = 0, p99Ms: number | null = 40, p95Ms: number | null = 20): VersionTraffic => ({ requests, errors, p99Ms, p95Ms });
const window = (clusters: AnalysisWindow["clusters"]): AnalysisWindow => ({ from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-01-01T00:01:00Z"), clusters, query: "rollups: shop/catalog by version, cluster" });
const success: RolloutMetric = { name: "success", type: "SuccessRate", min: 99, maxDropVsStable: 1, mode: "Blocking" };
const p99: RolloutMetric = { name: "p99", type: "LatencyP99", max: "100ms", maxIncreaseVsStable: 50, mode: "Blocking" };
const advisoryP99: RolloutMetric = { ...p99, name: "p99-advisory", mode: "Advisory" };

describe("judgeInterval", () => {
  it.each<[string, RolloutMetric[], AnalysisWindow["clusters"], "pass" | "fail" | "no-data", string]>([
    ["a healthy canary passes", [success, p99], { east: { canary: t(200, 0), stable: t(800, 1) } }, "pass", "every blocking check passed"],
    ["5 % errors fail the threshold", [success], { east: { canary: t(200, 10), stable: t(800, 0) } }, "fail", "success: 95 % misses >= 99 %"],
    ["too few requests are no data, not a pass", [success], { east: { canary: t(12, 0), stable: t(800, 0) } }, "no-data", "no data: 12 canary requests in the interval, fewer than 50"],
    ["too few requests are no data, not a fail", [success], { east: { canary: t(12, 12), stable: t(800, 0) } }, "no-data", "no data"],
    ["worse than stable by more than the limit fails", [{ ...success, min: 90 }], { east: { canary: t(400, 12), stable: t(4000, 4) } }, "fail", "-2.9 points vs stable 99.9 %"],
    ["latency above the threshold fails", [p99], { east: { canary: t(200, 0, 180), stable: t(800, 0, 170) } }, "fail", "p99: 180 ms misses <= 100 ms"],
    ["latency 3× the stable's fails the comparison", [{ ...p99, max: "1s" }], { east: { canary: t(200, 0, 120), stable: t(800, 0, 40) } }, "fail", "200 % vs stable 40 ms"],
    ["an advisory metric failing does not fail the interval", [success, advisoryP99], { east: { canary: t(200, 0, 400), stable: t(800, 0, 40) } }, "pass", "advisory failing: p99-advisory"],
    ["one cluster failing fails the shared interval", [success], { east: { canary: t(900, 0), stable: t(900, 0) }, west: { canary: t(100, 10), stable: t(900, 0) } }, "fail", "success in west: 90 %"],
    ["a cluster with too little traffic of its own is not judged alone", [success], { east: { canary: t(900, 0), stable: t(900, 0) }, west: { canary: t(20, 2), stable: t(900, 0) } }, "pass", "every blocking check passed"],
  ])("%s", (_name, metrics, clusters, verdict, reason) => {
    const result = judgeInterval(metrics, 50, window(clusters));
    expect(result.verdict).toBe(verdict);
    expect(result.reason).toContain(reason);
  });

  it("stores the numbers each check judged: value, threshold, samples, the comparison and its effect size", () => {
    const [check] = judgeInterval([success], 50, window({ east: { canary: t(400, 12), stable: t(4000, 4) } })).checks;
    expect(check).toEqual({
      kind: "metric",
      name: "success",
      type: "SuccessRate",
      mode: "Blocking",
      cluster: null,
      verdict: "fail",
      value: 97,
      stableValue: 99.9,
      threshold: { op: ">=", value: 99, unit: "%" },
      samples: { canary: 400, stable: 4000 },
      comparison: { limit: 1, unit: "points", difference: -2.9, effectSize: expect.closeTo(cohensH(0.97, 0.999), 3), verdict: "fail" },
      warnings: [],
      reason: expect.stringContaining("97 % misses >= 99 %"),
    });
  });

  it("warns when a comparison rests on fewer than 50 samples a side", () => {
    const result = judgeInterval([success], 10, window({ east: { canary: t(20, 0), stable: t(30, 0) } }));
    expect(result.checks[0]?.warnings).toEqual(["fewer than 50 samples (canary 20, stable 30): the comparison with stable is weak"]);
  });

  it("judges the threshold alone when stable has no traffic (a fully promoted wave)", () => {
    const result = judgeInterval([success], 50, window({ east: { canary: t(500, 0), stable: t(0, 0, null, null) } }));
    expect(result.verdict).toBe("pass");
    expect(result.checks[0]?.comparison).toBeNull();
    expect(result.checks[0]?.warnings).toEqual(["no stable traffic in the window: compared with the threshold only"]);
  });

  it("a latency check without latency samples is no data", () => {
    const result = judgeInterval([p99], 50, window({ east: { canary: t(100, 0, null), stable: t(100, 0) } }));
    expect(result.checks[0]?.verdict).toBe("no-data");
    expect(result.verdict).toBe("pass");
  });

  it("uses the exact merged percentiles when the adapter gives them", () => {
    const clusters = { east: { canary: t(100, 0, 50), stable: t(100, 0, 50) }, west: { canary: t(100, 0, 90), stable: t(100, 0, 50) } };
    const overall = { canary: t(200, 0, 88), stable: t(200, 0, 50) };
    expect(judgeInterval([{ ...p99, maxIncreaseVsStable: undefined }], 50, window(clusters), overall).checks[0]?.value).toBe(88);
  });
});
