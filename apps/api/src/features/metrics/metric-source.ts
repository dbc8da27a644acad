// The one metric-source interface (ARCHITECTURE.md, data flow 5): SLO
// evaluation, canary analysis, charts and tickets read service traffic
// through it. Two adapters implement it: the per-minute rollups in
// PostgreSQL (the embedded default) and PromQL against a
// Prometheus-compatible server. Neither consumer knows which one it has.
import type { CodeClass } from "@weft/mesh-model";

/** Which requests: those served by one service, optionally narrowed to versions and clusters. */
export interface ServiceSelector {
  namespace: string;
  service: string;
  /** Destination versions (the serving endpoints' `version` label); every version when absent. */
  versions?: readonly string[];
  /** Destination clusters; every cluster when absent. */
  clusters?: readonly string[];
}

/** Dimensions a window can be split by. */
export type MetricGroupKey = "cluster" | "version";

export interface WindowQuery {
  selector: ServiceSelector;
  /** Start of the window (inclusive). */
  from: Date;
  /** End of the window (exclusive). */
  to: Date;
  /** One sample per distinct value of these dimensions; one sample for the whole selection when empty or absent. */
  groupBy?: readonly MetricGroupKey[];
  /** Response classes that count as errors; default `["5xx", "other"]` (`other`: no HTTP response). */
  errorClasses?: readonly CodeClass[];
  /** Latency thresholds in milliseconds: each sample counts the requests that took at most that long. */
  latencyThresholdsMs?: readonly number[];
  /** Latency quantiles to estimate, each in (0, 1), e.g. 0.99. */
  quantiles?: readonly number[];
}

/** Traffic of one group over one window, with how it was obtained (verdicts must be explainable). */
export interface WindowSample {
  /** The group's values for the requested `groupBy` dimensions. */
  group: { cluster?: string; version?: string };
  requests: number;
  /** Requests in the query's error classes. */
  errors: number;
  /** Threshold (ms) → requests that took at most that long; every requested threshold is present. */
  underThreshold: Record<number, number>;
  /** Quantile → latency in ms; null without latency samples. Every requested quantile is present. */
  quantiles: Record<number, number | null>;
  /** The part of [from, to) that holds data, so rates divide by covered time, not by the window. */
  covered: { from: Date; to: Date } | null;
}

/** A window's samples and the query text that produced them (SQL description or PromQL), stored with verdicts. */
export interface WindowResult {
  samples: WindowSample[];
  query: string;
}

export interface SeriesQuery extends WindowQuery {
  /** Step between points in milliseconds (a multiple of 60,000). */
  stepMs: number;
}

export interface SeriesResult {
  points: Array<{ at: Date; samples: WindowSample[] }>;
  query: string;
}

/** Where telemetry comes from: `rollups` (PostgreSQL) or `prometheus` (PromQL). */
export interface MetricSource {
  readonly kind: "rollups" | "prometheus";
  /** Totals over [from, to), per group. */
  window(query: WindowQuery): Promise<WindowResult>;
  /** Totals per step over [from, to), per group (charts, burn-down). */
  series(query: SeriesQuery): Promise<SeriesResult>;
}
