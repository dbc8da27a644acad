// Tracing: one span per hop. The proxy continues the caller's trace (W3C
// traceparent or B3), or starts one for a sampled share of requests, sends
// its own span id upstream as the new parent, and keeps finished spans in a
// bounded ring buffer (GET /spans) and, when an OTLP endpoint is configured,
// exports them in batches through the OpenTelemetry OTLP/HTTP exporter.
import { randomBytes } from "node:crypto";
import type { HrTime, SpanKind, SpanStatusCode, TraceFlags } from "@opentelemetry/api";
import type { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { extractTraceContext, type Telemetry, type TraceContext, type TraceFormats } from "@weft/mesh-model/proxy-config";

/** The proxy's span for one request: what goes upstream. */
export interface SpanContextOut {
  /** The proxy's span (its id is the parent the upstream sees). */
  context: TraceContext;
  /** The caller's span id, if the request came with a trace context. */
  parentSpanId: string | undefined;
  formats: TraceFormats;
  /** Wall-clock start, in epoch milliseconds (fractional). */
  startMs: number;
}

/** A finished span as /spans returns it. */
export interface FinishedSpan {
  seq: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: "client" | "server";
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMs: number;
  error: boolean;
  attributes: Record<string, string | number>;
}

let pool = Buffer.alloc(0);
let poolOffset = 0;

/** Random lowercase hex, drawn from a pooled buffer (one crypto call per 4 KiB of ids). */
function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return /^0+$/.test(hex) ? randomHex(bytes) : hex;
}

const W3C_ONLY: TraceFormats = { w3c: true, b3Single: false, b3Multi: false };

function toNano(ms: number): string {
  return (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms % 1) * 1e6))).toString();
}

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

// The OpenTelemetry API's enum values (stable wire numbers), so a proxy without an exporter never loads the API.
const OTEL_SPAN_KIND_SERVER = 1;
const OTEL_SPAN_KIND_CLIENT = 2;
const OTEL_STATUS_UNSET = 0;
const OTEL_STATUS_ERROR = 2;
const OTEL_SAMPLED = 1;

const EXPORT_BATCH = 512;
const EXPORT_INTERVAL_MS = 1000;

export class Tracer {
  private ring: (FinishedSpan | undefined)[];
  private seq = 0;
  /**
   * Names this process's sequence: a restarted proxy counts from 1 again, and
   * a reader holding an old cursor would otherwise wait for the new count to
   * pass it (missing every span until then).
   */
  private readonly epoch = randomHex(8);
  private sampleRate = 0;
  private exporter: Promise<OTLPTraceExporter> | undefined;
  private endpoint: string | undefined;
  private queue: FinishedSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private resource: Resource | undefined;
  private exporting: Promise<void> = Promise.resolve();

  constructor(
    private readonly random: () => number,
    private serviceName = "weft-proxy",
  ) {
    this.ring = new Array<FinishedSpan | undefined>(4096);
  }

  /** Applies the tracing part of a config (sampling, buffer size, exporter). */
  configure(tracing: Telemetry["tracing"], serviceName: string): void {
    this.sampleRate = tracing.sampleRate;
    if (serviceName !== this.serviceName) {
      this.serviceName = serviceName;
      this.resource = undefined;
    }
    if (tracing.maxSpans !== this.ring.length) {
      const kept = this.since(0, tracing.maxSpans).spans;
      this.ring = new Array<FinishedSpan | undefined>(tracing.maxSpans);
      for (const s of kept) this.ring[s.seq % tracing.maxSpans] = s;
    }
    if (tracing.otlpEndpoint !== this.endpoint) {
      void this.flush();
      void this.exporter?.then((e) => e.shutdown());
      this.endpoint = tracing.otlpEndpoint;
      const url = tracing.otlpEndpoint;
      // Loaded only when an endpoint is configured: the SDK costs memory a proxy without tracing should not pay.
      this.exporter = url
        ? Promise.all([import("@opentelemetry/exporter-trace-otlp-http"), import("@opentelemetry/resources")]).then(([{ OTLPTraceExporter: Exporter }, { resourceFromAttributes }]) => {
            this.resource ??= resourceFromAttributes({ "service.name": this.serviceName });
            return new Exporter({ url, timeoutMillis: 5000 });
          })
        : undefined;
    }
  }

  /**
   * The proxy's span for a request, or undefined when tracing is off (no
   * incoming context and a sample rate of 0). With sampling on, a request
   * without context gets one either way — sampled or not, so the decision
   * propagates; an unsampled context is continued (ids propagate) but not recorded.
   */
  begin(headers: Readonly<Record<string, string | string[] | undefined>>, nowMs: number): SpanContextOut | undefined {
    // The common case, no context and no sampling, costs three property reads.
    if (headers.traceparent === undefined && headers.b3 === undefined && headers["x-b3-traceid"] === undefined && this.sampleRate <= 0) return undefined;
    const incoming = extractTraceContext(headers);
    if (incoming) {
      return {
        context: { traceId: incoming.context.traceId, spanId: randomHex(8), sampled: incoming.context.sampled },
        parentSpanId: incoming.context.spanId,
        formats: incoming.formats,
        startMs: nowMs,
      };
    }
    if (this.sampleRate <= 0) return undefined;
    // Head-based sampling: the first proxy decides for the whole request. A "no" travels on as a
    // traceparent with the sampled flag off, so the next hops do not each roll their own dice and
    // record fragments of traces that start in the middle of the call graph.
    const sampled = this.random() < this.sampleRate;
    return { context: { traceId: randomHex(16), spanId: randomHex(8), sampled }, parentSpanId: undefined, formats: W3C_ONLY, startMs: nowMs };
  }

  /** Records a finished span (sampled ones only). */
  finish(span: SpanContextOut, name: string, kind: "client" | "server", endMs: number, error: boolean, attributes: Record<string, string | number>): void {
    if (!span.context.sampled) return;
    const seq = ++this.seq;
    const finished: FinishedSpan = {
      seq,
      traceId: span.context.traceId,
      spanId: span.context.spanId,
      parentSpanId: span.parentSpanId ?? null,
      name,
      kind,
      startTimeUnixNano: toNano(span.startMs),
      endTimeUnixNano: toNano(endMs),
      durationMs: Math.round((endMs - span.startMs) * 1000) / 1000,
      error,
      attributes,
    };
    this.ring[seq % this.ring.length] = finished;
    if (!this.exporter) return;
    if (this.queue.length < this.ring.length) this.queue.push(finished);
    if (this.queue.length >= EXPORT_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), EXPORT_INTERVAL_MS).unref();
  }

  /**
   * Spans with a sequence number above `since`, oldest first, at most `limit`;
   * `next` is the cursor for the next call, valid while `epoch` is unchanged.
   */
  since(since: number, limit = 1000): { epoch: string; next: number; dropped: number; spans: FinishedSpan[] } {
    const oldest = Math.max(1, this.seq - this.ring.length + 1);
    const from = Math.max(since + 1, oldest);
    const spans: FinishedSpan[] = [];
    for (let s = from; s <= this.seq && spans.length < limit; s++) {
      const span = this.ring[s % this.ring.length];
      if (span?.seq === s) spans.push(span);
    }
    const next = spans.length > 0 ? (spans.at(-1)?.seq ?? since) : Math.max(since, Math.min(this.seq, since));
    return { epoch: this.epoch, next, dropped: Math.max(0, oldest - since - 1), spans };
  }

  /** Exports what is queued (no-op without an exporter). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const exporter = this.exporter;
    if (!exporter || this.queue.length === 0) return this.exporting;
    const batch = this.queue.splice(0, this.queue.length);
    this.exporting = this.exporting.then(async () => {
      const e = await exporter;
      const spans = batch.map((s) => this.readable(s));
      await new Promise<void>((resolve) => e.export(spans, () => resolve()));
    });
    return this.exporting;
  }

  async shutdown(): Promise<void> {
    await this.flush();
    const exporter = this.exporter;
    this.exporter = undefined;
    await (await exporter)?.shutdown();
  }

  private readable(s: FinishedSpan): ReadableSpan {
    const start = Number(BigInt(s.startTimeUnixNano) / 1000n) / 1000;
    const end = Number(BigInt(s.endTimeUnixNano) / 1000n) / 1000;
    return {
      name: s.name,
      kind: (s.kind === "client" ? OTEL_SPAN_KIND_CLIENT : OTEL_SPAN_KIND_SERVER) as SpanKind,
      spanContext: () => ({ traceId: s.traceId, spanId: s.spanId, traceFlags: OTEL_SAMPLED as TraceFlags }),
      parentSpanContext: s.parentSpanId ? { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: OTEL_SAMPLED as TraceFlags, isRemote: true } : undefined,
      startTime: hrTime(start),
      endTime: hrTime(end),
      duration: hrTime(end - start),
      status: { code: (s.error ? OTEL_STATUS_ERROR : OTEL_STATUS_UNSET) as SpanStatusCode },
      attributes: s.attributes,
      links: [],
      events: [],
      ended: true,
      // Set by the time an exporter exists (both are loaded together).
      resource: this.resource as Resource,
      instrumentationScope: { name: "weft-proxy" },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }
}
