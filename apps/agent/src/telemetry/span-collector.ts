// Spans: on every telemetry tick the agent reads each local proxy's finished
// spans after its cursor (GET /spans?since=), labels them with the proxy's
// workload, and ships them to the manager (agent.reportSpans) in bounded
// batches. A cursor moves only forward, so a span is read once; the manager
// skips a span it already holds, so a report retried after a lost answer
// stores nothing twice. What the proxy's ring overwrote before it was read
// (and what the agent's own bounded buffer had to drop) is counted and reported.
import { MAX_SPAN_ATTRIBUTES, MAX_SPANS_PER_REPORT, WireSpanSchema, type ParsedWireSpan, type SpanReport } from "@weft/mesh-model";
import type { FinishedSpan } from "@weft/proxy";
import { errorMessage, type Logger } from "../logger.ts";
import type { ProxyAdminClient } from "../supervision/proxy-admin-client.ts";

/** A local proxy as span collection sees it. */
export interface SpanSource {
  id: string;
  adminPort: number;
  service: string;
  namespace: string;
  version?: string | undefined;
}

/** A finished span as the proxy's GET /spans returns it, less the end time a sidecar's push leaves out (start + duration give it). */
export type ProxySpan = Omit<FinishedSpan, "endTimeUnixNano">;

/** The attributes worth keeping for trace views; the rest of a proxy's attributes stay local. */
const KEPT_ATTRIBUTES = [
  "http.request.method",
  "url.path",
  "http.response.status_code",
  "rpc.grpc.status_code",
  "weft.listener",
  "weft.upstream_host",
  "weft.source_service",
  "weft.source_identity",
  "weft.destination_version",
  "weft.mtls",
] as const satisfies readonly string[];
const MAX_ATTRIBUTE_CHARS = 1024;

/**
 * A proxy's span as the manager takes it, or undefined when the proxy sent
 * something malformed (it is then dropped and counted, never shipped to be refused).
 */
export function toWireSpan(span: ProxySpan, source: SpanSource, namespaceOf: (service: string, callerNamespace: string) => string): ParsedWireSpan | undefined {
  const a = span.attributes ?? {};
  const attributes: Record<string, string | number> = {};
  for (const key of KEPT_ATTRIBUTES.slice(0, MAX_SPAN_ATTRIBUTES)) {
    const v = a[key];
    if (typeof v === "number" && Number.isFinite(v)) attributes[key] = v;
    else if (typeof v === "string" && v !== "") attributes[key] = v.slice(0, MAX_ATTRIBUTE_CHARS);
  }
  const status = a["http.response.status_code"];
  const flags = a["weft.response_flags"];
  const destination = typeof a["weft.destination_service"] === "string" ? a["weft.destination_service"] : "";
  let startTime: number;
  try {
    // Nanoseconds as a string (beyond a double's precision); milliseconds with microseconds kept.
    startTime = Number(BigInt(span.startTimeUnixNano) / 1000n) / 1000;
  } catch {
    return undefined;
  }
  const client = span.kind === "client";
  const parsed = WireSpanSchema.safeParse({
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId ?? null,
    namespace: source.namespace,
    service: source.service,
    version: source.version ?? "",
    kind: client ? "CLIENT" : "SERVER",
    name: String(span.name).slice(0, 256),
    startTime,
    durationMs: span.durationMs,
    statusCode: typeof status === "number" && Number.isInteger(status) ? status : null,
    responseFlags: typeof flags === "string" && flags !== "-" ? flags.slice(0, 64) : "",
    peerService: client && destination ? `${namespaceOf(destination, source.namespace)}/${destination}` : "",
    attributes,
  });
  return parsed.success ? parsed.data : undefined;
}

export interface SpanCollectorOptions {
  admin: ProxyAdminClient;
  send: (report: SpanReport) => Promise<{ stored: number; duplicates: number } | void>;
  namespaceOf: (service: string, callerNamespace: string) => string;
  logger: Logger;
  /** Spans held for shipping at most; beyond it the oldest are dropped and counted. */
  maxBuffered?: number;
  /** Pages of GET /spans read per proxy per tick at most (a proxy tracing faster than this loses spans to its ring, counted). */
  maxPagesPerTick?: number;
}

export interface SpanStatus {
  /** Spans the manager took (new to it). */
  shipped: number;
  /** Spans the manager already held (a retried report). */
  duplicates: number;
  buffered: number;
  /** Spans lost before shipping: overwritten in a proxy's ring, over the agent's buffer, or malformed. */
  dropped: number;
  lastError?: string | undefined;
}

export class SpanCollector {
  #cursor = new Map<string, { epoch: string | undefined; next: number }>();
  #buffer: ParsedWireSpan[] = [];
  /** Dropped since the last successful report: what the next report tells the manager. */
  #unreported = 0;
  readonly status: SpanStatus = { shipped: 0, duplicates: 0, buffered: 0, dropped: 0 };

  constructor(private readonly options: SpanCollectorOptions) {}

  /** Reads a proxy's spans after its cursor into the buffer. */
  async collect(source: SpanSource): Promise<void> {
    const maxPages = this.options.maxPagesPerTick ?? 10;
    for (let page = 0; page < maxPages; page++) {
      const cursor = this.#cursor.get(source.id);
      let since = cursor?.next ?? 0;
      let got = await this.options.admin.spans(source.adminPort, since);
      if (cursor && got.epoch !== cursor.epoch) {
        // The proxy restarted and counts from 1 again: read it from the start.
        since = 0;
        got = await this.options.admin.spans(source.adminPort, 0);
      }
      this.#drop(got.dropped);
      for (const raw of got.spans) {
        const span = toWireSpan(raw as ProxySpan, source, this.options.namespaceOf);
        if (span) this.#buffer.push(span);
        else this.#drop(1);
      }
      this.#cursor.set(source.id, { epoch: got.epoch, next: got.next });
      if (got.spans.length === 0 || got.next <= since) break;
    }
    this.#bound();
  }

  /**
   * Spans a sidecar pushed (Kubernetes mode), labelled with `source`, the
   * pod's workload from its token; `dropped` is what its ring overwrote
   * before the push. Returns the spans buffered.
   */
  addPushed(source: Omit<SpanSource, "adminPort">, spans: ProxySpan[], dropped: number): number {
    this.#drop(dropped);
    let taken = 0;
    for (const raw of spans) {
      const span = toWireSpan(raw, { ...source, adminPort: 0 }, this.options.namespaceOf);
      if (span) {
        this.#buffer.push(span);
        taken++;
      } else this.#drop(1);
    }
    this.#bound();
    return taken;
  }

  #bound(): void {
    const max = this.options.maxBuffered ?? 20_000;
    if (this.#buffer.length > max) this.#drop(this.#buffer.splice(0, this.#buffer.length - max).length);
    this.status.buffered = this.#buffer.length;
  }

  /** Forgets cursors of proxies that are gone. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#cursor.keys()) if (!ids.has(id)) this.#cursor.delete(id);
  }

  /** Ships the buffer in batches; a failed batch and everything after it stay for the next tick. */
  async ship(): Promise<void> {
    while (this.#buffer.length > 0 || this.#unreported > 0) {
      const batch = this.#buffer.slice(0, MAX_SPANS_PER_REPORT);
      const dropped = this.#unreported;
      try {
        const answer = await this.options.send({ spans: batch, dropped });
        this.status.shipped += answer ? answer.stored : batch.length;
        this.status.duplicates += answer ? answer.duplicates : 0;
      } catch (err) {
        this.status.lastError = errorMessage(err);
        this.options.logger.warn("spans not shipped; kept for the next attempt", { spans: batch.length, error: this.status.lastError });
        break;
      }
      this.#buffer.splice(0, batch.length);
      this.#unreported -= dropped;
      this.status.lastError = undefined;
    }
    this.status.buffered = this.#buffer.length;
  }

  #drop(n: number): void {
    if (n <= 0) return;
    this.status.dropped += n;
    this.#unreported += n;
  }
}
