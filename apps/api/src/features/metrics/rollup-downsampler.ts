// Downsampling of the minute rollups into hourly per-destination rows, so
// SLO windows (up to 30 days) outlive the minute rollups' 7 days and long
// windows read 24 rows a day instead of 1440 per edge. A leader-elected
// loop: each tick completes the hours whose grace has passed and prunes
// hourly rows past their retention, all in one transaction.
import { LatencySketch, type LatencySketchData } from "@weft/mesh-model/proxy-config";
import { CONTROLLER_LOCKS } from "../../controllers/controller-locks.ts";
import { LeaderLoop, type LeaderTick, type LeaderTickListener } from "../../controllers/leader-loop.ts";
import type { Logger } from "../../logger.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { ServiceHourRow } from "./metrics.repository.ts";
import { HOUR_MS, MINUTE_MS, hoursToDownsample } from "./rollup-plan.ts";

export interface DownsamplingSettings {
  /** Hourly rows older than this are deleted (WEFT_ROLLUP_HOURLY_RETENTION, default 35 days: a 30-day window and room). */
  hourlyRetentionMs: number;
  /** An hour is downsampled this long after it ends (agents drop deltas older than 10 minutes). */
  graceMs: number;
  /** Hours completed per tick at most (catching up after a long stop takes several ticks). */
  maxHoursPerTick: number;
  tickMs: number;
}

export const DEFAULT_DOWNSAMPLING_SETTINGS: DownsamplingSettings = { hourlyRetentionMs: 35 * 86_400_000, graceMs: 15 * MINUTE_MS, maxHoursPerTick: 24, tickMs: 60_000 };

/** The minute rows of some hours, summed per hour, destination and response class, sketches merged. */
export function aggregateHours(rows: readonly { minute: Date; cluster: string; namespace: string; service: string; version: string; codeClass: string; requests: number; errors: number; latency: LatencySketchData }[]): ServiceHourRow[] {
  const out = new Map<string, ServiceHourRow & { sketch: LatencySketch | null }>();
  for (const r of rows) {
    const hour = new Date(Math.floor(r.minute.getTime() / HOUR_MS) * HOUR_MS);
    const key = JSON.stringify([hour.getTime(), r.cluster, r.namespace, r.service, r.version, r.codeClass]);
    let acc = out.get(key);
    if (!acc) out.set(key, (acc = { hour, cluster: r.cluster, namespace: r.namespace, service: r.service, version: r.version, codeClass: r.codeClass, requests: 0, errors: 0, latency: r.latency, sketch: null }));
    acc.requests += r.requests;
    acc.errors += r.errors;
    acc.sketch ??= new LatencySketch(r.latency.relativeAccuracy);
    if (r.latency.relativeAccuracy === acc.sketch.relativeAccuracy) acc.sketch.merge(r.latency);
  }
  return [...out.values()].map(({ sketch, ...row }) => ({ ...row, latency: sketch ? sketch.toJSON() : row.latency }));
}

export interface DownsampleResult {
  /** Hours completed this tick. */
  hours: number;
  rows: number;
  pruned: number;
  watermark: Date | null;
}

export class RollupDownsampler {
  private readonly loop: LeaderLoop<DownsampleResult>;

  constructor(
    uow: UnitOfWork,
    private readonly log: Logger,
    private readonly settings: DownsamplingSettings = DEFAULT_DOWNSAMPLING_SETTINGS,
    private readonly now: () => Date = () => new Date(),
    onTick?: LeaderTickListener,
  ) {
    this.loop = new LeaderLoop(uow, log, {
      name: "rollup downsampler",
      lockKey: CONTROLLER_LOCKS.downsampler,
      intervalMs: settings.tickMs,
      step: (tx) => this.step(tx),
      afterCommit: async (r) => {
        if (r.hours > 0 || r.pruned > 0) this.log.debug({ hours: r.hours, rows: r.rows, pruned: r.pruned, watermark: r.watermark }, "rollups downsampled");
      },
      onTick,
    });
  }

  private async step(tx: TransactionRepositories): Promise<DownsampleResult> {
    const now = this.now().getTime();
    const repo = tx.metrics;
    const watermark = await repo.watermark();
    const first = watermark ? null : await repo.firstMinute();
    const range = hoursToDownsample(watermark?.getTime() ?? null, first?.getTime() ?? null, now, this.settings.graceMs, this.settings.maxHoursPerTick);
    let rows = 0;
    if (range && (range.to > range.from || !watermark)) {
      const hourRows = range.to > range.from ? aggregateHours(await repo.minuteRows(new Date(range.from), new Date(range.to))) : [];
      await repo.writeHours(new Date(range.from), new Date(range.to), hourRows);
      rows = hourRows.length;
    }
    const pruned = await repo.pruneHours(new Date(now - this.settings.hourlyRetentionMs));
    return { hours: range ? (range.to - range.from) / HOUR_MS : 0, rows, pruned, watermark: range ? new Date(range.to) : watermark };
  }

  tick(): Promise<LeaderTick<DownsampleResult>> {
    return this.loop.tick();
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
