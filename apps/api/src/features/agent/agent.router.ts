// The agent API: every procedure but `join` authenticates a cluster's agent
// by its credential, and takes the cluster from that credential, never from
// its input. test/access.test.ts proves it for every procedure here.
// Every input (and checked answer) is mesh-model's: the agent↔manager
// contract lives in packages/mesh-model/src/distribution/, imported by both.
import {
  AckTrustBundleInputSchema,
  AgentJoinInputSchema,
  ConfigAckSchema,
  ConfigStreamInputSchema,
  DiscoveryDeltaSchema,
  DiscoverySnapshotSchema,
  HeartbeatInputSchema,
  QueryAnswerSchema,
  TapReportSchema,
  ReportCertificatesInputSchema,
  SignedIntermediateSchema,
  SignIntermediateInputSchema,
  SpanReportSchema,
  TelemetryReportSchema,
} from "@weft/mesh-model";
import { z } from "zod";
import { agentOf, agentProcedure, audited, publicProcedure, router } from "../../trpc.ts";

export const agentRouter = router({
  /**
   * Exchanges a one-time join token for the agent's long-lived credential
   * (returned once). Public: the token is the proof; failures are rate limited per address.
   */
  join: publicProcedure
    .meta({ audit: "manual" })
    .input(AgentJoinInputSchema)
    .mutation(async ({ ctx, input }) => {
      try {
        const joined = await ctx.services.clusters.join(input.joinToken, input.agentVersion, ctx.request.ip);
        await ctx.services.audit.record({ actor: null, actorName: `agent:${joined.cluster.name}`, action: "agent.join", outcome: "SUCCESS", target: `Cluster/${joined.cluster.name}`, cluster: joined.cluster.name, ip: ctx.request.ip });
        return joined;
      } catch (err) {
        await ctx.services.audit.record({ actor: null, actorName: "agent", action: "agent.join", outcome: "DENIED", details: { error: (err as Error).message }, ip: ctx.request.ip });
        throw err;
      }
    }),
  /** The agent's own cluster: status, sync state, proxies. */
  cluster: agentProcedure.input(z.strictObject({}).default({})).query(async ({ ctx }) => ctx.services.clusters.ofAgent(await agentOf(ctx))),
  /** Liveness and agent version; the answer carries the mesh's config version. */
  heartbeat: agentProcedure.input(HeartbeatInputSchema).mutation(async ({ ctx, input }) => {
    const agent = await agentOf(ctx);
    await ctx.services.clusters.heartbeat(agent, input.agentVersion, input.agentTime);
    const versions = await ctx.services.distribution.bus.current();
    return { configVersion: versions.configVersion.toString() };
  }),
  /** What the agent should do besides config: questions about its proxies (weft proxy-status/proxy-config) and open taps to relay. Polled every second. */
  pending: agentProcedure.input(z.strictObject({}).default({})).query(async ({ ctx }) => {
    const agent = await agentOf(ctx);
    const [queries, taps] = await Promise.all([ctx.services.proxies.pending(agent), ctx.services.tap.pendingFor(agent)]);
    return { queries, taps };
  }),
  /** The answer to one of this cluster's queries. */
  answerQuery: agentProcedure.input(QueryAnswerSchema).mutation(async ({ ctx, input }) => ctx.services.proxies.answer(await agentOf(ctx), input)),
  /** Request summaries for open taps, read from the cluster's proxies. */
  reportTap: agentProcedure.input(TapReportSchema).mutation(async ({ ctx, input }) => ctx.services.tap.report(await agentOf(ctx), input)),
  /** Discovery changes since report `baseSeq`; CONFLICT when the manager needs a full resync first. */
  reportDiscovery: agentProcedure.input(DiscoveryDeltaSchema).mutation(async ({ ctx, input }) => ctx.services.discovery.applyDelta(await agentOf(ctx), input)),
  /** Everything discovery sees: the cluster's services, workloads and endpoints become exactly this. */
  resyncDiscovery: agentProcedure.input(DiscoverySnapshotSchema).mutation(async ({ ctx, input }) => ctx.services.discovery.resync(await agentOf(ctx), input)),
  /**
   * The cluster's versioned config over SSE: a full snapshot on connect and
   * after every change. Event ids are `<configVersion>.<catalogVersion>.<hash>`;
   * reconnecting with the last one (`lastEventId`) skips a snapshot the agent already has.
   */
  configStream: agentProcedure
    .input(ConfigStreamInputSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      const agent = await agentOf(ctx);
      yield* ctx.services.distribution.stream(agent, input.lastEventId ?? null, signal);
    }),
  /** What the agent did with a config version: applied, or rejected with the reason and per-proxy detail. */
  ackConfig: agentProcedure.input(ConfigAckSchema).mutation(async ({ ctx, input }) => {
    const agent = await agentOf(ctx);
    return ctx.services.sync.acknowledge(agent, input);
  }),
  /** Per-edge traffic deltas with latency sketches, merged into per-minute rollups. */
  reportTelemetry: agentProcedure.input(TelemetryReportSchema).mutation(async ({ ctx, input }) => ctx.services.telemetry.report(await agentOf(ctx), input.edges, input.seq)),
  /** Finished spans of the cluster's proxies, stored under the credential's cluster for trace views; a retried report stores nothing twice. */
  reportSpans: agentProcedure.input(SpanReportSchema).mutation(async ({ ctx, input }) => ctx.services.spans.report(await agentOf(ctx), input)),
  /**
   * Signs the cluster's intermediate from its CSR under the mesh's ACTIVE CA.
   * The CSR must name this credential's cluster (FORBIDDEN, `csr.subject.CN`,
   * otherwise); PRECONDITION_FAILED while the mesh has no CA or no CA key.
   */
  signIntermediate: agentProcedure
    .input(SignIntermediateInputSchema)
    .output(SignedIntermediateSchema)
    .mutation(async ({ ctx, input }) => audited(ctx, ctx.services.identity.signIntermediate(await agentOf(ctx), input.csrPem))),
  /** The cluster's workload certificates now: replaces its inventory (expiry warnings, rotation progress). */
  reportCertificates: agentProcedure
    .input(ReportCertificatesInputSchema)
    .output(z.object({ stored: z.number().int() }))
    .mutation(async ({ ctx, input }) => ctx.services.identity.reportCertificates(await agentOf(ctx), input.certificates)),
  /** How far ClusterConfig.trust.bundleVersion has spread; recorded once every proxy runs it (what a root rotation waits for). */
  ackTrustBundle: agentProcedure
    .input(AckTrustBundleInputSchema)
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => ctx.services.identity.ackTrustBundle(await agentOf(ctx), input)),
});
