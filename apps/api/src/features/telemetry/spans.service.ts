import { isSpanError, type ParsedWireSpan } from "@weft/mesh-model";
import type { AgentPrincipal } from "../../access.ts";
import { invalid, notFound } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { SpanRow, SpansRepository } from "./spans.repository.ts";

export interface SpanSettings {
  /** Spans that started longer ago than this are deleted (and not accepted). */
  retentionMs: number;
  /** How far in the future (agent clock skew) a span may start. */
  maxFutureMs: number;
  /** How often the pruning timer runs. */
  pruneIntervalMs: number;
}

export const DEFAULT_SPAN_SETTINGS: SpanSettings = { retentionMs: 3_600_000, maxFutureMs: 5 * 60_000, pruneIntervalMs: 60_000 };

/** A trace in the dashboard's list. */
export interface TraceSummary {
  traceId: string;
  /** Name and `namespace/service` of the entry span (the earliest whose parent was not recorded). */
  rootName: string;
  rootService: string;
  start: Date;
  durationMs: number;
  spanCount: number;
  error: boolean;
  /** Every `namespace/service` the trace touched, sorted. */
  services: string[];
}

/** One span of a trace as the waterfall draws it. */
export interface TraceSpan extends Omit<SpanRow, "traceId"> {
  error: boolean;
}

/** Recent spans: agents' reports in, trace lists and single traces out, pruned by age. */
export class SpansService {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: SpansRepository,
    private readonly settings: SpanSettings = DEFAULT_SPAN_SETTINGS,
    private readonly log?: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Starts pruning on a timer (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.prune().catch((err: unknown) => this.log?.warn({ err }, "span pruning failed; retried on the next run"));
    }, this.settings.pruneIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deletes spans past the retention; returns how many. */
  prune(): Promise<number> {
    return this.repo.prune(new Date(this.now().getTime() - this.settings.retentionMs));
  }

  /**
   * Stores an agent's spans under its own cluster (from its credential, never
   * the input). A span already stored (a retried report) is skipped, as is
   * one outside the retention window (a skewed clock or a stale buffer):
   * such spans would be pruned at once, and refusing the whole report for
   * them would lose its good spans.
   */
  async report(agent: AgentPrincipal, report: { spans: readonly ParsedWireSpan[]; dropped: number }): Promise<{ stored: number; duplicates: number; outsideRetention: number }> {
    const now = this.now().getTime();
    const oldest = now - this.settings.retentionMs;
    const rows: SpanRow[] = [];
    for (const s of report.spans) {
      if (s.startTime < oldest || s.startTime > now + this.settings.maxFutureMs) continue;
      rows.push({ ...s, cluster: agent.cluster, startTime: new Date(s.startTime) });
    }
    if (report.dropped > 0) this.log?.warn({ cluster: agent.cluster, dropped: report.dropped }, "proxies overwrote spans before the agent read them (raise tracing.maxSpans or lower the sample rate)");
    const stored = await this.repo.insert(rows);
    return { stored, duplicates: rows.length - stored, outsideRetention: report.spans.length - rows.length };
  }

  /** The most recent traces touching a service (recorded by its proxies or calling it) in [from, to), newest first. */
  async traces(query: { namespace: string; service: string; from: Date; to: Date; limit: number; errorsOnly: boolean }): Promise<{ traces: TraceSummary[] }> {
    if (query.to <= query.from) throw invalid("must be after from", "to");
    const ids = await this.repo.recentTraceIds(query);
    const summaries = new Map((await this.repo.summaries(ids)).map((s) => [s.traceId, s]));
    const traces = ids.flatMap((id) => {
      const s = summaries.get(id);
      // Pruned between the two reads.
      if (!s) return [];
      return [
        {
          traceId: id,
          rootName: s.root?.name ?? "",
          rootService: s.root ? `${s.root.namespace}/${s.root.service}` : "",
          start: s.start,
          durationMs: Math.max(0, Math.round((s.endMs - s.start.getTime()) * 1000) / 1000),
          spanCount: s.spanCount,
          error: s.error,
          services: s.services,
        },
      ];
    });
    return { traces };
  }

  /** Every stored span of a trace, earliest first, with its parent link and error flag. */
  async trace(traceId: string): Promise<{ traceId: string; spans: TraceSpan[] }> {
    const rows = await this.repo.spansOf([traceId]);
    if (rows.length === 0) throw notFound(`trace ${traceId}`, "traceId");
    return { traceId, spans: rows.map(({ traceId: _id, ...span }) => ({ ...span, error: isSpanError(span) })) };
  }
}
