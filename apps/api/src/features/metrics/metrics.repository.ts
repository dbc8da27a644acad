import { Prisma } from "@weft/db";
import type { LatencySketchData } from "@weft/mesh-model/proxy-config";
import type { DbClient } from "../../db-client.ts";
import { HOUR_MS, MINUTE_MS } from "./rollup-plan.ts";

/** Which rows: the requests one service served, optionally narrowed to clusters and versions. */
export interface RollupFilter {
  namespace: string;
  service: string;
  clusters?: readonly string[] | undefined;
  versions?: readonly string[] | undefined;
  from: Date;
  to: Date;
}

/** Requests of one bucket, destination cluster, version and response class. */
export interface RollupSum {
  /** Index of the step bucket from the query's origin. */
  bucket: number;
  cluster: string;
  version: string;
  codeClass: string;
  requests: number;
  /** First and last row start in the bucket (coverage). */
  first: Date;
  last: Date;
}

/** A stored sketch of one bucket, destination cluster and version (all response classes). */
export interface RollupSketch {
  bucket: number;
  cluster: string;
  version: string;
  latency: LatencySketchData;
}

/** One aggregated hourly row to write. */
export interface ServiceHourRow {
  hour: Date;
  cluster: string;
  namespace: string;
  service: string;
  version: string;
  codeClass: string;
  requests: number;
  errors: number;
  latency: LatencySketchData;
}

const WATERMARK = "service-hour";
type Table = "minute" | "hour";

/**
 * The rollups the metric source reads (EdgeMinute and ServiceHour, by
 * destination) and the downsampler writes. The only Prisma code of the
 * metrics feature.
 */
export class MetricsRepository {
  constructor(private readonly db: DbClient) {}

  private where(table: Table, f: RollupFilter): Prisma.Sql {
    const time = table === "minute" ? Prisma.sql`minute` : Prisma.sql`hour`;
    const parts = [Prisma.sql`"destNamespace" = ${f.namespace}`, Prisma.sql`"destService" = ${f.service}`, Prisma.sql`${time} >= ${f.from}`, Prisma.sql`${time} < ${f.to}`];
    if (f.clusters?.length) parts.push(Prisma.sql`"destCluster" = ANY(${[...f.clusters]}::text[])`);
    if (f.versions?.length) parts.push(Prisma.sql`"destVersion" = ANY(${[...f.versions]}::text[])`);
    return Prisma.join(parts, " AND ");
  }

  private bucket(table: Table, originMs: number, stepMs: number): Prisma.Sql {
    const time = table === "minute" ? Prisma.sql`minute` : Prisma.sql`hour`;
    // extract(epoch) of a timestamp without time zone reads it as UTC, as Weft stores it.
    return Prisma.sql`floor((extract(epoch from ${time}) * 1000 - ${originMs}) / ${stepMs})::int`;
  }

  /** Requests per step bucket, destination cluster, version and response class, summed over callers. */
  async sums(table: Table, filter: RollupFilter, originMs: number, stepMs: number): Promise<RollupSum[]> {
    const name = table === "minute" ? Prisma.sql`"EdgeMinute"` : Prisma.sql`"ServiceHour"`;
    const time = table === "minute" ? Prisma.sql`minute` : Prisma.sql`hour`;
    const rows = await this.db.$queryRaw<{ bucket: number; cluster: string; version: string; codeClass: string; requests: number; first: Date; last: Date }[]>`
      SELECT ${this.bucket(table, originMs, stepMs)} AS bucket, "destCluster" AS cluster, "destVersion" AS version, "codeClass",
             SUM(requests)::float8 AS requests, MIN(${time}) AS first, MAX(${time}) AS last
      FROM ${name} WHERE ${this.where(table, filter)}
      GROUP BY 1, 2, 3, 4`;
    return rows.map((r) => ({ ...r, bucket: Number(r.bucket), requests: Number(r.requests) }));
  }

  /** Every stored sketch in the range with its step bucket (read only when latency is asked for). */
  async sketches(table: Table, filter: RollupFilter, originMs: number, stepMs: number): Promise<RollupSketch[]> {
    const name = table === "minute" ? Prisma.sql`"EdgeMinute"` : Prisma.sql`"ServiceHour"`;
    const rows = await this.db.$queryRaw<{ bucket: number; cluster: string; version: string; latency: LatencySketchData }[]>`
      SELECT ${this.bucket(table, originMs, stepMs)} AS bucket, "destCluster" AS cluster, "destVersion" AS version, latency
      FROM ${name} WHERE ${this.where(table, filter)}`;
    return rows.map((r) => ({ ...r, bucket: Number(r.bucket) }));
  }

  /** Hours before this are downsampled (null: none yet). */
  async watermark(): Promise<Date | null> {
    return (await this.db.rollupWatermark.findUnique({ where: { name: WATERMARK } }))?.upTo ?? null;
  }

  /** Start of the oldest stored minute (null: none). */
  async firstMinute(): Promise<Date | null> {
    return (await this.db.edgeMinute.findFirst({ orderBy: { minute: "asc" }, select: { minute: true } }))?.minute ?? null;
  }

  /** Minute rows of [from, to) as the downsampler aggregates them. */
  async minuteRows(from: Date, to: Date): Promise<{ minute: Date; cluster: string; namespace: string; service: string; version: string; codeClass: string; requests: number; errors: number; latency: LatencySketchData }[]> {
    const rows = await this.db.edgeMinute.findMany({
      where: { minute: { gte: from, lt: to } },
      select: { minute: true, destCluster: true, destNamespace: true, destService: true, destVersion: true, codeClass: true, requests: true, errors: true, latency: true },
    });
    return rows.map((r) => ({
      minute: r.minute,
      cluster: r.destCluster,
      namespace: r.destNamespace,
      service: r.destService,
      version: r.destVersion,
      codeClass: r.codeClass,
      requests: Number(r.requests),
      errors: Number(r.errors),
      latency: r.latency as unknown as LatencySketchData,
    }));
  }

  /**
   * Replaces the hourly rows of [from, to) and moves the watermark to `to`,
   * inside the caller's unit of work (a re-run after a crash writes the
   * same rows again, never twice).
   */
  async writeHours(from: Date, to: Date, rows: readonly ServiceHourRow[]): Promise<void> {
    await this.db.serviceHour.deleteMany({ where: { hour: { gte: from, lt: to } } });
    if (rows.length > 0)
      await this.db.serviceHour.createMany({
        data: rows.map((r) => ({
          hour: r.hour,
          destCluster: r.cluster,
          destNamespace: r.namespace,
          destService: r.service,
          destVersion: r.version,
          codeClass: r.codeClass,
          requests: BigInt(Math.round(r.requests)),
          errors: BigInt(Math.round(r.errors)),
          latency: r.latency as unknown as Prisma.InputJsonObject,
        })),
      });
    await this.db.rollupWatermark.upsert({ where: { name: WATERMARK }, create: { name: WATERMARK, upTo: to }, update: { upTo: to } });
  }

  /** Deletes hourly rows older than `before`; returns how many. */
  async pruneHours(before: Date): Promise<number> {
    return (await this.db.serviceHour.deleteMany({ where: { hour: { lt: before } } })).count;
  }
}

/** The end of the last row a bucket holds, for its coverage. */
export function rowEnd(table: Table, last: Date): number {
  return last.getTime() + (table === "minute" ? MINUTE_MS : HOUR_MS);
}
