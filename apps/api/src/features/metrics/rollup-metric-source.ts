// The rollups adapter of the one metric-source interface: the per-minute
// edge rollups (EdgeMinute) and, for hours the downsampler has completed,
// the hourly ones (ServiceHour), both summed over callers by destination.
// Latency thresholds and quantiles come from the merged sketches.
import { countAtMost, type CodeClass } from "@weft/mesh-model";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import type { MetricGroupKey, MetricSource, SeriesQuery, SeriesResult, WindowQuery, WindowResult, WindowSample } from "./metric-source.ts";
import { rowEnd, type MetricsRepository, type RollupFilter } from "./metrics.repository.ts";
import { HOUR_MS, MINUTE_MS, planRollupReads } from "./rollup-plan.ts";

const DEFAULT_ERROR_CLASSES: readonly CodeClass[] = ["5xx", "other"];

interface Accumulator {
  group: { cluster?: string; version?: string };
  requests: number;
  errors: number;
  sketch: LatencySketch | null;
  first: number;
  last: number;
}

function groupOf(groupBy: readonly MetricGroupKey[], cluster: string, version: string): { key: string; group: { cluster?: string; version?: string } } {
  const group: { cluster?: string; version?: string } = {};
  if (groupBy.includes("cluster")) group.cluster = cluster;
  if (groupBy.includes("version")) group.version = version;
  return { key: JSON.stringify([group.cluster, group.version]), group };
}

/** Reads the rollups through a repository: the manager's, or a unit of work's (a controller step reads inside its transaction). */
export class RollupMetricSource implements MetricSource {
  readonly kind = "rollups" as const;

  constructor(private readonly repo: Pick<MetricsRepository, "sums" | "sketches" | "watermark">) {}

  async window(query: WindowQuery): Promise<WindowResult> {
    const stepMs = Math.max(MINUTE_MS, query.to.getTime() - query.from.getTime());
    const { points, description } = await this.read(query, stepMs, true);
    return { samples: points.get(0) ?? [], query: description };
  }

  async series(query: SeriesQuery): Promise<SeriesResult> {
    if (query.stepMs < MINUTE_MS || query.stepMs % MINUTE_MS !== 0) throw new RangeError("stepMs must be a multiple of 60000");
    // Hourly rows would pile a whole hour into one point of a finer series: finer steps read minutes only.
    const { points, description } = await this.read(query, query.stepMs, query.stepMs % HOUR_MS === 0);
    const out: SeriesResult["points"] = [];
    for (let at = query.from.getTime(), i = 0; at < query.to.getTime(); at += query.stepMs, i++) out.push({ at: new Date(at), samples: points.get(i) ?? [] });
    return { points: out, query: description };
  }

  /** Samples per step bucket (0-based from `from`), reading each segment of the rollup plan. */
  private async read(query: WindowQuery, stepMs: number, useHours: boolean): Promise<{ points: Map<number, WindowSample[]>; description: string }> {
    const from = query.from.getTime();
    const to = query.to.getTime();
    const groupBy = query.groupBy ?? [];
    const errorClasses = new Set(query.errorClasses ?? DEFAULT_ERROR_CLASSES);
    const wantsLatency = (query.latencyThresholdsMs?.length ?? 0) > 0 || (query.quantiles?.length ?? 0) > 0;
    const watermark = useHours ? await this.repo.watermark() : null;
    const segments = planRollupReads(from, to, watermark?.getTime() ?? null);
    const buckets = new Map<number, Map<string, Accumulator>>();
    const accumulator = (bucket: number, cluster: string, version: string): Accumulator => {
      const { key, group } = groupOf(groupBy, cluster, version);
      let groups = buckets.get(bucket);
      if (!groups) buckets.set(bucket, (groups = new Map()));
      let acc = groups.get(key);
      if (!acc) groups.set(key, (acc = { group, requests: 0, errors: 0, sketch: null, first: Infinity, last: -Infinity }));
      return acc;
    };
    for (const segment of segments) {
      const filter: RollupFilter = { namespace: query.selector.namespace, service: query.selector.service, clusters: query.selector.clusters, versions: query.selector.versions, from: new Date(segment.from), to: new Date(segment.to) };
      for (const s of await this.repo.sums(segment.table, filter, from, stepMs)) {
        const acc = accumulator(s.bucket, s.cluster, s.version);
        acc.requests += s.requests;
        if (errorClasses.has(s.codeClass as CodeClass)) acc.errors += s.requests;
        acc.first = Math.min(acc.first, s.first.getTime());
        acc.last = Math.max(acc.last, rowEnd(segment.table, s.last));
      }
      if (!wantsLatency) continue;
      for (const row of await this.repo.sketches(segment.table, filter, from, stepMs)) {
        if (row.latency.count === 0) continue;
        const acc = accumulator(row.bucket, row.cluster, row.version);
        acc.sketch ??= new LatencySketch(row.latency.relativeAccuracy);
        // Sketches of another accuracy cannot merge; none are written today.
        if (row.latency.relativeAccuracy === acc.sketch.relativeAccuracy) acc.sketch.merge(row.latency);
      }
    }
    const points = new Map<number, WindowSample[]>();
    for (const [bucket, groups] of buckets) {
      const bucketFrom = from + bucket * stepMs;
      const bucketTo = Math.min(to, bucketFrom + stepMs);
      points.set(
        bucket,
        [...groups.values()].map((acc) => {
          const sketch = acc.sketch?.toJSON();
          return {
            group: acc.group,
            requests: acc.requests,
            errors: acc.errors,
            underThreshold: Object.fromEntries((query.latencyThresholdsMs ?? []).map((t) => [t, sketch ? countAtMost(sketch, t) : 0])),
            quantiles: Object.fromEntries((query.quantiles ?? []).map((q) => [q, acc.sketch && acc.sketch.count > 0 ? acc.sketch.quantile(q) : null])),
            covered: acc.requests > 0 ? { from: new Date(Math.max(bucketFrom, acc.first)), to: new Date(Math.min(bucketTo, acc.last)) } : null,
          };
        }),
      );
    }
    const where = [`${query.selector.namespace}/${query.selector.service}`, query.selector.clusters?.length ? `clusters ${query.selector.clusters.join(",")}` : "", query.selector.versions?.length ? `versions ${query.selector.versions.join(",")}` : ""].filter(Boolean).join(" ");
    const description = `rollups: requests to ${where} (callers' side), ${segments.map((s) => `${s.table === "hour" ? "ServiceHour" : "EdgeMinute"} [${new Date(s.from).toISOString()}, ${new Date(s.to).toISOString()})`).join(" + ")}; errors ${[...errorClasses].join(",")}${groupBy.length ? `; by ${groupBy.join(",")}` : ""}`;
    return { points, description };
  }
}
