import type { DbClient } from "../../db-client.ts";
import { SpansRepository, type SpanRow } from "./spans.repository.ts";

/** The most request spans one explanation reads (the newest). */
export const MAX_REQUEST_SPANS = 5000;
/** The most failed traces whose spans are read to find where a failure began. */
export const MAX_FAILED_TRACES = 200;

export interface RequestSpanFilter {
  destination: { namespace: string; service: string };
  /** Only requests from this caller (an edge); without it, every caller and entries from outside the mesh. */
  source?: { namespace: string; service: string } | undefined;
  from: Date;
  to: Date;
}

/** Reads the spans that stand for requests to a service. The only Prisma code of failure causes. */
export class FailureCausesRepository {
  private readonly spans: SpansRepository;

  constructor(private readonly prisma: DbClient) {
    this.spans = new SpansRepository(prisma);
  }

  /** Newest first: callers' CLIENT spans to the destination and, without a source, the destination's entry SERVER spans. */
  async requestSpans(filter: RequestSpanFilter): Promise<SpanRow[]> {
    const peer = `${filter.destination.namespace}/${filter.destination.service}`;
    const fromCaller = { kind: "CLIENT" as const, peerService: peer, ...(filter.source ? { namespace: filter.source.namespace, service: filter.source.service } : {}) };
    const entries = { kind: "SERVER" as const, namespace: filter.destination.namespace, service: filter.destination.service, parentSpanId: null };
    const rows = await this.prisma.span.findMany({
      where: { startTime: { gte: filter.from, lt: filter.to }, OR: filter.source ? [fromCaller] : [fromCaller, entries] },
      orderBy: [{ startTime: "desc" }, { id: "desc" }],
      take: MAX_REQUEST_SPANS,
    });
    return rows.map(({ id: _id, receivedAt: _received, ...r }) => ({ ...r, kind: r.kind === "CLIENT" ? "CLIENT" : "SERVER", attributes: r.attributes as Record<string, string | number> }));
  }

  /** Every span of these traces. */
  traceSpans(traceIds: readonly string[]): Promise<SpanRow[]> {
    return this.spans.spansOf(traceIds.slice(0, MAX_FAILED_TRACES));
  }
}
