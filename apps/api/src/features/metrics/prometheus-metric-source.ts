// The PromQL adapter of the metric-source interface, for meshes whose
// telemetry lives in a Prometheus-compatible server (Prometheus, Thanos,
// Mimir) scraping the proxies' /metrics. It reads the same requests as the
// rollups (the callers' side, mesh-model promql.ts) with increase() over the
// window. Differences a user should know, also in each result's query text:
// increase() extrapolates to the window's edges, the proxies' metrics carry
// no destination namespace, latency thresholds between histogram buckets are
// interpolated, and coverage is the whole window whenever it has requests.
import { PROXY_DURATION_METRIC, PROXY_REQUESTS_METRIC, codeClassMatcher, selectorMatchers, underThresholdExpr, type CodeClass } from "@weft/mesh-model";
import type { MetricGroupKey, MetricSource, SeriesQuery, SeriesResult, WindowQuery, WindowResult, WindowSample } from "./metric-source.ts";

const LABEL: Record<MetricGroupKey, string> = { cluster: "destination_cluster", version: "destination_version" };
const DEFAULT_ERROR_CLASSES: readonly CodeClass[] = ["5xx", "other"];

/** Prometheus answered with an error, or could not be reached. */
export class PrometheusQueryError extends Error {
  override readonly name = "PrometheusQueryError";
}

interface VectorSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface PrometheusSourceOptions {
  /** Base URL of the HTTP API, e.g. http://prometheus:9090 (Thanos Query and Mimir's /prometheus prefix work too). */
  url: string;
  /** Per query. */
  timeoutMs?: number;
  /** Extra headers (e.g. Authorization, X-Scope-OrgID for Mimir). */
  headers?: Record<string, string>;
}

export class PrometheusMetricSource implements MetricSource {
  readonly kind = "prometheus" as const;

  constructor(private readonly options: PrometheusSourceOptions) {}

  private async get(path: string, params: Record<string, string>): Promise<VectorSample[]> {
    const url = `${this.options.url.replace(/\/$/, "")}${path}?${new URLSearchParams(params).toString()}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: this.options.headers ?? {}, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    } catch (err) {
      throw new PrometheusQueryError(`Prometheus at ${this.options.url} did not answer: ${err instanceof Error ? err.message : String(err)}`);
    }
    const body = (await res.json().catch(() => null)) as { status?: string; error?: string; data?: { resultType: string; result: VectorSample[] } } | null;
    if (!res.ok || body?.status !== "success" || !body.data) throw new PrometheusQueryError(`Prometheus refused the query (${res.status}): ${body?.error ?? "no answer"}`);
    return body.data.result;
  }

  /** The expressions of a query, each summing over the window (`[range]`) by the group labels. */
  private expressions(query: WindowQuery, range: string) {
    const by = (query.groupBy ?? []).map((k) => LABEL[k]);
    const matchers = selectorMatchers(query.selector);
    const sumIncrease = (series: string) => `sum by (${by.join(", ")}) (increase(${series}[${range}]))`;
    const total = sumIncrease(`${PROXY_REQUESTS_METRIC}{${matchers}}`);
    const errors = sumIncrease(`${PROXY_REQUESTS_METRIC}{${matchers},${codeClassMatcher(query.errorClasses ?? DEFAULT_ERROR_CLASSES)}}`);
    const durationTotal = sumIncrease(`${PROXY_DURATION_METRIC}_count{${matchers}}`);
    const thresholds = (query.latencyThresholdsMs ?? []).map((t) => [t, underThresholdExpr(t, matchers, sumIncrease, durationTotal)] as const);
    const quantiles = (query.quantiles ?? []).map(
      (q) => [q, `1000 * histogram_quantile(${q}, sum by (${[...by, "le"].join(", ")}) (rate(${PROXY_DURATION_METRIC}_bucket{${matchers}}[${range}])))`] as const,
    );
    return { by, total, errors, thresholds, quantiles };
  }

  async window(query: WindowQuery): Promise<WindowResult> {
    const seconds = Math.max(60, Math.round((query.to.getTime() - query.from.getTime()) / 1000));
    const e = this.expressions(query, `${seconds}s`);
    const time = String(query.to.getTime() / 1000);
    const instant = (expr: string) => this.get("/api/v1/query", { query: expr, time });
    const [total, errors, ...rest] = await Promise.all([instant(e.total), instant(e.errors), ...e.thresholds.map(([, x]) => instant(x)), ...e.quantiles.map(([, x]) => instant(x))]);
    const samples = assemble(query, e.by, total ?? [], errors ?? [], rest, (v) => v.value, { from: query.from, to: query.to });
    return { samples, query: describe(e) };
  }

  async series(query: SeriesQuery): Promise<SeriesResult> {
    const step = Math.round(query.stepMs / 1000);
    const e = this.expressions(query, `${step}s`);
    // A point at `at` covers [at, at + step): Prometheus evaluates increase(...[step]) at its end.
    const range = { start: String(query.from.getTime() / 1000 + step), end: String(query.to.getTime() / 1000), step: `${step}s` };
    const ranged = (expr: string) => this.get("/api/v1/query_range", { query: expr, ...range });
    const [total, errors, ...rest] = await Promise.all([ranged(e.total), ranged(e.errors), ...e.thresholds.map(([, x]) => ranged(x)), ...e.quantiles.map(([, x]) => ranged(x))]);
    const points: SeriesResult["points"] = [];
    for (let at = query.from.getTime(); at < query.to.getTime(); at += query.stepMs) {
      const t = at / 1000 + step;
      const pick = (v: VectorSample) => v.values?.find(([ts]) => Math.abs(ts - t) < 0.5);
      points.push({ at: new Date(at), samples: assemble(query, e.by, total ?? [], errors ?? [], rest, pick, { from: new Date(at), to: new Date(Math.min(query.to.getTime(), at + query.stepMs)) }) });
    }
    return { points, query: describe(e) };
  }
}

function describe(e: { total: string; errors: string; thresholds: readonly (readonly [number, string])[]; quantiles: readonly (readonly [number, string])[] }): string {
  return [
    `prometheus (increase() extrapolates to the window's edges; no destination namespace label)`,
    `requests: ${e.total}`,
    `errors: ${e.errors}`,
    ...e.thresholds.map(([t, x]) => `under ${t} ms: ${x}`),
    ...e.quantiles.map(([q, x]) => `p${q * 100}: ${x}`),
  ].join("\n");
}

/** One sample per group present in the totals, with the other series' values for the same group. */
function assemble(
  query: WindowQuery,
  by: readonly string[],
  total: VectorSample[],
  errors: VectorSample[],
  rest: VectorSample[][],
  valueOf: (v: VectorSample) => [number, string] | undefined,
  window: { from: Date; to: Date },
): WindowSample[] {
  const key = (metric: Record<string, string>) => JSON.stringify(by.map((l) => metric[l] ?? ""));
  const number = (v: VectorSample | undefined) => {
    const raw = v ? valueOf(v)?.[1] : undefined;
    const n = raw === undefined ? NaN : Number(raw);
    return Number.isFinite(n) ? n : null;
  };
  const index = (list: VectorSample[]) => new Map(list.map((v) => [key(v.metric), v]));
  const errorsBy = index(errors);
  const thresholds = (query.latencyThresholdsMs ?? []).map((t, i) => [t, index(rest[i] ?? [])] as const);
  const quantiles = (query.quantiles ?? []).map((q, i) => [q, index(rest[thresholds.length + i] ?? [])] as const);
  const out: WindowSample[] = [];
  for (const v of total) {
    const requests = number(v);
    if (requests === null) continue;
    const k = key(v.metric);
    const group: WindowSample["group"] = {};
    if (by.includes(LABEL.cluster)) group.cluster = v.metric[LABEL.cluster] ?? "";
    if (by.includes(LABEL.version)) group.version = v.metric[LABEL.version] ?? "";
    out.push({
      group,
      requests,
      errors: number(errorsBy.get(k)) ?? 0,
      underThreshold: Object.fromEntries(thresholds.map(([t, m]) => [t, number(m.get(k)) ?? 0])),
      quantiles: Object.fromEntries(quantiles.map(([q, m]) => [q, number(m.get(k))])),
      covered: requests > 0 ? window : null,
    });
  }
  return out;
}
