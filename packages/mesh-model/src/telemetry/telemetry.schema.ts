// What an agent ships every few seconds: per-edge deltas of request counts,
// errors and a mergeable latency sketch, bucketed by the minute they fell in.
// The sketch's wire form is the proxy's (`proxy-config/latency-sketch.ts`).
import { z } from "zod";
import type { LatencySketchData } from "../proxy-config/latency-sketch.ts";

/** The most buckets a shipped sketch may carry (the proxy caps its own at 2048). */
export const MAX_SKETCH_BUCKETS = 4096;

export const LatencySketchDataSchema = z
  .strictObject({
    relativeAccuracy: z.number().gt(0).lt(1).describe("Relative accuracy `a` of the sketch: every quantile is within a·value of the exact one."),
    offset: z.number().int().min(-100_000).max(100_000).describe("Bucket index of the first entry of `counts`."),
    counts: z.array(z.number().min(0)).max(MAX_SKETCH_BUCKETS).describe("Counts of consecutive logarithmic buckets, starting at `offset`."),
    zeroCount: z.number().min(0).describe("Values at (or below) zero."),
    count: z.number().min(0).describe("Total number of values."),
    sum: z.number().min(0).describe("Sum of the values (milliseconds)."),
    min: z.number().min(0).describe("Smallest value (0 when empty)."),
    max: z.number().min(0).describe("Largest value (0 when empty)."),
  })
  .refine((s) => Math.abs(s.zeroCount + s.counts.reduce((a, b) => a + b, 0) - s.count) < 1e-6 * Math.max(1, s.count), {
    message: "count must equal zeroCount plus the bucket counts",
    path: ["count"],
  })
  .describe("A DDSketch of latencies in milliseconds, in the proxy's wire form (LatencySketch.toJSON()).") satisfies z.ZodType<LatencySketchData>;

export const CodeClassSchema = z
  .enum(["2xx", "3xx", "4xx", "5xx", "other"])
  .describe("Response class; `other` for requests that got no HTTP response (connection failures, resets, timeouts before headers).");
export type CodeClass = z.infer<typeof CodeClassSchema>;

const LabelSchema = z.string().max(253);

export const EdgeEndSchema = z
  .strictObject({
    cluster: LabelSchema.describe("Cluster of the workload; empty for callers outside the mesh."),
    namespace: LabelSchema.describe("Namespace of the service; empty when unknown."),
    service: LabelSchema.min(1).describe("Service name; `unknown` for callers outside the mesh."),
    version: LabelSchema.default("").describe("The workload's version label; empty when it has none."),
  })
  .describe("One end of an edge: a service version in a cluster.");
export type EdgeEnd = z.output<typeof EdgeEndSchema>;

export const EdgeDeltaSchema = z
  .strictObject({
    minute: z
      .number()
      .int()
      .min(0)
      .refine((m) => m % 60_000 === 0, "must be the start of a minute (epoch milliseconds divisible by 60000)")
      .describe("Start of the minute (epoch ms, UTC) the requests completed in."),
    source: EdgeEndSchema.describe("The caller."),
    destination: EdgeEndSchema.describe("The callee."),
    codeClass: CodeClassSchema,
    requests: z.number().int().min(0).max(1e12).describe("Requests completed since the previous report."),
    errors: z.number().int().min(0).max(1e12).describe("Of those, failed requests (5xx, and every `other`)."),
    mtlsRequests: z.number().int().min(0).max(1e12).default(0).describe("Of those, requests whose hop was mutual TLS (the caller's proxy originated it); the topology shows which edges are mTLS."),
    latency: LatencySketchDataSchema.describe("Latencies of those requests, in milliseconds."),
  })
  .refine((e) => e.errors <= e.requests, { message: "cannot exceed requests", path: ["errors"] })
  .refine((e) => e.mtlsRequests <= e.requests, { message: "cannot exceed requests", path: ["mtlsRequests"] })
  .refine((e) => e.latency.count <= e.requests, { message: "the sketch holds more values than requests", path: ["latency", "count"] })
  .describe("Traffic of one edge and response class in one minute since the previous report: a delta, added to the minute's rollup.");
export type EdgeDelta = z.input<typeof EdgeDeltaSchema>;
export type ParsedEdgeDelta = z.output<typeof EdgeDeltaSchema>;

export const TelemetryReportSchema = z
  .strictObject({
    seq: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe("Report number, increasing per cluster (across agent restarts too); a report whose seq is not above the last applied one is a retry and is not counted again. Without it, every report is counted."),
    edges: z.array(EdgeDeltaSchema).max(20_000).describe("Edge deltas. An agent reports the edges its proxies called out on (source in its cluster), and callers from outside the mesh (source cluster empty) of its own services."),
  })
  .describe("A telemetry report: deltas since the previous one.");
export type TelemetryReport = z.input<typeof TelemetryReportSchema>;

/** Canonical identity of an edge and response class, the unit of a per-minute rollup. */
export function edgeKey(e: { source: EdgeEnd; destination: EdgeEnd; codeClass: CodeClass }): string {
  const { source: s, destination: d } = e;
  return JSON.stringify([s.cluster, s.namespace, s.service, s.version, d.cluster, d.namespace, d.service, d.version, e.codeClass]);
}
