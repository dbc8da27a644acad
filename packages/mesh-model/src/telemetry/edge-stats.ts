// Summaries of per-minute edge rollups for the dashboard: rates, error
// percentages and latency percentiles from merged sketches.
import { LatencySketch, type LatencySketchData } from "../proxy-config/latency-sketch.ts";

/** One stored rollup (one minute, one edge, one response class) as the summaries read it. */
export interface EdgeRollup {
  minute: number;
  requests: number;
  errors: number;
  latency: LatencySketchData;
}

/** Traffic over a window. */
export interface TrafficStats {
  requests: number;
  errors: number;
  /** Requests per second over the window. */
  rate: number;
  /** Errors as a percentage of requests; 0 without requests. */
  errorPercent: number;
  /** Latency percentiles in milliseconds; null without latency samples. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** Merges the sketches of several rollups (sketches of a different accuracy are skipped). */
export function mergeSketches(sketches: readonly LatencySketchData[]): LatencySketch | null {
  let merged: LatencySketch | null = null;
  for (const s of sketches) {
    if (s.count === 0) continue;
    if (!merged) merged = new LatencySketch(s.relativeAccuracy);
    if (s.relativeAccuracy === merged.relativeAccuracy) merged.merge(s);
  }
  return merged;
}

/** Totals, rate over `windowSeconds` and percentiles of a set of rollups. */
export function summarizeTraffic(rollups: readonly EdgeRollup[], windowSeconds: number): TrafficStats {
  const requests = rollups.reduce((n, r) => n + r.requests, 0);
  const errors = rollups.reduce((n, r) => n + r.errors, 0);
  const sketch = mergeSketches(rollups.map((r) => r.latency));
  const q = (p: number) => (sketch && sketch.count > 0 ? sketch.quantile(p) : null);
  return {
    requests,
    errors,
    rate: windowSeconds > 0 ? requests / windowSeconds : 0,
    errorPercent: requests > 0 ? (errors / requests) * 100 : 0,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
  };
}

/** Buckets of `stepMs` from `from` (inclusive) to `to` (exclusive), each summarised; empty buckets have zero traffic. */
export function trafficSeries(rollups: readonly EdgeRollup[], from: number, to: number, stepMs: number): ({ at: number } & TrafficStats)[] {
  const buckets = new Map<number, EdgeRollup[]>();
  for (const r of rollups) {
    if (r.minute < from || r.minute >= to) continue;
    const at = from + Math.floor((r.minute - from) / stepMs) * stepMs;
    buckets.set(at, [...(buckets.get(at) ?? []), r]);
  }
  const out: ({ at: number } & TrafficStats)[] = [];
  for (let at = from; at < to; at += stepMs) out.push({ at, ...summarizeTraffic(buckets.get(at) ?? [], Math.min(stepMs, to - at) / 1000) });
  return out;
}
