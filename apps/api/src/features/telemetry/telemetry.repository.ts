import type { Prisma } from "@weft/db";
import type { DbClient } from "../../db-client.ts";
import type { EdgeEnd, LatencySketchDataInput } from "./telemetry.types.ts";

/** One row to merge a delta into: minute, edge and response class, with the delta's amounts. */
export interface EdgeMinuteDelta {
  minute: Date;
  edgeKey: string;
  source: EdgeEnd;
  destination: EdgeEnd;
  codeClass: string;
  requests: number;
  errors: number;
  mtlsRequests: number;
  latency: LatencySketchDataInput;
}

/** A stored rollup as the summaries read it. */
export interface EdgeMinuteRow {
  minute: Date;
  source: EdgeEnd;
  destination: EdgeEnd;
  codeClass: string;
  requests: number;
  errors: number;
  mtlsRequests: number;
  latency: LatencySketchDataInput;
}

export interface EdgeFilter {
  from: Date;
  to: Date;
  /** Rows with this cluster at either end. */
  cluster?: string | undefined;
  /** Rows with this namespace at either end. */
  namespace?: string | undefined;
  /** Rows whose destination is this service. */
  destination?: { namespace: string; name: string } | undefined;
}

const emptySketch = (relativeAccuracy: number): LatencySketchDataInput => ({ relativeAccuracy, offset: 0, counts: [], zeroCount: 0, count: 0, sum: 0, min: 0, max: 0 });

/** Per-minute edge rollups. The only Prisma code of the feature. */
export class TelemetryRepository {
  constructor(private readonly db: DbClient) {}

  /**
   * Merges deltas into their minute rows, inside the caller's unit of work
   * (all rows, and the sequence check, commit together), concurrency-safe:
   * missing rows are created empty (`ON CONFLICT DO NOTHING`, which waits for
   * a concurrent inserter), then every row is locked in key order, merged in
   * memory by `merge`, and written back. With `report` (the cluster and the
   * report's sequence number), a report the cluster already sent — a retry
   * whose first answer was lost — changes nothing and returns null.
   */
  async mergeDeltas(
    deltas: readonly EdgeMinuteDelta[],
    merge: (stored: LatencySketchDataInput, delta: LatencySketchDataInput) => LatencySketchDataInput,
    report?: { clusterId: string; seq: number },
  ): Promise<number | null> {
    const sorted = [...deltas].sort((a, b) => a.minute.getTime() - b.minute.getTime() || (a.edgeKey < b.edgeKey ? -1 : a.edgeKey > b.edgeKey ? 1 : 0));
    if (report) {
      const seq = BigInt(report.seq);
      const claimed = await this.db.$executeRaw`UPDATE "Cluster" SET "telemetrySeq" = ${seq} WHERE id = ${report.clusterId}::uuid AND ("telemetrySeq" IS NULL OR "telemetrySeq" < ${seq})`;
      if (claimed === 0) return null;
    }
    if (sorted.length === 0) return 0;
    await this.db.edgeMinute.createMany({
      data: sorted.map((d) => ({
        minute: d.minute,
        edgeKey: d.edgeKey,
        sourceCluster: d.source.cluster,
        sourceNamespace: d.source.namespace,
        sourceService: d.source.service,
        sourceVersion: d.source.version,
        destCluster: d.destination.cluster,
        destNamespace: d.destination.namespace,
        destService: d.destination.service,
        destVersion: d.destination.version,
        codeClass: d.codeClass,
        latency: emptySketch(d.latency.relativeAccuracy) as unknown as Prisma.InputJsonObject,
      })),
      skipDuplicates: true,
    });
    const first = (sorted[0] as EdgeMinuteDelta).minute;
    const last = (sorted[sorted.length - 1] as EdgeMinuteDelta).minute;
    const keys = [...new Set(sorted.map((d) => d.edgeKey))];
    const rows = await this.db.$queryRaw<{ id: bigint; minute: Date; edgeKey: string; requests: bigint; errors: bigint; mtlsRequests: bigint; latency: LatencySketchDataInput }[]>`
      SELECT id, minute, "edgeKey", requests, errors, "mtlsRequests", latency FROM "EdgeMinute"
      WHERE minute >= ${first} AND minute <= ${last} AND "edgeKey" = ANY(${keys}::text[])
      ORDER BY minute, "edgeKey" FOR UPDATE`;
    const byKey = new Map(rows.map((r) => [`${r.minute.getTime()}|${r.edgeKey}`, r]));
    for (const d of sorted) {
      const row = byKey.get(`${d.minute.getTime()}|${d.edgeKey}`);
      if (!row) throw new Error(`rollup row ${d.edgeKey} at ${d.minute.toISOString()} vanished inside its transaction`);
      row.requests += BigInt(d.requests);
      row.errors += BigInt(d.errors);
      row.mtlsRequests += BigInt(d.mtlsRequests);
      row.latency = merge(row.latency, d.latency);
    }
    for (const row of new Set(byKey.values()))
      await this.db.edgeMinute.update({ where: { id: row.id }, data: { requests: row.requests, errors: row.errors, mtlsRequests: row.mtlsRequests, latency: row.latency as unknown as Prisma.InputJsonObject } });
    return byKey.size;
  }

  async rows(filter: EdgeFilter): Promise<EdgeMinuteRow[]> {
    const rows = await this.db.edgeMinute.findMany({
      where: {
        minute: { gte: filter.from, lt: filter.to },
        ...(filter.cluster !== undefined ? { OR: [{ sourceCluster: filter.cluster }, { destCluster: filter.cluster }] } : {}),
        ...(filter.namespace !== undefined ? { AND: [{ OR: [{ sourceNamespace: filter.namespace }, { destNamespace: filter.namespace }] }] } : {}),
        ...(filter.destination !== undefined ? { destNamespace: filter.destination.namespace, destService: filter.destination.name } : {}),
      },
      orderBy: { minute: "asc" },
    });
    return rows.map((r) => ({
      minute: r.minute,
      source: { cluster: r.sourceCluster, namespace: r.sourceNamespace, service: r.sourceService, version: r.sourceVersion },
      destination: { cluster: r.destCluster, namespace: r.destNamespace, service: r.destService, version: r.destVersion },
      codeClass: r.codeClass,
      requests: Number(r.requests),
      errors: Number(r.errors),
      mtlsRequests: Number(r.mtlsRequests),
      latency: r.latency as unknown as LatencySketchDataInput,
    }));
  }

  /** The earliest minute in [from, to) with any rollup, mesh-wide; null without any. */
  async firstMinute(window: { from: Date; to: Date }): Promise<Date | null> {
    const found = await this.db.edgeMinute.aggregate({ where: { minute: { gte: window.from, lt: window.to } }, _min: { minute: true } });
    return found._min.minute;
  }

  /** Deletes rollups older than `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    return (await this.db.edgeMinute.deleteMany({ where: { minute: { lt: before } } })).count;
  }
}
