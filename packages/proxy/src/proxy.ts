// The proxy: owns the listeners, the active config snapshot and the state
// that outlives configs. `applyConfig` is the only way config changes.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { bundleFingerprint, parseCertificate, peerChain, splitPemCertificates, validateSvidChain } from "@weft/identity";
import {
  describeIssues,
  validateProxyConfig,
  type InboundListener,
  type Listener,
  type OutboundListener,
  type ProxyConfig,
  type ProxyConfigIssue,
  type RandomSource,
} from "@weft/mesh-model/proxy-config";
import { AccessLog } from "./observability/access-log.ts";
import { handleAdmin } from "./admin/admin.ts";
import { BackendRegistry } from "./upstream/backend-runtime.ts";
import { EdgeTelemetry, type EdgeReport } from "./observability/edge-telemetry.ts";
import { isGrpc } from "./http/grpc.ts";
import {
  checkSecurity,
  handleHttp,
  requestAuthority,
  requestTarget,
  resolveInbound,
  resolveOutbound,
  sendLocal,
  type ForwardEnv,
  type Outcome,
  type RequestTarget,
} from "./http/http-forwarder.ts";
import { JwtKeyRegistry } from "./security/jwt-authenticator.ts";
import { openHttpListener, openTcpListener, peerOf, type InboundMtls, type ListenerRuntime } from "./listener/listener-server.ts";
import { Gauge, ProxyMetrics } from "./observability/metrics.ts";
import { formatFlags, ResponseFlag } from "./core/response-flags.ts";
import { backendNames, buildSnapshot, type Snapshot } from "./http/snapshot.ts";
import { RateLimitRegistry } from "./security/rate-limit.ts";
import { HealthEvents, type HealthEvent } from "./observability/resilience-events.ts";
import { proxyTcp } from "./tcp/tcp-proxy.ts";
import { gatewayBackend, peekServerName } from "./tcp/gateway-listener.ts";
import { Tracer, type FinishedSpan } from "./observability/tracing.ts";
import { rawReply, tunnelUpgrade } from "./http/upgrade-tunnel.ts";
import { IdentityLoadError, IdentityManager, peerCluster, type IdentityMaterial, type PeerIdentity } from "./security/workload-identity.ts";

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface ProxyOptions {
  /** Randomness for weighted splits, load balancing and jitter (tests pass a seeded one). */
  random?: RandomSource;
  /** Clock in milliseconds. */
  now?: () => number;
  logger?: Logger;
  /** How long a removed listener keeps its open connections (default 5 s). */
  listenerDrainMs?: number;
}

/**
 * The result of `applyConfig`: applied, or refused with the reason (the old
 * config keeps serving). `invalid`: the config itself is wrong; `conflict`:
 * it is valid but cannot be applied now (a port is taken, shutting down, a
 * version precondition failed).
 */
export type ApplyResult =
  | { ok: true; version: string }
  | { ok: false; kind: "invalid" | "conflict"; reason: string; issues: ProxyConfigIssue[] };

/** Thrown by `WeftProxy.start` when the first config is refused. */
export class ProxyConfigError extends Error {
  readonly code = "PROXY_CONFIG_REFUSED";
  constructor(readonly reason: string, readonly issues: ProxyConfigIssue[]) {
    super(`config refused: ${reason}`);
    this.name = "ProxyConfigError";
  }
}

interface ListenerHandle {
  spec: Listener;
  runtime: ListenerRuntime;
  bound: { address: string; port: number };
  draining: boolean;
  closed: Promise<void>;
}

/** What a listener's protocol depends on: a change needs a new socket. */
function bindingShape(l: Listener): string {
  return JSON.stringify([l.kind, l.address, l.port, "tls" in l ? (l.tls ?? null) : null, "http2" in l ? l.http2 : null]);
}

const REDACTED = "[redacted]";

/** The config as /config shows it: private keys replaced by "[redacted]". */
export function redactConfig(config: ProxyConfig): ProxyConfig {
  const copy = structuredClone(config);
  if (copy.identity?.svid.source === "inline") copy.identity.svid.keyPem = REDACTED;
  for (const l of copy.listeners) if ((l.kind === "inbound" || l.kind === "outbound") && l.tls) l.tls.keyPem = REDACTED;
  return copy;
}

interface ConfigCounters {
  applied: number;
  rejected: number;
  lastRejection?: { reason: string; at: string };
}

export class WeftProxy {
  readonly metrics = new ProxyMetrics();
  /** Per-edge counters, histograms and latency sketches. */
  readonly edges = new EdgeTelemetry();
  private readonly tracer: Tracer;
  private readonly accessLog = new AccessLog();
  private snapshot: Snapshot | undefined;
  private handles = new Map<string, ListenerHandle>();
  private readonly draining = new Set<ListenerHandle>();
  private readonly registry: BackendRegistry;
  /** Outlier ejections/returns and active health-check transitions (GET /outliers). */
  readonly healthEvents: HealthEvents;
  private readonly rateLimits: RateLimitRegistry;
  private readonly random: RandomSource;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly listenerDrainMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private shuttingDown = false;
  private activeRequests = 0;
  private totalRequests = 0;
  private protocolErrors = 0;
  private readonly configCounters: ConfigCounters = { applied: 0, rejected: 0 };
  private readonly startedAt: number;
  private readonly identity: IdentityManager;
  private readonly jwtKeys: JwtKeyRegistry;
  /** Set while applyConfig commits, so an identity change does not rebuild the outgoing snapshot. */
  private applying = false;
  private readonly clusterByIssuer = new Map<string, string | undefined>();
  /** Intermediates each client leaf came with on its full handshake: a resumed TLS session carries the leaf only. */
  private readonly chainByLeaf = new Map<string, Buffer[]>();

  constructor(options: ProxyOptions = {}) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.listenerDrainMs = options.listenerDrainMs ?? 5000;
    this.healthEvents = new HealthEvents(this.now);
    this.healthEvents.onEvent((e) => this.countHealthEvent(e));
    this.registry = new BackendRegistry(this.now, this.healthEvents, (service, ok) =>
      this.metrics.healthChecks.inc({ destination_service: service, result: ok ? "success" : "failure" }),
    );
    this.rateLimits = new RateLimitRegistry(this.metrics, this.now);
    this.tracer = new Tracer(this.random);
    this.startedAt = this.now();
    this.identity = new IdentityManager(this.logger, () => new Date(this.now()));
    this.identity.onChange((material) => this.identityChanged(material));
    this.jwtKeys = new JwtKeyRegistry((source, reason) => this.logger.warn("JWKS refresh failed; keeping the keys already known", { source, reason }));
    for (const f of this.edges.families()) this.metrics.add(f);
    this.metrics.add(new Gauge("weft_active_requests", "Requests in flight on the outbound and inbound listeners.", [], () => [{ labels: {}, value: this.activeRequests }]));
    this.metrics.add(
      new Gauge("weft_config_info", "The active config version (value is always 1).", ["version"], () =>
        this.snapshot ? [{ labels: { version: this.snapshot.config.version }, value: 1 }] : [],
      ),
    );
    this.metrics.add(new Gauge("weft_ready", "1 when the proxy is ready to serve.", [], () => [{ labels: {}, value: this.ready() ? 1 : 0 }]));
    this.metrics.add(
      new Gauge("weft_endpoints_unavailable", "Endpoints currently ejected by outlier detection or failing active health checks, by backend and reason (ejected, failing_check).", ["backend", "reason"], () => {
        const out: { labels: Record<string, string>; value: number }[] = [];
        for (const [name, b] of this.snapshot?.backends ?? []) {
          if (!b.outlier && b.spec.policy.healthChecks.length === 0) continue;
          out.push({ labels: { backend: name, reason: "ejected" }, value: b.endpoints.filter((v) => v.stats.ejectedUntil !== 0).length });
          out.push({ labels: { backend: name, reason: "failing_check" }, value: b.endpoints.filter((v) => v.stats.checkFailing).length });
        }
        return out;
      }),
    );
    this.metrics.add(
      new Gauge("weft_svid_expiry_timestamp_seconds", "notAfter of the workload SVID in use (Unix seconds).", ["spiffe_id"], () => {
        const m = this.identity.current;
        return m ? [{ labels: { spiffe_id: m.spiffeId }, value: Math.floor(m.notAfter.getTime() / 1000) }] : [];
      }),
    );
  }

  /** Creates a proxy and applies its first config; throws ProxyConfigError if it is refused. */
  static async start(config: unknown, options: ProxyOptions = {}): Promise<WeftProxy> {
    const proxy = new WeftProxy(options);
    const result = await proxy.applyConfig(config);
    if (!result.ok) {
      await proxy.close({ drainMs: 0 });
      throw new ProxyConfigError(result.reason, result.issues);
    }
    return proxy;
  }

  /** The version of the active config. */
  get version(): string | undefined {
    return this.snapshot?.config.version;
  }

  /** The active config. */
  get config(): ProxyConfig | undefined {
    return this.snapshot?.config;
  }

  /** Where a listener is bound (the real port when the config asked for 0). */
  listenerAddress(name: string): { address: string; port: number } | undefined {
    return this.handles.get(name)?.bound;
  }

  ready(): boolean {
    return this.snapshot !== undefined && !this.shuttingDown;
  }

  /**
   * Validates `input` and, if valid, binds added listeners, swaps the config
   * atomically and drains removed listeners. Requests already in flight
   * finish on the config they started with. Calls are serialized.
   */
  applyConfig(input: unknown): Promise<ApplyResult> {
    const run = this.queue.then(() => this.apply(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private reject(kind: "invalid" | "conflict", reason: string, issues: ProxyConfigIssue[]): ApplyResult {
    this.configCounters.rejected++;
    this.configCounters.lastRejection = { reason, at: new Date(this.now()).toISOString() };
    this.metrics.reloads.inc({ result: "rejected" });
    this.logger.warn("config refused", { reason, activeVersion: this.version });
    return { ok: false, kind, reason, issues };
  }

  private async apply(input: unknown): Promise<ApplyResult> {
    if (this.shuttingDown) return this.reject("conflict", "proxy is shutting down", []);
    const validation = validateProxyConfig(input);
    if (!validation.ok) return this.reject("invalid", describeIssues(validation.issues), validation.issues);
    const config = validation.config;
    let material: IdentityMaterial | undefined;
    try {
      material = await this.identity.prepare(config.identity);
    } catch (err) {
      const reason = err instanceof IdentityLoadError ? err.message : `identity refused: ${String(err)}`;
      return this.reject("invalid", reason, [{ path: "identity", message: reason }]);
    }

    const keep: [ListenerHandle, Listener][] = [];
    const bind: Listener[] = [];
    const wanted = new Set(config.listeners.map((l) => l.name));
    const removed = [...this.handles.values()].filter((h) => !wanted.has(h.spec.name));
    for (const l of config.listeners) {
      const h = this.handles.get(l.name);
      if (h && bindingShape(h.spec) === bindingShape(l)) keep.push([h, l]);
      else {
        bind.push(l);
        if (h) removed.push(h);
      }
    }

    const fresh: ListenerHandle[] = [];
    try {
      for (const l of bind) fresh.push(await this.openListener(l, config));
    } catch (err) {
      for (const h of fresh) this.drainListener(h, 0);
      const reason = `cannot bind listener: ${err instanceof Error ? err.message : String(err)}`;
      return this.reject("conflict", reason, [{ path: "listeners", message: reason }]);
    }

    // The commit: one assignment, so a request sees either the old config or the new.
    const previous = this.snapshot;
    this.applying = true;
    try {
      this.identity.commit(config.identity, material);
    } finally {
      this.applying = false;
    }
    this.jwtKeys.mark();
    this.snapshot = buildSnapshot(config, this.registry, this.jwtKeys, this.identity.current, this.rateLimits);
    this.jwtKeys.sweep();
    const handles = new Map<string, ListenerHandle>();
    for (const [h, l] of keep) {
      h.spec = l;
      handles.set(l.name, h);
    }
    for (const h of fresh) handles.set(h.spec.name, h);
    this.handles = handles;
    for (const h of removed) this.drainListener(h, this.listenerDrainMs);
    this.registry.prune(backendNames(this.snapshot));
    this.tracer.configure(config.telemetry.tracing, config.node.service);
    this.accessLog.configure(config.telemetry.accessLog?.path);

    this.configCounters.applied++;
    this.metrics.reloads.inc({ result: "applied" });
    if (previous?.config.version !== config.version) this.logger.info("config applied", { version: config.version, previous: previous?.config.version });
    return { ok: true, version: config.version };
  }

  /** A rotated SVID or bundle from watched files: new pools for mTLS backends (listeners follow by themselves). */
  private identityChanged(material: IdentityMaterial | undefined): void {
    if (this.applying) return;
    this.queue = this.queue.then(() => {
      const current = this.snapshot;
      if (!current || this.shuttingDown) return;
      this.snapshot = buildSnapshot(current.config, this.registry, this.jwtKeys, material, this.rateLimits);
    });
  }

  /** The cluster of the intermediate that issued a peer's SVID (cached per intermediate). */
  private clusterOf(intermediates: readonly Buffer[]): string | undefined {
    const first = intermediates[0];
    if (!first) return undefined;
    const key = first.toString("base64");
    if (this.clusterByIssuer.has(key)) return this.clusterByIssuer.get(key);
    if (this.clusterByIssuer.size >= 256) this.clusterByIssuer.clear();
    const cluster = peerCluster(intermediates);
    this.clusterByIssuer.set(key, cluster);
    return cluster;
  }

  /** Judges an mTLS client by the X.509-SVID rules against the current bundle. */
  private verifyPeer(listener: string, socket: TLSSocket): PeerIdentity | undefined {
    const material = this.identity.current;
    const chain = peerChain(socket.getPeerCertificate(true));
    if (!material || !chain) {
      this.metrics.mtlsRefused.inc({ listener, reason: "no-certificate" });
      return undefined;
    }
    const leafKey = chain.leaf.toString("base64");
    if (chain.intermediates.length === 0 && socket.isSessionReused()) {
      // The session was verified in full before; the SPIFFE rules run again against today's bundle.
      chain.intermediates = this.chainByLeaf.get(leafKey) ?? [];
    } else if (chain.intermediates.length > 0) {
      if (this.chainByLeaf.size >= 1024) this.chainByLeaf.clear();
      this.chainByLeaf.set(leafKey, chain.intermediates);
    }
    const verdict = validateSvidChain(chain.leaf, chain.intermediates, material.bundle, new Date(this.now()), { purpose: "client", revoked: material.revoked });
    if (!verdict.ok) {
      this.metrics.mtlsRefused.inc({ listener, reason: verdict.code });
      this.logger.warn("mTLS client refused", { listener, code: verdict.code, reason: verdict.reason });
      return undefined;
    }
    return { spiffeId: verdict.spiffeId, cluster: this.clusterOf(chain.intermediates) };
  }

  private async openListener(spec: Listener, config: ProxyConfig): Promise<ListenerHandle> {
    const onProtocolError = (status: number) => {
      this.protocolErrors++;
      this.metrics.protocolErrors.inc({ listener: handle.spec.name, response_code: String(status) });
    };
    const mtls: InboundMtls | undefined =
      spec.kind === "inbound" && !spec.tls
        ? {
            mode: () => (handle.spec.kind === "inbound" ? (handle.spec.mtlsMode ?? "DISABLE") : "DISABLE"),
            material: () => this.identity.current,
            verify: (socket) => this.verifyPeer(handle.spec.name, socket),
            onRefused: (reason) => this.metrics.mtlsRefused.inc({ listener: handle.spec.name, reason }),
          }
        : undefined;
    let runtime: ListenerRuntime;
    if (spec.kind === "tcp") {
      runtime = await openTcpListener((socket) => this.dispatchTcp(handle, socket), spec.port, spec.address);
    } else if (spec.kind === "gateway") {
      runtime = await openTcpListener((socket) => this.dispatchGateway(handle, socket), spec.port, spec.address);
    } else {
      runtime = await openHttpListener(
        {
          limits: config.limits,
          http2: spec.kind === "admin" ? false : spec.http2,
          tls: spec.kind === "admin" ? undefined : spec.tls,
          onProtocolError,
          onRequest: (req, res, h2) => this.dispatch(handle, req, res, h2),
          onUpgrade: (req, socket, head) => this.dispatchUpgrade(handle, req, socket, head),
          ...(mtls ? { mtls } : {}),
        },
        spec.port,
        spec.address,
      );
    }
    const handle: ListenerHandle = { spec, runtime, bound: runtime.bound, draining: false, closed: runtime.closed };
    this.logger.info("listening", { listener: spec.name, kind: spec.kind, address: runtime.bound.address, port: runtime.bound.port });
    return handle;
  }

  /** Stops accepting; open connections close after their current response, or after `drainMs`. */
  private drainListener(h: ListenerHandle, drainMs: number): void {
    if (h.draining) return;
    h.draining = true;
    this.draining.add(h);
    h.runtime.stopAccepting();
    const timer = setTimeout(() => h.runtime.destroyAll(), drainMs);
    timer.unref();
    void h.closed.then(() => {
      clearTimeout(timer);
      this.draining.delete(h);
    });
  }

  private newOutcome(snapshot: Snapshot, spec: Listener, req: IncomingMessage, h2: boolean, grpc: boolean): Outcome {
    const node = snapshot.config.node;
    const inbound = spec.kind === "inbound";
    const peer = inbound ? peerOf(req) : undefined;
    return {
      // Inbound callers are anonymous until mTLS gives them an identity.
      sourceService: inbound ? "unknown" : node.service,
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
      trace: undefined,
      peer,
      mtls: peer !== undefined,
      jwt: undefined,
      stripToken: undefined,
      authz: undefined,
    };
  }

  /** Counts, logs and traces one finished request. */
  private record(snapshot: Snapshot, spec: Listener, req: IncomingMessage, outcome: Outcome, code: number, startedMs: number): void {
    const node = snapshot.config.node;
    const inbound = spec.kind === "inbound";
    const endMs = this.now();
    const seconds = (endMs - startedMs) / 1000;
    const flags = formatFlags(outcome.flags);
    const grpcStatus = outcome.grpcStatus === undefined ? "-" : String(outcome.grpcStatus);
    const sourceVersion = inbound ? "unknown" : (node.version ?? "unknown");
    const sourceCluster = inbound ? (outcome.peer?.cluster ?? "unknown") : (node.locality.cluster ?? "unknown");
    const sourceIdentity = inbound ? (outcome.peer?.spiffeId ?? "unknown") : (snapshot.identity?.spiffeId ?? "unknown");
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
        "weft.listener": spec.name,
        "weft.upstream_host": outcome.upstreamHost,
        "weft.source_service": outcome.sourceService,
        "weft.destination_service": outcome.destinationService,
        "weft.destination_version": outcome.destinationVersion,
        "weft.source_identity": sourceIdentity,
        "weft.mtls": mtls,
        ...(outcome.grpcStatus === undefined ? {} : { "rpc.grpc.status_code": outcome.grpcStatus }),
      });
    }
    if (this.accessLog.enabled) {
      this.accessLog.write({
        start_time: new Date(endMs - seconds * 1000).toISOString(),
        listener: spec.name,
        protocol: outcome.h2 ? "HTTP/2" : `HTTP/${req.httpVersion}`,
        method: req.method,
        authority: requestAuthority(req),
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

  private dispatch(handle: ListenerHandle, req: IncomingMessage, res: ServerResponse, h2: boolean): void {
    // Socket-level errors are handled by closing; they must never reach the process.
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    const snapshot = this.snapshot;
    const spec = handle.spec;
    if (!snapshot) {
      sendLocal(res, 503, [], "no config\n", {}, !h2);
      return;
    }
    if (spec.kind === "admin") {
      handleAdmin(this, req, res);
      return;
    }
    if (spec.kind === "tcp" || spec.kind === "gateway") return;

    const started = this.now();
    this.activeRequests++;
    this.totalRequests++;
    const outcome = this.newOutcome(snapshot, spec, req, h2, isGrpc(req.headers["content-type"]));
    outcome.trace = this.tracer.begin(req.headers, performance.timeOrigin + performance.now());
    res.once("close", () => {
      this.activeRequests--;
      if (!res.writableFinished && !outcome.respondedTrailersOnly) outcome.flags.push(ResponseFlag.DownstreamConnectionTermination);
      const code = outcome.respondedTrailersOnly ? 200 : res.headersSent ? res.statusCode : 0;
      this.record(snapshot, spec, req, outcome, code, started);
    });

    const limits = snapshot.config.limits;
    const overLimit =
      (req.url ?? "").length > limits.maxUriLength ? 414 : req.rawHeaders.length / 2 > limits.maxHeaderCount ? 431 : undefined;
    if (overLimit !== undefined) {
      this.protocolErrors++;
      this.metrics.protocolErrors.inc({ listener: spec.name, response_code: String(overLimit) });
      outcome.flags.push(ResponseFlag.DownstreamProtocolError);
      sendLocal(res, overLimit, outcome.flags, overLimit === 414 ? "URI too long\n" : "too many headers\n", {}, true, outcome);
      return;
    }
    if (h2 && req.method === "CONNECT") {
      outcome.flags.push(ResponseFlag.DownstreamProtocolError);
      sendLocal(res, 501, outcome.flags, "CONNECT is not supported\n", {}, false, outcome);
      return;
    }

    const env: ForwardEnv = {
      snapshot,
      metrics: this.metrics,
      random: this.random,
      now: this.now,
      draining: () => handle.draining || this.shuttingDown,
      rateLimit: snapshot.rateLimits.get(spec.name),
    };
    handleHttp(env, spec, req, res, outcome).catch((err: unknown) => {
      this.logger.error("request failed", { error: err instanceof Error ? err.stack : String(err) });
      sendLocal(res, 500, outcome.flags, "internal proxy error\n", {}, true, outcome);
    });
  }

  /** HTTP/1.1 Upgrade (WebSocket) on an outbound or inbound listener. */
  private dispatchUpgrade(handle: ListenerHandle, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const snapshot = this.snapshot;
    const spec = handle.spec;
    if (!snapshot || (spec.kind !== "outbound" && spec.kind !== "inbound")) {
      rawReply(socket, 501, [], "upgrade not supported here\n");
      return;
    }
    if (String(req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
      rawReply(socket, 501, [], "only WebSocket upgrades are supported\n");
      return;
    }
    const started = this.now();
    this.totalRequests++;
    this.activeRequests++;
    const outcome = this.newOutcome(snapshot, spec, req, false, false);
    outcome.trace = this.tracer.begin(req.headers, performance.timeOrigin + performance.now());
    const done = (status: number) => {
      this.activeRequests--;
      this.metrics.upgrades.inc({ destination_service: outcome.destinationService, response_code: String(status) });
      this.record(snapshot, spec, req, outcome, status, started);
    };
    const env: ForwardEnv = { snapshot, metrics: this.metrics, random: this.random, now: this.now, draining: () => true };
    const listener = spec as OutboundListener | InboundListener;
    const target = requestTarget(req);
    if (!snapshot.security.has(spec.name)) {
      this.upgrade(env, listener, req, socket, head, outcome, done, target);
      return;
    }
    checkSecurity(env, listener, req, outcome, target).then(
      (refused) => {
        if (!refused) this.upgrade(env, listener, req, socket, head, outcome, done, target);
        else {
          const extra = Object.entries(refused.extra).map(([k, v]) => `${k}: ${String(v)}\r\n`).join("");
          rawReply(socket, refused.status, outcome.flags, refused.body, extra);
          done(refused.status);
        }
      },
      () => {
        rawReply(socket, 500, outcome.flags, "internal proxy error\n");
        done(500);
      },
    );
  }

  private upgrade(
    env: ForwardEnv,
    spec: OutboundListener | InboundListener,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    outcome: Outcome,
    done: (status: number) => void,
    target: RequestTarget | undefined,
  ): void {
    const r = spec.kind === "outbound" ? resolveOutbound(env, spec as OutboundListener, req, outcome, target) : resolveInbound(env, spec as InboundListener, req, outcome, target);
    if (r.kind === "local") {
      rawReply(socket, r.status, outcome.flags, r.body, r.extra?.location ? `Location: ${String(r.extra.location)}\r\n` : "");
      done(r.status);
      return;
    }
    tunnelUpgrade(req, socket, head, r.plan, { random: this.random, now: this.now }, outcome, done);
  }

  /**
   * A connection on an east-west gateway listener: routed by the server name
   * of its ClientHello and piped on still encrypted, so the destination's
   * proxy terminates the caller's mTLS and sees its SPIFFE ID.
   */
  private dispatchGateway(handle: ListenerHandle, socket: Socket): void {
    socket.on("error", () => socket.destroy());
    const timeoutMs = handle.spec.kind === "gateway" ? handle.spec.clientHelloTimeoutMs : 10_000;
    peekServerName(socket, timeoutMs, (result) => {
      // The routes of the config current now, not when the connection was accepted.
      const spec = handle.spec;
      const refuse = (reason: string) => {
        this.metrics.gatewayRefused.inc({ listener: spec.name, reason });
        socket.destroy();
      };
      if (!result.ok) return refuse(result.reason);
      if (result.serverName === undefined) return refuse("no_sni");
      const backend = spec.kind === "gateway" ? gatewayBackend(spec, result.serverName) : undefined;
      if (backend === undefined) return refuse("unknown_sni");
      socket.unshift(result.head);
      this.dispatchTcp(handle, socket, backend, result.serverName);
    });
  }

  /** A connection on a TCP passthrough listener, or a routed one from a gateway listener (`routed`). */
  private dispatchTcp(handle: ListenerHandle, socket: Socket, routed?: string, serverName?: string): void {
    const snapshot = this.snapshot;
    const spec = handle.spec;
    socket.on("error", () => socket.destroy());
    const name = spec.kind === "tcp" ? spec.backend : routed;
    const backend = name !== undefined ? snapshot?.backends.get(name) : undefined;
    if (!snapshot || !backend) {
      socket.destroy();
      return;
    }
    const started = this.now();
    this.activeRequests++;
    proxyTcp(socket, backend, { random: this.random, now: this.now }, (o) => {
      this.activeRequests--;
      const flags = formatFlags(o.flags);
      this.metrics.tcpConnections.inc({ listener: spec.name, destination_service: backend.spec.service, response_flags: flags });
      this.metrics.tcpBytes.inc({ listener: spec.name, direction: "received" }, o.bytesReceived);
      this.metrics.tcpBytes.inc({ listener: spec.name, direction: "sent" }, o.bytesSent);
      if (this.accessLog.enabled) {
        this.accessLog.write({
          start_time: new Date(started).toISOString(),
          listener: spec.name,
          protocol: "TCP",
          response_flags: flags,
          duration_ms: this.now() - started,
          upstream_host: o.upstreamHost,
          bytes_received: o.bytesReceived,
          bytes_sent: o.bytesSent,
          destination_service: backend.spec.service,
          ...(serverName !== undefined ? { server_name: serverName } : {}),
        });
      }
    });
  }

  private countHealthEvent(e: HealthEvent): void {
    const destination_service = e.service;
    if (e.action === "eject") this.metrics.outlierEjections.inc({ destination_service, reason: e.reason });
    else if (e.action === "return") this.metrics.outlierReturns.inc({ destination_service });
    else this.metrics.healthTransitions.inc({ destination_service, to: e.action });
    this.logger.info(`endpoint ${e.action}`, { backend: e.backend, endpoint: e.endpoint, reason: e.reason, ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}) });
  }

  /**
   * GET /outliers: endpoints out of load balancing now (ejected or failing an
   * active check) and the health events after `since` (the agent passes
   * `next` back, like /spans).
   */
  outliers(since: number, limit?: number) {
    const now = this.now();
    const unavailable: Record<string, unknown>[] = [];
    for (const [name, b] of this.snapshot?.backends ?? []) {
      b.outlier?.returnDue(now);
      for (const v of b.endpoints) {
        if (v.stats.available) continue;
        unavailable.push({
          backend: name,
          service: b.spec.service,
          endpoint: v.key,
          ejected: v.stats.ejectedUntil !== 0,
          ...(v.stats.ejectedUntil !== 0 ? { ejectedUntil: new Date(v.stats.ejectedUntil).toISOString(), reason: v.stats.ejectionReason, ejections: v.stats.ejections } : {}),
          failingHealthCheck: v.stats.checkFailing,
        });
      }
    }
    return { unavailable, ...this.healthEvents.since(since, limit) };
  }

  /** Finished spans after `since` (GET /spans). */
  spans(since: number, limit?: number): { epoch: string; next: number; dropped: number; spans: FinishedSpan[] } {
    return this.tracer.since(since, limit);
  }

  /** Per-edge latency sketches since the previous collection (GET /telemetry). */
  collectTelemetry(): EdgeReport[] {
    return this.edges.collect();
  }

  /** Exports queued spans now (tests, shutdown). */
  flushSpans(): Promise<void> {
    return this.tracer.flush();
  }

  /** The trust bundle and SVID the proxy runs now, so the agent can tell when new ones are picked up; null without identity material. */
  identityInUse(): { trustBundleFingerprint: string; serial: string } | null {
    const current = this.identity.current;
    if (!current) return null;
    return { trustBundleFingerprint: bundleFingerprint(current.bundle), serial: parseCertificate(splitPemCertificates(current.certChainPem)[0] ?? "").serial };
  }

  /** Counters for /stats. */
  stats() {
    const snapshot = this.snapshot;
    const backends: Record<string, unknown> = {};
    const shared = this.registry.snapshot();
    for (const [name, b] of snapshot?.backends ?? []) {
      const now = this.now();
      backends[name] = {
        service: b.spec.service,
        algorithm: b.spec.loadBalancer.algorithm,
        ...shared[name]?.counters,
        breaker: { ...shared[name]?.breaker, limits: b.breaker.limits },
        ...(b.outlier ? { ejectionsCapped: shared[name]?.ejectionsCapped ?? 0 } : {}),
        ...(shared[name]?.healthChecks ? { healthChecks: shared[name]?.healthChecks } : {}),
        endpoints: b.endpoints.map((v) => ({
          address: v.endpoint.address,
          port: v.endpoint.port,
          health: v.endpoint.health,
          locality: v.endpoint.locality,
          inflight: v.stats.inflight,
          requests: v.stats.requests,
          failures: v.stats.failures,
          ewmaMs: Math.round(v.stats.latencyMs(now) * 1000) / 1000,
          ejected: v.stats.ejectedUntil !== 0,
          ...(v.stats.ejectedUntil !== 0 ? { ejectedUntil: new Date(v.stats.ejectedUntil).toISOString(), ejectionReason: v.stats.ejectionReason } : {}),
          ejections: v.stats.ejections,
          failingHealthCheck: v.stats.checkFailing,
        })),
      };
    }
    return {
      version: snapshot?.config.version ?? null,
      ready: this.ready(),
      uptimeSeconds: Math.round((this.now() - this.startedAt) / 1000),
      config: { ...this.configCounters },
      downstream: { requests: this.totalRequests, active: this.activeRequests, protocolErrors: this.protocolErrors },
      listeners: [...this.handles.values()].map((h) => ({ name: h.spec.name, kind: h.spec.kind, ...h.bound })),
      drainingListeners: this.draining.size,
      identity: this.identity.current
        ? {
            spiffeId: this.identity.current.spiffeId,
            notAfter: this.identity.current.notAfter.toISOString(),
            trustBundleRoots: this.identity.current.bundle.roots.length,
            // Which material the proxy runs, so the agent can tell when a new bundle or SVID has been picked up.
            ...this.identityInUse(),
          }
        : null,
      backends,
    };
  }

  /** The active config for GET /config, private keys redacted. */
  configDump() {
    return this.snapshot ? { version: this.snapshot.config.version, config: redactConfig(this.snapshot.config) } : undefined;
  }

  metricsText(): string {
    return this.metrics.render();
  }

  /**
   * Graceful shutdown: /ready turns 503, listeners stop accepting, open
   * connections finish their current response (told to close) for up to
   * `drainMs`, then everything is closed.
   */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    const drainMs = options.drainMs ?? 5000;
    this.shuttingDown = true;
    await this.queue;
    const all = [...this.handles.values(), ...this.draining];
    // The admin listener stays up while traffic drains, so probes see /ready 503.
    const [admin, traffic] = [all.filter((h) => h.spec.kind === "admin"), all.filter((h) => h.spec.kind !== "admin")];
    const drain = async (hs: ListenerHandle[], ms: number) => {
      for (const h of hs) {
        if (h.draining) {
          // Already draining on its own schedule; shorten it to ours.
          setTimeout(() => h.runtime.destroyAll(), ms).unref();
        } else this.drainListener(h, ms);
      }
      await Promise.all(hs.map((h) => h.closed));
    };
    await drain(traffic, drainMs);
    await drain(admin, 0);
    this.handles.clear();
    this.registry.destroyAll();
    this.rateLimits.close();
    this.identity.close();
    this.jwtKeys.close();
    await this.tracer.shutdown();
    await this.accessLog.close();
    this.logger.info("proxy closed");
  }
}
