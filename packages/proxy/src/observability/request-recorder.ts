// Outcome recording: every finished request or TCP connection is counted per
// edge (weft_requests_total, the duration histogram, the latency sketch),
// traced when sampled and written to the access log when one is configured.
// Also the downstream gauges /stats and weft_active_requests show.
import { PEER_METADATA_HEADER, peerSource } from "../core/peer-metadata.ts";
import type { ProxyNode } from "@weft/mesh-model/proxy-config";
import type { Outcome } from "../core/outcome.ts";
import type { PeerIdentity } from "../core/peer-identity.ts";
import type { RequestHead } from "../core/request-head.ts";
import { formatFlags, type ResponseFlagCode } from "../core/response-flags.ts";
import type { AccessLog } from "./access-log.ts";
import type { EdgeTelemetry } from "./edge-telemetry.ts";
import type { ProxyMetrics } from "./metrics.ts";
import type { TapRing } from "./tap-ring.ts";
import type { Tracer } from "./tracing.ts";

/** Where a request was handled: the listener and the proxy's own identity. */
export interface RecordContext {
  node: ProxyNode;
  /** The proxy's SPIFFE ID, when it has identity material. */
  localIdentity: string | undefined;
  listener: string;
  inbound: boolean;
}

/** What the access log and the span say about the request itself. */
export interface RecordedRequest extends RequestHead {
  httpVersion: string;
}

/** One finished TCP passthrough connection. */
export interface TcpRecord {
  listener: string;
  destinationService: string;
  flags: readonly ResponseFlagCode[];
  upstreamHost: string;
  bytesReceived: number;
  bytesSent: number;
  startedMs: number;
  serverName: string | undefined;
}

export class RequestRecorder {
  /** Requests (and TCP connections) in flight. */
  active = 0;
  /** Requests since start. */
  total = 0;
  /** Malformed or oversized requests refused. */
  protocolErrors = 0;
  /** Requests the HTTP/1.1 fast path served. */
  fastPath = 0;

  constructor(
    private readonly edges: EdgeTelemetry,
    private readonly tracer: Tracer,
    private readonly accessLog: AccessLog,
    private readonly metrics: ProxyMetrics,
    private readonly now: () => number,
    private readonly tap?: TapRing,
  ) {}

  /** A refused malformed request (weft_downstream_protocol_errors_total). */
  protocolError(listener: string, status: number): void {
    this.protocolErrors++;
    this.metrics.protocolErrors.inc({ listener, response_code: String(status) });
  }

  /** A new request's outcome, before routing has decided anything. */
  newOutcome(ctx: RecordContext, headers: RequestHead["headers"], peer: PeerIdentity | undefined, h2: boolean, grpc: boolean): Outcome {
    const node = ctx.node;
    const inbound = ctx.inbound;
    // Inbound callers are anonymous until mTLS gives them an identity; their proxy states service and version.
    const stated = inbound ? peerSource(headers[PEER_METADATA_HEADER], peer) : { service: node.service, version: node.version ?? "unknown" };
    // A call from the workload's own service in its own cluster would be recorded on the inbound side
    // with exactly the labels the caller's outbound side uses, and everything that counts at the callers
    // (the agent's rollups, the exported SLO rules) would see each such request twice. Until edges carry
    // the reporting side (Istio's `reporter` label), the inbound side leaves such a caller anonymous.
    const selfCall = inbound && stated.service === node.service && (peer?.cluster ?? node.locality.cluster) === node.locality.cluster;
    const source = selfCall ? { service: "unknown", version: "unknown" } : stated;
    return {
      sourceService: source.service,
      sourceVersion: source.version,
      destinationService: "unknown",
      destinationVersion: "unknown",
      destinationCluster: inbound ? (node.locality.cluster ?? "unknown") : "unknown",
      upstreamHost: "-",
      flags: [],
      h2,
      grpc,
      grpcStatus: undefined,
      respondedTrailersOnly: false,
      requestId: undefined,
      trace: this.tracer.begin(headers, performance.timeOrigin + performance.now()),
      peer: inbound ? peer : undefined,
      mtls: inbound && peer !== undefined,
      jwt: undefined,
      stripToken: undefined,
      authz: undefined,
    };
  }

  /**
   * Counts, logs and traces one finished request. `startedAt` is a
   * `performance.now()` reading: durations are monotonic and sub-millisecond
   * (a loopback request takes a fraction of a millisecond, which a
   * `Date.now()` difference records as zero).
   */
  record(ctx: RecordContext, req: RecordedRequest, outcome: Outcome, code: number, startedAt: number): void {
    const { node, inbound } = ctx;
    const endMs = this.now();
    const seconds = Math.max(0, performance.now() - startedAt) / 1000;
    const flags = formatFlags(outcome.flags);
    const grpcStatus = outcome.grpcStatus === undefined ? "-" : String(outcome.grpcStatus);
    const sourceVersion = outcome.sourceVersion;
    const sourceCluster = inbound ? (outcome.peer?.cluster ?? "unknown") : (node.locality.cluster ?? "unknown");
    const sourceIdentity = inbound ? (outcome.peer?.spiffeId ?? "unknown") : (ctx.localIdentity ?? "unknown");
    const mtls = outcome.mtls ? "true" : "false";
    this.edges.record(
      outcome.sourceService,
      sourceVersion,
      sourceCluster,
      outcome.destinationService,
      outcome.destinationVersion,
      outcome.destinationCluster,
      String(code),
      flags,
      grpcStatus,
      sourceIdentity,
      mtls,
      seconds,
    );
    const trace = outcome.trace;
    if (trace?.context.sampled) {
      this.tracer.finish(trace, `${req.method ?? "GET"} ${outcome.destinationService}`, inbound ? "server" : "client", performance.timeOrigin + performance.now(), code === 0 || code >= 500 || (outcome.grpcStatus ?? 0) !== 0, {
        "http.request.method": req.method ?? "",
        "url.path": (req.url ?? "").split("?")[0] ?? "",
        "http.response.status_code": code,
        "weft.response_flags": flags,
        "weft.listener": ctx.listener,
        "weft.upstream_host": outcome.upstreamHost,
        "weft.source_service": outcome.sourceService,
        "weft.destination_service": outcome.destinationService,
        "weft.destination_version": outcome.destinationVersion,
        "weft.source_identity": sourceIdentity,
        "weft.mtls": mtls,
        ...(outcome.grpcStatus === undefined ? {} : { "rpc.grpc.status_code": outcome.grpcStatus }),
      });
    }
    if (this.tap?.armed) this.tapEvent(this.tap, { inbound, req, outcome, code, startIso: new Date(endMs - seconds * 1000).toISOString(), seconds, flags, sourceIdentity });
    if (this.accessLog.enabled) {
      this.accessLog.write({
        start_time: new Date(endMs - seconds * 1000).toISOString(),
        listener: ctx.listener,
        protocol: outcome.h2 ? "HTTP/2" : `HTTP/${req.httpVersion}`,
        method: req.method,
        authority: req.headers.host ?? (req.headers[":authority"] as string | undefined),
        path: req.url,
        response_code: code,
        response_flags: flags,
        grpc_status: outcome.grpcStatus ?? null,
        duration_ms: Math.round(seconds * 1e6) / 1000,
        upstream_host: outcome.upstreamHost,
        source_service: outcome.sourceService,
        source_identity: sourceIdentity,
        mtls: outcome.mtls,
        authz_policy: outcome.authz ? (outcome.authz.policy ?? "-") : null,
        request_principal: outcome.jwt?.principal ?? null,
        destination_service: outcome.destinationService,
        destination_version: outcome.destinationVersion,
        destination_cluster: outcome.destinationCluster,
        request_id: outcome.requestId ?? null,
        trace_id: trace?.context.traceId ?? null,
        span_id: trace?.context.spanId ?? null,
        user_agent: req.headers["user-agent"] ?? null,
      });
    }
  }

  /** A finished request for weft tap: what the access log says, less the headers. */
  private tapEvent(ring: TapRing, r: { inbound: boolean; req: RecordedRequest; outcome: Outcome; code: number; startIso: string; seconds: number; flags: string; sourceIdentity: string }): void {
    const { req, outcome } = r;
    ring.push({
      time: r.startIso,
      direction: r.inbound ? "inbound" : "outbound",
      method: req.method ?? "GET",
      authority: req.headers.host ?? (req.headers[":authority"] as string | undefined) ?? "",
      path: (req.url ?? "").split("?")[0] ?? "",
      status: r.code,
      durationMs: Math.round(r.seconds * 1e6) / 1000,
      flags: r.flags,
      sourceService: outcome.sourceService,
      sourceIdentity: r.sourceIdentity,
      destinationService: outcome.destinationService,
      destinationVersion: outcome.destinationVersion,
      destinationCluster: outcome.destinationCluster,
      mtls: outcome.mtls,
      traceId: outcome.trace?.context.traceId ?? null,
    });
  }

  /** Counts and logs one finished TCP passthrough connection. */
  recordTcp(t: TcpRecord): void {
    const flags = formatFlags(t.flags);
    this.metrics.tcpConnections.inc({ listener: t.listener, destination_service: t.destinationService, response_flags: flags });
    this.metrics.tcpBytes.inc({ listener: t.listener, direction: "received" }, t.bytesReceived);
    this.metrics.tcpBytes.inc({ listener: t.listener, direction: "sent" }, t.bytesSent);
    if (!this.accessLog.enabled) return;
    this.accessLog.write({
      start_time: new Date(t.startedMs).toISOString(),
      listener: t.listener,
      protocol: "TCP",
      response_flags: flags,
      duration_ms: this.now() - t.startedMs,
      upstream_host: t.upstreamHost,
      bytes_received: t.bytesReceived,
      bytes_sent: t.bytesSent,
      destination_service: t.destinationService,
      ...(t.serverName !== undefined ? { server_name: t.serverName } : {}),
    });
  }
}
