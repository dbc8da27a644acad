// The verdict of one analysis interval, pure: the canary's and the stable
// version's traffic per cluster in, one check per metric and scope out, each
// with the numbers it judged (values, threshold, samples, effect size), so a
// stored verdict explains itself. "No data" is its own verdict: below the
// minimum request volume nothing passes and nothing fails, the step holds.
import { durationMs } from "../common/duration.ts";
import type { RolloutMetric } from "./rollout.schema.ts";

/** Kayenta's guidance: a comparison on fewer samples than this per side is weak. */
export const MIN_COMPARISON_SAMPLES = 50;

/** One version's requests in one cluster over the window. */
export interface VersionTraffic {
  requests: number;
  /** Requests that failed (5xx or no response). */
  errors: number;
  /** Latency percentiles in ms; null without latency samples. */
  p95Ms: number | null;
  p99Ms: number | null;
}

/** What the analysis read for one interval. */
export interface AnalysisWindow {
  from: Date;
  to: Date;
  /** Per cluster (the destination endpoints' cluster): the canary's and the stable version's traffic. */
  clusters: Record<string, { canary: VersionTraffic; stable: VersionTraffic }>;
  /** The query that produced the numbers (SQL description or PromQL), stored with every check. */
  query: string;
}

export type CheckVerdict = "pass" | "fail" | "no-data";

/** The canary compared with the stable version over the same window. */
export interface StableComparison {
  /** The configured limit: percentage points below stable (success rate) or percent above stable (latency). */
  limit: number;
  unit: "points" | "percent";
  /** Canary minus stable: points (success rate) or percent of stable (latency). Positive is worse for latency, negative is worse for success rate. */
  difference: number;
  /** Standardised effect size: Cohen's h for success rates; the latency ratio canary/stable − 1. */
  effectSize: number;
  verdict: "pass" | "fail";
}

/** One metric judged in one scope: everything a reader needs to redo the judgement. */
export interface MetricCheck {
  kind: "metric";
  name: string;
  type: RolloutMetric["type"];
  mode: "Blocking" | "Advisory";
  /** null: all clusters of the interval together; otherwise one cluster (the per-cluster guard). */
  cluster: string | null;
  verdict: CheckVerdict;
  /** The canary's value: success rate in percent, or latency in ms; null without samples. */
  value: number | null;
  stableValue: number | null;
  threshold: { op: ">=" | "<="; value: number; unit: "%" | "ms" };
  samples: { canary: number; stable: number };
  comparison: StableComparison | null;
  warnings: string[];
  /** One line: why this verdict. */
  reason: string;
}

export interface IntervalVerdict {
  verdict: CheckVerdict;
  checks: MetricCheck[];
  /** Canary requests in the window, all clusters. */
  canaryRequests: number;
  reason: string;
}

const EMPTY: VersionTraffic = { requests: 0, errors: 0, p95Ms: null, p99Ms: null };

function successRate(t: VersionTraffic): number | null {
  return t.requests > 0 ? ((t.requests - t.errors) / t.requests) * 100 : null;
}

function latency(t: VersionTraffic, type: "LatencyP99" | "LatencyP95"): number | null {
  return type === "LatencyP99" ? t.p99Ms : t.p95Ms;
}

/** Cohen's h between two proportions (0–1): 0.2 small, 0.5 medium, 0.8 large. */
export function cohensH(p1: number, p2: number): number {
  return 2 * Math.asin(Math.sqrt(Math.min(1, Math.max(0, p1)))) - 2 * Math.asin(Math.sqrt(Math.min(1, Math.max(0, p2))));
}

/**
 * Sums per-cluster traffic. Percentiles cannot be summed: the merged value is
 * the request-weighted mean of the clusters' percentiles (an approximation;
 * the adapters return exact merged percentiles when asked for all clusters at
 * once, which is what the controller stores in the "all clusters" entry).
 */
export function mergeTraffic(parts: readonly VersionTraffic[]): VersionTraffic {
  const requests = parts.reduce((a, p) => a + p.requests, 0);
  const errors = parts.reduce((a, p) => a + p.errors, 0);
  const weighted = (pick: (p: VersionTraffic) => number | null) => {
    const known = parts.filter((p) => pick(p) !== null && p.requests > 0);
    const n = known.reduce((a, p) => a + p.requests, 0);
    return n === 0 ? null : known.reduce((a, p) => a + (pick(p) as number) * p.requests, 0) / n;
  };
  return { requests, errors, p95Ms: weighted((p) => p.p95Ms), p99Ms: weighted((p) => p.p99Ms) };
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

function judgeMetric(metric: RolloutMetric, canary: VersionTraffic, stable: VersionTraffic, cluster: string | null, enoughData: boolean, minRequests: number): MetricCheck {
  const samples = { canary: canary.requests, stable: stable.requests };
  const warnings: string[] = [];
  const base = { kind: "metric" as const, name: metric.name, type: metric.type, mode: metric.mode, cluster, samples };
  const isRate = metric.type === "SuccessRate";
  const value = isRate ? successRate(canary) : latency(canary, metric.type);
  const stableValue = isRate ? successRate(stable) : latency(stable, metric.type);
  const threshold = isRate ? { op: ">=" as const, value: metric.min, unit: "%" as const } : { op: "<=" as const, value: durationMs(metric.max), unit: "ms" as const };
  const shown = (v: number | null) => (v === null ? "none" : isRate ? `${round(v, 2)} %` : `${round(v, 1)} ms`);
  if (!enoughData || value === null) {
    const reason = !enoughData
      ? `no data: ${canary.requests} canary request${canary.requests === 1 ? "" : "s"}, fewer than the ${minRequests} an interval needs`
      : "no data: the canary has no latency samples";
    return { ...base, verdict: "no-data", value: value === null ? null : round(value), stableValue: stableValue === null ? null : round(stableValue), threshold, comparison: null, warnings, reason };
  }
  const thresholdOk = threshold.op === ">=" ? value >= threshold.value : value <= threshold.value;
  let comparison: StableComparison | null = null;
  const limit = isRate ? metric.maxDropVsStable : metric.maxIncreaseVsStable;
  if (limit !== undefined && stableValue !== null) {
    if (canary.requests < MIN_COMPARISON_SAMPLES || stable.requests < MIN_COMPARISON_SAMPLES)
      warnings.push(`fewer than ${MIN_COMPARISON_SAMPLES} samples (canary ${canary.requests}, stable ${stable.requests}): the comparison with stable is weak`);
    if (isRate) {
      const difference = value - stableValue;
      comparison = { limit, unit: "points", difference: round(difference), effectSize: round(cohensH(value / 100, stableValue / 100), 4), verdict: -difference > limit ? "fail" : "pass" };
    } else {
      const ratio = stableValue > 0 ? value / stableValue - 1 : value > 0 ? Number.POSITIVE_INFINITY : 0;
      const difference = Number.isFinite(ratio) ? ratio * 100 : 1e9;
      comparison = { limit, unit: "percent", difference: round(difference, 1), effectSize: Number.isFinite(ratio) ? round(ratio, 4) : 1e9, verdict: difference > limit ? "fail" : "pass" };
    }
  } else if (limit !== undefined) {
    warnings.push("no stable traffic in the window: compared with the threshold only");
  }
  const failed = !thresholdOk || comparison?.verdict === "fail";
  const parts = [`${shown(value)} ${thresholdOk ? "meets" : "misses"} ${threshold.op} ${threshold.value}${threshold.unit === "%" ? " %" : " ms"}`];
  if (comparison)
    parts.push(
      `${comparison.unit === "points" ? `${round(comparison.difference, 2)} points vs stable ${shown(stableValue)}` : `${round(comparison.difference, 1)} % vs stable ${shown(stableValue)}`} (limit ${comparison.unit === "points" ? `−${limit} points` : `+${limit} %`}: ${comparison.verdict})`,
    );
  return { ...base, verdict: failed ? "fail" : "pass", value: round(value), stableValue: stableValue === null ? null : round(stableValue), threshold, comparison, warnings, reason: parts.join("; ") };
}

/**
 * Judges one interval. Below `minRequests` canary requests (all clusters
 * together) every check is "no data" and so is the interval. Otherwise each
 * metric is judged over all clusters, and — when the interval spans several
 * clusters — in every cluster that has `minRequests` canary requests of its
 * own (the per-cluster guard: one cluster failing fails the metric). A
 * blocking check failing fails the interval; advisory checks are recorded
 * and never fail it.
 */
export function judgeInterval(metrics: readonly RolloutMetric[], minRequests: number, window: AnalysisWindow, overall?: { canary: VersionTraffic; stable: VersionTraffic }): IntervalVerdict {
  const clusters = Object.keys(window.clusters).sort();
  const all = overall ?? {
    canary: mergeTraffic(clusters.map((c) => window.clusters[c]?.canary ?? EMPTY)),
    stable: mergeTraffic(clusters.map((c) => window.clusters[c]?.stable ?? EMPTY)),
  };
  const enough = all.canary.requests >= minRequests;
  const checks: MetricCheck[] = [];
  for (const metric of metrics) {
    checks.push(judgeMetric(metric, all.canary, all.stable, null, enough, minRequests));
    if (!enough || clusters.length < 2) continue;
    for (const cluster of clusters) {
      const traffic = window.clusters[cluster];
      if (!traffic || traffic.canary.requests < minRequests) continue;
      checks.push(judgeMetric(metric, traffic.canary, traffic.stable, cluster, true, minRequests));
    }
  }
  if (!enough)
    return { verdict: "no-data", checks, canaryRequests: all.canary.requests, reason: `no data: ${all.canary.requests} canary requests in the interval, fewer than ${minRequests}` };
  const blocking = checks.filter((c) => c.verdict === "fail" && c.mode === "Blocking");
  const advisory = checks.filter((c) => c.verdict === "fail" && c.mode === "Advisory");
  if (blocking.length > 0)
    return { verdict: "fail", checks, canaryRequests: all.canary.requests, reason: blocking.map((c) => `${c.name}${c.cluster ? ` in ${c.cluster}` : ""}: ${c.reason}`).join("; ") };
  const note = advisory.length > 0 ? ` (advisory failing: ${advisory.map((c) => `${c.name}${c.cluster ? ` in ${c.cluster}` : ""}`).join(", ")})` : "";
  return { verdict: "pass", checks, canaryRequests: all.canary.requests, reason: `every blocking check passed${note}` };
}
