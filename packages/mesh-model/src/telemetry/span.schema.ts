// What an agent ships of its proxies' traces: finished spans (one per proxy
// hop), labelled with the workload of the proxy that recorded them. The
// cluster is not part of a span: the manager takes it from the agent's
// credential.
import { z } from "zod";

/** The most spans one report may carry. */
export const MAX_SPANS_PER_REPORT = 1000;
/** The most attributes one span may carry. */
export const MAX_SPAN_ATTRIBUTES = 32;

const LabelSchema = z.string().max(253);

export const SpanKindSchema = z.enum(["SERVER", "CLIENT"]).describe("SERVER: recorded by the callee's inbound proxy; CLIENT: recorded by the caller's outbound proxy.");
export type SpanKind = z.infer<typeof SpanKindSchema>;

export const SpanAttributesSchema = z
  .record(z.string().min(1).max(128), z.union([z.string().max(1024), z.number().finite()]))
  .refine((a) => Object.keys(a).length <= MAX_SPAN_ATTRIBUTES, { message: `at most ${MAX_SPAN_ATTRIBUTES} attributes` })
  .describe("OpenTelemetry-style attributes of the span (method, path, upstream host, …).");

export const WireSpanSchema = z
  .strictObject({
    traceId: z
      .string()
      .regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex digits")
      .refine((s) => !/^0+$/.test(s), "must not be all zeros")
      .describe("W3C trace id."),
    spanId: z
      .string()
      .regex(/^[0-9a-f]{16}$/, "must be 16 lowercase hex digits")
      .refine((s) => !/^0+$/.test(s), "must not be all zeros")
      .describe("The span's own id."),
    parentSpanId: z
      .string()
      .regex(/^[0-9a-f]{16}$/, "must be 16 lowercase hex digits")
      .nullable()
      .default(null)
      .describe("The caller's span id; null for a trace's first hop."),
    namespace: LabelSchema.describe("Namespace of the workload whose proxy recorded the span."),
    service: LabelSchema.min(1).describe("Service of that workload."),
    version: LabelSchema.default("").describe("Version label of that workload; empty when it has none."),
    kind: SpanKindSchema,
    name: z.string().min(1).max(256).describe("Span name, e.g. `GET checkout`."),
    startTime: z.number().min(0).max(8.64e15).describe("Start, in epoch milliseconds (fractional)."),
    durationMs: z.number().min(0).max(86_400_000).describe("Duration in milliseconds."),
    statusCode: z.number().int().min(0).max(999).nullable().default(null).describe("HTTP status answered; 0 when no response came; null for non-HTTP spans."),
    responseFlags: z.string().max(64).default("").describe("Proxy response flags, e.g. `UF` (upstream connection failure), `RL` (rate limited); empty when none."),
    peerService: z.string().max(507).default("").describe("Destination of a CLIENT span as `namespace/service` (namespace empty when unknown); empty for SERVER spans."),
    attributes: SpanAttributesSchema.default({}),
  })
  .describe("One finished span of one proxy hop.");
export type WireSpan = z.input<typeof WireSpanSchema>;
export type ParsedWireSpan = z.output<typeof WireSpanSchema>;

export const SpanReportSchema = z
  .strictObject({
    spans: z.array(WireSpanSchema).max(MAX_SPANS_PER_REPORT).describe("Spans finished since the previous report."),
    dropped: z.number().int().min(0).max(1e12).default(0).describe("Spans the proxies' ring buffers overwrote before the agent read them, since the previous report."),
  })
  .describe("A span report: what the cluster's proxies traced since the previous one.");
export type SpanReport = z.input<typeof SpanReportSchema>;

/**
 * Whether a span's hop failed: no response (status 0), a 5xx, or a non-zero
 * gRPC status — the proxy's own error rule, kept derivable from stored
 * columns so storage needs no extra flag.
 */
export function isSpanError(span: { statusCode: number | null; attributes: Readonly<Record<string, unknown>> }): boolean {
  if (span.statusCode !== null && (span.statusCode === 0 || span.statusCode >= 500)) return true;
  const grpc = span.attributes["rpc.grpc.status_code"];
  return grpc !== undefined && grpc !== null && String(grpc) !== "0";
}
