import { z } from "zod";
import { roleProcedure, router } from "../../trpc.ts";
import { failureCausesProcedure } from "./failure-causes.router.ts";
import { TopologyReplayInputSchema } from "./topology-replay.schema.ts";
import { STATS_GROUPS } from "./traffic-groups.ts";

const WindowShape = {
  from: z.date().describe("Start of the window (rounded down to the minute)."),
  to: z.date().describe("End of the window, exclusive (rounded up to the minute)."),
};

export const telemetryRouter = router({
  /** Every edge with traffic in the window: request rate, error percentage, p50/p90/p99 latency (ms); and each discovered service's export status (`exports`). */
  edges: roleProcedure("VIEWER")
    .input(
      z.strictObject({
        ...WindowShape,
        cluster: z.string().min(1).optional().describe("Only edges with this cluster at either end."),
        namespace: z.string().min(1).optional().describe("Only edges with this namespace at either end."),
      }),
    )
    .query(({ ctx, input }) => ctx.services.topologyExports.edges(input)),
  /** The window's traffic per service, workload or cluster (by destination) or per edge: rate, success, p50/p95/p99 from merged sketches, mTLS share. */
  stats: roleProcedure("VIEWER")
    .input(
      z.strictObject({
        ...WindowShape,
        groupBy: z.enum(STATS_GROUPS).describe("service, workload (service version in a cluster), cluster (of the destination), or edge."),
        cluster: z.string().min(1).optional().describe("Only traffic with this cluster at either end."),
        namespace: z.string().min(1).optional().describe("Only traffic with this namespace at either end."),
      }),
    )
    .query(({ ctx, input }) => ctx.services.telemetry.stats(input)),
  /** The topology frame by frame (rate, success, p99 per edge) over a bounded window, with every change of the window marked: revisions, rollout steps, SLO alert transitions. */
  topologyReplay: roleProcedure("VIEWER")
    .input(TopologyReplayInputSchema)
    .query(({ ctx, input }) => ctx.services.topologyReplay.replay({ from: input.from, to: input.to, stepSeconds: input.step, cluster: input.cluster, namespace: input.namespace })),
  /** A service's inbound traffic as a series: one point per step. */
  serviceSeries: roleProcedure("VIEWER")
    .input(
      z.strictObject({
        service: z.strictObject({ namespace: z.string().min(1), name: z.string().min(1) }).describe("The service, by namespace and name."),
        ...WindowShape,
        step: z.number().int().min(60).max(86_400).multipleOf(60).default(60).describe("Seconds per point, a multiple of 60."),
        cluster: z.string().min(1).optional().describe("Only traffic to this cluster's instances."),
        version: z.string().min(1).optional().describe("Only traffic to this version's instances (a rollout's canary or stable)."),
      }),
    )
    .query(({ ctx, input }) =>
      ctx.services.telemetry.serviceSeries({ namespace: input.service.namespace, service: input.service.name, from: input.from, to: input.to, stepSeconds: input.step, cluster: input.cluster, version: input.version }),
    ),
  /** The most recent traces touching a service (its proxies recorded a span, or a caller's proxy called it), newest first. */
  traces: roleProcedure("VIEWER")
    .input(
      z.strictObject({
        namespace: z.string().min(1).max(253).describe("Namespace of the service."),
        service: z.string().min(1).max(253).describe("Name of the service."),
        from: z.date().describe("Start of the window: traces with a span of the service starting at or after it."),
        to: z.date().describe("End of the window, exclusive."),
        limit: z.number().int().min(1).max(200).default(50).describe("Most traces returned."),
        errorsOnly: z.boolean().default(false).describe("Only traces with a failed span (no response, 5xx, non-zero gRPC status)."),
      }),
    )
    .query(({ ctx, input }) => ctx.services.spans.traces(input)),
  /** Why requests to a service or over an edge failed: status, response flags, the proxy that set them, traces. */
  failureCauses: failureCausesProcedure,
  /** Every recorded span of one trace, earliest first, with parent links. */
  trace: roleProcedure("VIEWER")
    .input(z.strictObject({ traceId: z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex digits").describe("W3C trace id.") }))
    .query(({ ctx, input }) => ctx.services.spans.trace(input.traceId)),
});
