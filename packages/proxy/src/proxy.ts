// The proxy: owns the listeners, the active config snapshot and the state
// that outlives configs, and wires the parts together. `applyConfig` is the
// only way config changes. Dispatch lives in listener/, recording in
// observability/, the admin views in admin/.
import type { IncomingMessage, ServerResponse } from "node:http";
import { describeIssues, validateProxyConfig, type ProxyConfig, type ProxyConfigIssue, type RandomSource } from "@weft/mesh-model/proxy-config";
import { handleAdmin } from "./admin/admin.ts";
import { TelemetryBatches } from "./admin/telemetry-batches.ts";
import { configDump, outliers, registerGauges, stats, type ProxyState } from "./admin/admin-views.ts";
import { ProxyConfigError, type ApplyResult } from "./core/apply-result.ts";
import type { IdentityMaterial } from "./core/identity-material.ts";
import { silentLogger, type Logger } from "./core/logger.ts";
import { backendNames, buildSnapshot, type Snapshot } from "./http/snapshot.ts";
import { ListenerSet, type PreparedListeners } from "./listener/listener-set.ts";
import { RequestDispatcher } from "./listener/request-dispatcher.ts";
import { AccessLog } from "./observability/access-log.ts";
import { EdgeTelemetry, type EdgeReport } from "./observability/edge-telemetry.ts";
import { ProxyMetrics } from "./observability/metrics.ts";
import { RequestRecorder } from "./observability/request-recorder.ts";
import { TapRing } from "./observability/tap-ring.ts";
import { HealthEvents, type HealthEvent } from "./observability/resilience-events.ts";
import { Tracer, type FinishedSpan } from "./observability/tracing.ts";
import { JwtKeyRegistry } from "./security/jwt-authenticator.ts";
import { PeerVerifier } from "./security/peer-verifier.ts";
import { RateLimitRegistry, RedisClients } from "./security/rate-limit.ts";
import { IdentityLoadError, IdentityManager, materialInUse } from "./security/workload-identity.ts";
import { BackendRegistry } from "./upstream/backend-registry.ts";

export interface ProxyOptions {
  /** Randomness for weighted splits, load balancing and jitter (tests pass a seeded one). */
  random?: RandomSource;
  /** Clock in milliseconds. */
  now?: () => number;
  logger?: Logger;
  /** How long a removed listener keeps its open connections (default 5 s). */
  listenerDrainMs?: number;
  /**
   * The HTTP/1.1 fast path (raw sockets, see listener/fast-connection.ts).
   * Default: on, unless the environment says `WEFT_PROXY_FAST_PATH=off`
   * (the test suite runs both ways).
   */
  fastPath?: boolean;
  /**
   * Told synchronously as an admin push (PUT /config) is about to be applied;
   * the function it returns gets the push's result (file mode keeps an older
   * file from reverting a push: config/config-file-follower.ts).
   */
  onConfigPush?: () => (result: ApplyResult) => void;
}

/** The fast path's default: on, unless WEFT_PROXY_FAST_PATH says off. */
function fastPathDefault(): boolean {
  const v = process.env.WEFT_PROXY_FAST_PATH?.toLowerCase();
  return !(v === "off" || v === "0" || v === "false");
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
  /** GET /telemetry's batches, kept until the agent acknowledges them. */
  readonly telemetryBatches = new TelemetryBatches<EdgeReport>(() => this.edges.collect());
  /** Outlier ejections/returns and active health-check transitions (GET /outliers). */
  readonly healthEvents: HealthEvents;
  private readonly tracer: Tracer;
  private readonly accessLog = new AccessLog();
  private readonly recorder: RequestRecorder;
  /** Recent request summaries for weft tap (GET /tap). */
  private readonly tapRing: TapRing;
  private readonly listeners: ListenerSet;
  private readonly registry: BackendRegistry;
  private readonly rateLimits: RateLimitRegistry;
  private readonly identity: IdentityManager;
  private readonly jwtKeys: JwtKeyRegistry;
  private readonly state: ProxyState;
  private readonly random: RandomSource;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly listenerDrainMs: number;
  private readonly onConfigPush: ProxyOptions["onConfigPush"];
  private snapshot: Snapshot | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private shuttingDown = false;
  /** Set while applyConfig commits, so an identity change does not rebuild the outgoing snapshot. */
  private applying = false;
  private readonly configCounters: ConfigCounters = { applied: 0, rejected: 0 };

  constructor(options: ProxyOptions = {}) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.listenerDrainMs = options.listenerDrainMs ?? 5000;
    this.onConfigPush = options.onConfigPush;
    this.healthEvents = new HealthEvents(this.now, (e) => this.countHealthEvent(e));
    this.registry = new BackendRegistry(this.now, this.healthEvents, (service, ok) =>
      this.metrics.healthChecks.inc({ destination_service: service, result: ok ? "success" : "failure" }),
    );
    this.rateLimits = new RateLimitRegistry(this.metrics, this.now);
    this.tracer = new Tracer(this.random);
    this.tapRing = new TapRing(this.now);
    this.recorder = new RequestRecorder(this.edges, this.tracer, this.accessLog, this.metrics, this.now, this.tapRing);
    this.identity = new IdentityManager(this.logger, () => new Date(this.now()), (material) => this.identityChanged(material));
    this.jwtKeys = new JwtKeyRegistry((source, reason) => this.logger.warn("JWKS refresh failed; keeping the keys already known", { source, reason }));
    const fastPath = options.fastPath ?? fastPathDefault();
    const verifier = new PeerVerifier(() => this.identity.current, this.metrics, this.logger, this.now);
    const dispatcher = new RequestDispatcher({
      snapshot: () => this.snapshot,
      shuttingDown: () => this.shuttingDown,
      metrics: this.metrics,
      recorder: this.recorder,
      random: this.random,
      now: this.now,
      logger: this.logger,
      admin: (req: IncomingMessage, res: ServerResponse) => handleAdmin(this, req, res),
      fastPath,
    });
    this.listeners = new ListenerSet(
      dispatcher,
      {
        material: () => this.identity.current,
        verify: (listener, socket) => verifier.verify(listener, socket),
        refused: (listener, reason) => this.metrics.mtlsRefused.inc({ listener, reason }),
      },
      this.logger,
      fastPath,
    );
    this.state = {
      snapshot: () => this.snapshot,
      ready: () => this.ready(),
      identity: () => this.identity.current,
      registry: this.registry,
      healthEvents: this.healthEvents,
      recorder: this.recorder,
      listeners: () => this.listeners.list().map((h) => ({ name: h.spec.name, kind: h.spec.kind, ...h.bound })),
      drainingListeners: () => this.listeners.drainingCount,
      configCounters: () => this.configCounters,
      startedAt: this.now(),
      now: this.now,
    };
    for (const f of this.edges.families()) this.metrics.add(f);
    registerGauges(this.metrics, this.state);
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
    return this.listeners.address(name);
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

  /** A config pushed through the admin API (PUT /config): applyConfig, told to `onConfigPush`. */
  pushConfig(input: unknown): Promise<ApplyResult> {
    const settled = this.onConfigPush?.();
    const run = this.applyConfig(input);
    if (settled) void run.then(settled);
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
    // Loaded only by configs that use it (memory: a proxy without a global limit never loads ioredis).
    if (config.rateLimits?.global) await RedisClients.load();
    let prepared: PreparedListeners;
    try {
      prepared = await this.listeners.prepare(config);
    } catch (err) {
      const reason = `cannot bind listener: ${err instanceof Error ? err.message : String(err)}`;
      return this.reject("conflict", reason, [{ path: "listeners", message: reason }]);
    }
    this.commit(config, material, prepared);
    return { ok: true, version: config.version };
  }

  /** The swap: one assignment of the snapshot, so a request sees either the old config or the new. */
  private commit(config: ProxyConfig, material: IdentityMaterial | undefined, prepared: PreparedListeners): void {
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
    this.listeners.commit(prepared, this.listenerDrainMs);
    this.registry.prune(backendNames(this.snapshot));
    this.tracer.configure(config.telemetry.tracing, config.node.service);
    this.accessLog.configure(config.telemetry.accessLog?.path);
    this.configCounters.applied++;
    this.metrics.reloads.inc({ result: "applied" });
    if (previous?.config.version !== config.version) this.logger.info("config applied", { version: config.version, previous: previous?.config.version });
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

  private countHealthEvent(e: HealthEvent): void {
    const destination_service = e.service;
    if (e.action === "eject") this.metrics.outlierEjections.inc({ destination_service, reason: e.reason });
    else if (e.action === "return") this.metrics.outlierReturns.inc({ destination_service });
    else this.metrics.healthTransitions.inc({ destination_service, to: e.action });
    this.logger.info(`endpoint ${e.action}`, { backend: e.backend, endpoint: e.endpoint, reason: e.reason, ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}) });
  }

  /** GET /outliers: endpoints out of load balancing now and the health events after `since`. */
  outliers(since: number, limit?: number) {
    return outliers(this.state, since, limit);
  }

  /** Finished spans after `since` (GET /spans). */
  spans(since: number, limit?: number): { epoch: string; next: number; dropped: number; spans: FinishedSpan[] } {
    return this.tracer.since(since, limit);
  }

  /** Request summaries after `after` (GET /tap). */
  tap(after: number, limit: number) {
    return this.tapRing.read(after, limit);
  }

  /** Per-edge latency sketches since the previous collection, reset by the call (the sidecar pusher; GET /telemetry goes through telemetryBatches). */
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
    return current ? materialInUse(current) : null;
  }

  /** Counters for /stats. */
  stats() {
    return stats(this.state);
  }

  /** The active config for GET /config, private keys redacted. */
  configDump() {
    return configDump(this.state);
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
    await this.listeners.closeAll(drainMs);
    this.registry.destroyAll();
    this.rateLimits.close();
    this.identity.close();
    this.jwtKeys.close();
    await this.tracer.shutdown();
    await this.accessLog.close();
    this.logger.info("proxy closed");
  }
}
