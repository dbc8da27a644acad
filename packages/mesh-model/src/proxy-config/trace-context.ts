// Trace-context propagation: W3C `traceparent` and B3 (single `b3` header or
// the multi-header `X-B3-*` form). Pure parsing and formatting; the proxy
// decides when to start spans.

/** An incoming (or outgoing) trace context. */
export interface TraceContext {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters: the span of the sender. */
  spanId: string;
  sampled: boolean;
}

/** Which header forms the request arrived with; the proxy answers in the same forms. */
export interface TraceFormats {
  w3c: boolean;
  b3Single: boolean;
  b3Multi: boolean;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = "0".repeat(32);
const ZERO16 = "0".repeat(16);

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function validIds(traceId: string, spanId: string): boolean {
  return HEX32.test(traceId) && HEX16.test(spanId) && traceId !== ZERO32 && spanId !== ZERO16;
}

/** Parses `traceparent` (version 00 and future versions per the W3C rules). */
export function parseTraceparent(value: string | undefined): TraceContext | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  const parts = v.split("-");
  if (parts.length < 4) return undefined;
  const [version, traceId = "", spanId = "", flags = ""] = parts;
  if (version === undefined || !/^[0-9a-f]{2}$/.test(version) || version === "ff") return undefined;
  if (version === "00" && parts.length !== 4) return undefined;
  if (!/^[0-9a-f]{2}$/.test(flags) || !validIds(traceId, spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** 64-bit B3 trace ids are left-padded to 128 bits. */
function b3TraceId(id: string): string {
  return id.length === 16 ? `${ZERO16}${id}` : id;
}

function b3Sampled(flag: string | undefined, debug?: string): boolean {
  return flag === "1" || flag === "d" || flag === "true" || debug === "1";
}

/** Parses the single `b3` header: `{traceId}-{spanId}[-{sampled}[-{parentSpanId}]]`. A bare `0`/`1`/`d` has no ids. */
export function parseB3Single(value: string | undefined): TraceContext | undefined {
  if (value === undefined) return undefined;
  const parts = value.trim().toLowerCase().split("-");
  if (parts.length < 2 || parts.length > 4) return undefined;
  const traceId = b3TraceId(parts[0] ?? "");
  const spanId = parts[1] ?? "";
  if (!validIds(traceId, spanId)) return undefined;
  // Absent sampling state: defer to us, and we record (the sender chose to propagate).
  return { traceId, spanId, sampled: parts[2] === undefined ? true : b3Sampled(parts[2]) };
}

/** Parses `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled`, `X-B3-Flags`. */
export function parseB3Multi(headers: Headers): TraceContext | undefined {
  const t = first(headers["x-b3-traceid"]);
  const s = first(headers["x-b3-spanid"]);
  if (t === undefined || s === undefined) return undefined;
  const traceId = b3TraceId(t.trim().toLowerCase());
  const spanId = s.trim().toLowerCase();
  if (!validIds(traceId, spanId)) return undefined;
  const sampled = first(headers["x-b3-sampled"]);
  return { traceId, spanId, sampled: sampled === undefined ? true : b3Sampled(sampled.trim().toLowerCase(), first(headers["x-b3-flags"])) };
}

/**
 * The context of an incoming request and the forms it came in. W3C wins over
 * B3 when both are present and valid (as in the OpenTelemetry composite propagator).
 */
export function extractTraceContext(headers: Headers): { context: TraceContext; formats: TraceFormats } | undefined {
  const w3c = parseTraceparent(first(headers.traceparent));
  const single = parseB3Single(first(headers.b3));
  const multi = parseB3Multi(headers);
  const context = w3c ?? single ?? multi;
  if (!context) return undefined;
  return { context, formats: { w3c: w3c !== undefined, b3Single: single !== undefined, b3Multi: multi !== undefined } };
}

/** Formats a W3C traceparent (version 00). */
export function formatTraceparent(c: TraceContext): string {
  return `00-${c.traceId}-${c.spanId}-${c.sampled ? "01" : "00"}`;
}

/**
 * Sets the outgoing headers for `context` (the proxy's span as the new
 * parent) in `formats`, replacing what came in. `parentSpanId` is B3's
 * optional parent field.
 */
export function injectTraceContext(
  headers: Record<string, unknown>,
  context: TraceContext,
  formats: TraceFormats,
  parentSpanId?: string,
): void {
  if (formats.w3c) headers.traceparent = formatTraceparent(context);
  if (formats.b3Single) {
    headers.b3 = `${context.traceId}-${context.spanId}-${context.sampled ? "1" : "0"}${parentSpanId ? `-${parentSpanId}` : ""}`;
  }
  if (formats.b3Multi) {
    headers["x-b3-traceid"] = context.traceId;
    headers["x-b3-spanid"] = context.spanId;
    headers["x-b3-sampled"] = context.sampled ? "1" : "0";
    if (parentSpanId) headers["x-b3-parentspanid"] = parentSpanId;
    else delete headers["x-b3-parentspanid"];
    delete headers["x-b3-flags"];
  }
}
