// PromQL over the proxies' own metrics (packages/proxy: edge-telemetry.ts
// and metrics.ts), shared by the exported Sloth-style rules and the manager's
// PromQL metric source so both read the same series the same way.
//
// Which series: `weft_requests_total` and `weft_request_duration_seconds`
// carry source_service, source_version, source_cluster,
// destination_service, destination_version, destination_cluster,
// response_code, response_flags, grpc_status, source_identity, mtls and
// reporter. A request between two meshed workloads is recorded twice, by the
// caller's proxy (reporter="source") and by the callee's (reporter=
// "destination"; with mTLS its source labels name the caller too, from the
// caller's peer metadata). Weft's rollups count the callers' side, so these
// queries do too (`reporter="source"`). The labels carry no
// destination namespace: two services of the same name in different
// namespaces cannot be told apart in Prometheus.
import type { CodeClass } from "../telemetry/telemetry.schema.ts";

/** The request counter and latency histogram the proxies expose. */
export const PROXY_REQUESTS_METRIC = "weft_requests_total";
export const PROXY_DURATION_METRIC = "weft_request_duration_seconds";

/** The proxies' histogram bucket bounds in seconds (packages/proxy's LATENCY_BUCKETS_SECONDS). */
export const PROXY_LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** response_code patterns of each response class (`other`: 0 for no response, 1xx for an opened upgrade). */
export const CODE_CLASS_PATTERN: Readonly<Record<CodeClass, string>> = { "2xx": "2..", "3xx": "3..", "4xx": "4..", "5xx": "5..", other: "0|1.." };

/** Which requests a query selects: those a service served, optionally narrowed to clusters and versions. */
export interface PromSelector {
  service: string;
  clusters?: readonly string[] | undefined;
  versions?: readonly string[] | undefined;
}

function escapeValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

/** Alternation of literal values for a `=~` matcher (names are DNS labels; escaped anyway). */
function alternation(values: readonly string[]): string {
  return values.map((v) => escapeValue(v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("|");
}

/** The label matchers of a selection, without braces: `destination_service="checkout",reporter="source"`. */
export function selectorMatchers(selector: PromSelector, extra: readonly string[] = []): string {
  const out = [`destination_service="${escapeValue(selector.service)}"`, 'reporter="source"'];
  if (selector.clusters?.length) out.push(`destination_cluster=~"${alternation(selector.clusters)}"`);
  if (selector.versions?.length) out.push(`destination_version=~"${alternation(selector.versions)}"`);
  return [...out, ...extra].join(",");
}

/** A matcher for response classes: `response_code=~"5..|0|1.."`. */
export function codeClassMatcher(classes: readonly CodeClass[]): string {
  return `response_code=~"${classes.map((c) => CODE_CLASS_PATTERN[c]).join("|")}"`;
}

/** How the histogram answers "requests that took at most T": one bucket, or a linear interpolation between two. */
export interface BucketPlan {
  /** `le` of the bucket at or below the threshold (null: below the first bucket, counted as 0). */
  lower: number | null;
  /** `le` of the bucket above it, when the threshold is between two bounds (null: exact, or above the last bound). */
  upper: number | null;
  /** Share of the (lower, upper] bucket counted as under the threshold. */
  fraction: number;
  /** Words for people: exact, interpolated, or everything. */
  note: string;
}

/**
 * Plans reading "took at most `thresholdMs`" from the proxies' histogram:
 * exact at a bucket bound; between two bounds, linear interpolation within
 * the bucket (assumes requests spread evenly in it: the error is at most
 * that bucket's share of requests); above the last bound, every request.
 */
export function bucketPlan(thresholdMs: number): BucketPlan {
  const t = thresholdMs / 1000;
  const buckets = PROXY_LATENCY_BUCKETS_SECONDS;
  const exact = buckets.find((b) => Math.abs(b - t) < 1e-12);
  if (exact !== undefined) return { lower: exact, upper: null, fraction: 0, note: `exact: ${thresholdMs} ms is a bucket bound` };
  const last = buckets[buckets.length - 1] as number;
  if (t > last) return { lower: null, upper: null, fraction: 1, note: `every request: ${thresholdMs} ms is above the largest bucket (${last * 1000} ms)` };
  const upperIndex = buckets.findIndex((b) => b > t);
  const upper = buckets[upperIndex] as number;
  const lower = upperIndex > 0 ? (buckets[upperIndex - 1] as number) : null;
  const from = lower ?? 0;
  return { lower, upper, fraction: (t - from) / (upper - from), note: `interpolated between the ${from * 1000} ms and ${upper * 1000} ms buckets (not a bucket bound)` };
}

/** `le` as the proxies write it (JavaScript number text); integers also match Prometheus 3's normalised "1.0". */
export function leMatcher(le: number): string {
  return Number.isInteger(le) ? `le=~"${le}|${le}\\\\.0"` : `le="${le}"`;
}

/**
 * PromQL for requests that took at most `thresholdMs`, with `wrap` turning a
 * series selector into a rate or increase expression, e.g.
 * `(s) => \`sum(rate(${s}[5m]))\``.
 */
export function underThresholdExpr(thresholdMs: number, matchers: string, wrap: (series: string) => string, total: string): string {
  const plan = bucketPlan(thresholdMs);
  const bucket = (le: number) => wrap(`${PROXY_DURATION_METRIC}_bucket{${matchers},${leMatcher(le)}}`);
  if (plan.lower === null && plan.upper === null) return total;
  if (plan.upper === null) return bucket(plan.lower as number);
  const lower = plan.lower === null ? "0" : bucket(plan.lower);
  const fraction = Number(plan.fraction.toPrecision(6));
  return `(${lower} + (${bucket(plan.upper)} - ${lower}) * ${fraction})`;
}
