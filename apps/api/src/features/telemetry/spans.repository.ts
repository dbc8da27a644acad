import type { Prisma } from "@weft/db";
import type { DbClient } from "../../db-client.ts";

/** A span as stored: a wire span with the reporting agent's cluster. */
export interface SpanRow {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  cluster: string;
  namespace: string;
  service: string;
  version: string;
  kind: "SERVER" | "CLIENT";
  name: string;
  startTime: Date;
  durationMs: number;
  statusCode: number | null;
  responseFlags: string;
  peerService: string;
  attributes: Record<string, string | number>;
}

/** A trace in a list: aggregates over all its stored spans. */
export interface TraceSummaryRow {
  traceId: string;
  start: Date;
  /** Latest end (start + duration) of any span. */
  endMs: number;
  spanCount: number;
  error: boolean;
  /** `namespace/service` of the spans' workloads and of CLIENT spans' peers. */
  services: string[];
  /** The earliest span whose parent is not stored (the trace's entry hop), if any. */
  root: { name: string; namespace: string; service: string } | null;
}

export interface TraceFilter {
  namespace: string;
  service: string;
  from: Date;
  to: Date;
  limit: number;
  errorsOnly: boolean;
}

/** The most spans one trace read returns: a trace larger than this is cut (its earliest spans kept). */
export const MAX_SPANS_PER_TRACE = 5000;

/** Recent spans for trace views. The only Prisma code of spans. */
export class SpansRepository {
  constructor(private readonly prisma: DbClient) {}

  /** Inserts spans; a span already stored (same trace and span id: a retried report) is skipped. Returns how many were new. */
  async insert(rows: readonly SpanRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const { count } = await this.prisma.span.createMany({
      data: rows.map((r) => ({ ...r, attributes: r.attributes as Prisma.InputJsonObject })),
      skipDuplicates: true,
    });
    return count;
  }

  /**
   * Ids of the most recent traces with a span in [from, to) recorded by the
   * service's proxy or calling it, newest first. `errorsOnly` keeps traces
   * with any failed span, by `isSpanError`'s rule (status 0 or 5xx, or a
   * non-zero gRPC status).
   */
  async recentTraceIds(filter: TraceFilter): Promise<string[]> {
    const peer = `${filter.namespace}/${filter.service}`;
    const rows = await this.prisma.$queryRaw<{ traceId: string }[]>`
      WITH touched AS (
        SELECT "traceId", MIN("startTime") AS first FROM "Span"
        WHERE "startTime" >= ${filter.from} AND "startTime" < ${filter.to}
          AND ((namespace = ${filter.namespace} AND service = ${filter.service}) OR "peerService" = ${peer})
        GROUP BY "traceId"
      )
      SELECT t."traceId" FROM touched t
      WHERE NOT ${filter.errorsOnly}::boolean OR EXISTS (
        SELECT 1 FROM "Span" s WHERE s."traceId" = t."traceId"
          AND (s."statusCode" = 0 OR s."statusCode" >= 500 OR COALESCE(s.attributes->>'rpc.grpc.status_code', '0') <> '0')
      )
      ORDER BY t.first DESC, t."traceId"
      LIMIT ${filter.limit}`;
    return rows.map((r) => r.traceId);
  }

  /** Summaries of these traces (in no particular order). */
  async summaries(traceIds: readonly string[]): Promise<TraceSummaryRow[]> {
    if (traceIds.length === 0) return [];
    const ids = [...traceIds];
    const [aggregates, roots] = await Promise.all([
      this.prisma.$queryRaw<{ traceId: string; start: Date; endMs: number; spanCount: bigint; error: boolean; services: string[]; peers: string[] }[]>`
        SELECT "traceId", MIN("startTime") AS start,
          MAX(EXTRACT(EPOCH FROM "startTime") * 1000 + "durationMs")::float8 AS "endMs",
          COUNT(*) AS "spanCount",
          bool_or("statusCode" = 0 OR "statusCode" >= 500 OR COALESCE(attributes->>'rpc.grpc.status_code', '0') <> '0') AS error,
          array_agg(DISTINCT namespace || '/' || service) AS services,
          array_agg(DISTINCT "peerService") FILTER (WHERE kind = 'CLIENT' AND "peerService" <> '') AS peers
        FROM "Span" WHERE "traceId" = ANY(${ids}::text[])
        GROUP BY "traceId"`,
      this.prisma.$queryRaw<{ traceId: string; name: string; namespace: string; service: string }[]>`
        SELECT DISTINCT ON (s."traceId") s."traceId", s.name, s.namespace, s.service
        FROM "Span" s
        WHERE s."traceId" = ANY(${ids}::text[])
          AND (s."parentSpanId" IS NULL OR NOT EXISTS (SELECT 1 FROM "Span" p WHERE p."traceId" = s."traceId" AND p."spanId" = s."parentSpanId"))
        ORDER BY s."traceId", s."startTime", s.id`,
    ]);
    const rootOf = new Map(roots.map((r) => [r.traceId, { name: r.name, namespace: r.namespace, service: r.service }]));
    return aggregates.map((a) => ({
      traceId: a.traceId,
      start: a.start,
      endMs: Number(a.endMs),
      spanCount: Number(a.spanCount),
      error: a.error,
      services: [...new Set([...a.services, ...(a.peers ?? [])])].sort(),
      root: rootOf.get(a.traceId) ?? null,
    }));
  }

  /** Every stored span of these traces, earliest first (at most MAX_SPANS_PER_TRACE per trace requested). */
  async spansOf(traceIds: readonly string[]): Promise<SpanRow[]> {
    if (traceIds.length === 0) return [];
    const rows = await this.prisma.span.findMany({
      where: { traceId: { in: [...traceIds] } },
      orderBy: [{ startTime: "asc" }, { id: "asc" }],
      take: MAX_SPANS_PER_TRACE * traceIds.length,
    });
    return rows.map((r) => ({
      traceId: r.traceId,
      spanId: r.spanId,
      parentSpanId: r.parentSpanId,
      cluster: r.cluster,
      namespace: r.namespace,
      service: r.service,
      version: r.version,
      kind: r.kind === "CLIENT" ? "CLIENT" : "SERVER",
      name: r.name,
      startTime: r.startTime,
      durationMs: r.durationMs,
      statusCode: r.statusCode,
      responseFlags: r.responseFlags,
      peerService: r.peerService,
      attributes: r.attributes as Record<string, string | number>,
    }));
  }

  /** Deletes spans that started before `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    return (await this.prisma.span.deleteMany({ where: { startTime: { lt: before } } })).count;
  }
}
