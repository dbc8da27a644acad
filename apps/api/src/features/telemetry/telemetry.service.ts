import { edgeKey, LatencySketchDataSchema, trafficSeries, type EdgeEnd, type ParsedEdgeDelta, type TrafficStats } from "@weft/mesh-model";
import { LatencySketch, SketchMismatchError } from "@weft/mesh-model/proxy-config";
import type { AgentPrincipal } from "../../access.ts";
import { forbidden, invalid } from "../../errors.ts";
import type { UnitOfWork } from "../../unit-of-work.ts";
import type { EdgeMinuteDelta, EdgeMinuteRow, TelemetryRepository } from "./telemetry.repository.ts";
import type { LatencySketchDataInput } from "./telemetry.types.ts";
import { groupTraffic, type StatsGroupBy, type TrafficGroup } from "./traffic-groups.ts";
import type { ControlPlaneMetrics } from "../control-plane/control-plane-metrics.ts";

export interface TelemetrySettings {
  /** Rollups older than this are deleted. */
  retentionDays: number;
  /** How far in the future (agent clock skew) a minute may lie. */
  maxFutureMs: number;
}

export const DEFAULT_TELEMETRY_SETTINGS: TelemetrySettings = { retentionDays: 7, maxFutureMs: 5 * 60_000 };

/** Traffic of one edge over a window, all response classes together. */
export interface EdgeStats extends TrafficStats {
  source: EdgeEnd;
  destination: EdgeEnd;
  /** Requests per response class. */
  byClass: Record<string, number>;
  /** Every request of the window went over mutual TLS (true), some did not (false); null without requests. */
  mtls: boolean | null;
  /** Share of the window's requests that were mTLS, 0–100; null without requests. */
  mtlsPercent: number | null;
}

const MINUTE = 60_000;
const floorMinute = (d: Date) => new Date(Math.floor(d.getTime() / MINUTE) * MINUTE);
const ceilMinute = (d: Date) => new Date(Math.ceil(d.getTime() / MINUTE) * MINUTE);

/**
 * The part of [from, to) that data covers: from the first recorded minute
 * (or `from` without data) to `to` or `now`, whichever is earlier; at least
 * one minute, so a window that began this instant does not divide by zero.
 */
export function coveredSpan(from: Date, to: Date, firstMinute: Date | null, now: Date): { from: Date; seconds: number } {
  const start = firstMinute && firstMinute > from ? firstMinute : from;
  const end = Math.min(to.getTime(), Math.max(now.getTime(), start.getTime()));
  return { from: start, seconds: Math.max(60, (end - start.getTime()) / 1000) };
}

/** Merges a delta's sketch into a stored one with the proxy's own merge. */
function mergeSketch(stored: LatencySketchDataInput, delta: LatencySketchDataInput): LatencySketchDataInput {
  const sketch = LatencySketch.fromJSON(stored);
  sketch.merge(delta);
  return sketch.toJSON();
}

/** Per-minute edge rollups: agents' deltas in, dashboard summaries out. */
export class TelemetryService {
  private lastPrune = 0;
  /**
   * Merges of this replica run one at a time. The SQL is safe across
   * replicas on its own (insert-if-missing, then row locks in key order);
   * queuing here keeps a replica's own reports from waiting on each other's
   * locks.
   */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: TelemetryRepository,
    private readonly uow: UnitOfWork,
    private readonly settings: TelemetrySettings = DEFAULT_TELEMETRY_SETTINGS,
    private readonly now: () => Date = () => new Date(),
    private readonly metrics?: Pick<ControlPlaneMetrics, "telemetryReported">,
  ) {}

  /**
   * Merges an agent's edge deltas into the minute rollups. An agent reports
   * only traffic its own cluster's proxies saw leaving (source in its
   * cluster) or arriving from outside the mesh (empty source cluster,
   * destination in its cluster): anything naming another cluster as its
   * own side is refused, and nothing of the report is written.
   */
  /**
   * Merges an agent's report. Reports carrying `seq` are applied at most
   * once per cluster: a seq not above the last applied one is a retry of a
   * report already counted (`duplicate: true`, nothing changes).
   */
  async report(agent: AgentPrincipal, edges: readonly ParsedEdgeDelta[], seq?: number): Promise<{ rows: number; duplicate: boolean }> {
    const now = this.now().getTime();
    const oldest = now - this.settings.retentionDays * 86_400_000;
    edges.forEach((e, i) => {
      const own = e.source.cluster === agent.cluster || (e.source.cluster === "" && e.destination.cluster === agent.cluster);
      if (!own) throw forbidden(`edges[${i}].source.cluster: cluster "${agent.cluster}" may report only its own traffic, not "${e.source.cluster || e.destination.cluster}"'s`);
      if (e.minute < oldest || e.minute > now + this.settings.maxFutureMs) throw invalid("minute is outside the retention window or in the future", `edges[${i}].minute`);
    });
    // One delta per row: several deltas of the same minute and edge in a report are merged first.
    const merged = new Map<string, EdgeMinuteDelta>();
    edges.forEach((e, i) => {
      const key = edgeKey(e);
      const id = `${e.minute}|${key}`;
      const existing = merged.get(id);
      if (!existing) {
        merged.set(id, { minute: new Date(e.minute), edgeKey: key, source: e.source, destination: e.destination, codeClass: e.codeClass, requests: e.requests, errors: e.errors, mtlsRequests: e.mtlsRequests, latency: e.latency });
        return;
      }
      existing.requests += e.requests;
      existing.errors += e.errors;
      existing.mtlsRequests += e.mtlsRequests;
      existing.latency = this.safeMerge(existing.latency, e.latency, `edges[${i}].latency.relativeAccuracy`);
    });
    const run = this.queue.then(() =>
      this.uow.run(
        (tx) => tx.telemetry.mergeDeltas([...merged.values()], (a, b) => this.safeMerge(a, b, "edges.latency.relativeAccuracy"), seq === undefined ? undefined : { clusterId: agent.clusterId, seq }),
        { timeoutMs: 60_000 },
      ),
    );
    this.queue = run.catch(() => undefined);
    const rows = await run.catch((err: unknown) => {
      this.metrics?.telemetryReported(edges.length, "failed");
      throw err;
    });
    this.metrics?.telemetryReported(edges.length, rows === null ? "duplicate" : "stored");
    if (rows === null) return { rows: 0, duplicate: true };
    if (now - this.lastPrune > 10 * MINUTE) {
      this.lastPrune = now;
      await this.repo.prune(new Date(oldest));
    }
    return { rows, duplicate: false };
  }

  private safeMerge(a: LatencySketchDataInput, b: LatencySketchDataInput, path: string): LatencySketchDataInput {
    try {
      return LatencySketchDataSchema.parse(mergeSketch(a, b));
    } catch (err) {
      if (err instanceof SketchMismatchError) throw invalid(err.message, path);
      throw err;
    }
  }

  /** Every edge with traffic in [from, to): rate, error percentage and latency percentiles. */
  async edges(query: { from: Date; to: Date; cluster?: string | undefined; namespace?: string | undefined }): Promise<{ from: Date; to: Date; coveredFrom: Date; coveredSeconds: number; edges: EdgeStats[] }> {
    const { from, to, rows, seconds, coveredFrom } = await this.window(query);
    const edges = groupTraffic(rows, "edge", seconds).map(({ source, destination, byClass, mtlsPercent, requests, errors, rate, errorPercent, p50, p90, p99 }) => ({
      source: source as EdgeEnd,
      destination,
      requests,
      errors,
      rate,
      errorPercent,
      p50,
      p90,
      p99,
      byClass,
      // true: every request of the window was mTLS; false: some were plaintext; null: no requests.
      mtls: mtlsPercent === null ? null : mtlsPercent === 100,
      mtlsPercent,
    }));
    return { from, to, coveredFrom, coveredSeconds: seconds, edges };
  }

  /**
   * The window's traffic per service, workload, cluster (what serves it) or
   * edge, with p50/p95/p99 from the merged sketches: the numbers of `weft stat`.
   */
  async stats(query: { from: Date; to: Date; groupBy: StatsGroupBy; cluster?: string | undefined; namespace?: string | undefined }): Promise<{ from: Date; to: Date; coveredFrom: Date; coveredSeconds: number; groupBy: StatsGroupBy; groups: TrafficGroup[] }> {
    const { from, to, rows, seconds, coveredFrom } = await this.window(query);
    return { from, to, coveredFrom, coveredSeconds: seconds, groupBy: query.groupBy, groups: groupTraffic(rows, query.groupBy, seconds) };
  }

  /**
   * The window's rows, and the seconds its rates are over: the time the
   * mesh's data covers (from the first minute any traffic was recorded in
   * the window, to the window's end or now, whichever is earlier). A rate
   * divided by a whole hour when the mesh reported only its last minutes
   * would read far below what is flowing; the cover is mesh-wide, so a
   * filtered view and the whole mesh divide by the same time.
   */
  private async window(query: { from: Date; to: Date; cluster?: string | undefined; namespace?: string | undefined }) {
    const from = floorMinute(query.from);
    const to = ceilMinute(query.to);
    if (to <= from) throw invalid("must be after from", "to");
    const [rows, first] = await Promise.all([this.repo.rows({ from, to, cluster: query.cluster, namespace: query.namespace }), this.repo.firstMinute({ from, to })]);
    const covered = coveredSpan(from, to, first, this.now());
    return { from, to, rows, seconds: covered.seconds, coveredFrom: covered.from };
  }

  /**
   * The same reads on another repository, e.g. a transaction's: a read made
   * during a change must use the change's connection (the embedded database
   * has one, and the transaction holds it).
   */
  within(repo: TelemetryRepository): TelemetryService {
    return new TelemetryService(repo, this.uow, this.settings, this.now, this.metrics);
  }

  /** A service's inbound traffic over [from, to) in steps of `stepSeconds` (a multiple of 60). */
  async serviceSeries(query: { namespace: string; service: string; from: Date; to: Date; stepSeconds: number; cluster?: string | undefined; version?: string | undefined }) {
    const from = floorMinute(query.from);
    const to = ceilMinute(query.to);
    if (to <= from) throw invalid("must be after from", "to");
    const stepMs = query.stepSeconds * 1000;
    if ((to.getTime() - from.getTime()) / stepMs > 2000) throw invalid("too many points: widen the step or narrow the window", "step");
    const all = await this.repo.rows({ from, to, cluster: query.cluster, destination: { namespace: query.namespace, name: query.service } });
    const rows = query.version === undefined ? all : all.filter((r) => r.destination.version === query.version);
    const points = trafficSeries(rows.map(toRollup), from.getTime(), to.getTime(), stepMs).map(({ at, ...stats }) => ({ at: new Date(at), ...stats }));
    return { service: { namespace: query.namespace, name: query.service }, from, to, stepSeconds: query.stepSeconds, points };
  }
}

function toRollup(r: EdgeMinuteRow) {
  return { minute: r.minute.getTime(), requests: r.requests, errors: r.errors, latency: r.latency };
}
