// The proxy: owns the listeners, the active config snapshot and the state
// that outlives configs. `applyConfig` is the only way config changes.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import {
  describeIssues,
  validateProxyConfig,
  type Listener,
  type ProxyConfig,
  type ProxyConfigIssue,
  type RandomSource,
} from "@weft/mesh-model/proxy-config";
import { handleAdmin } from "./admin.ts";
import { BackendRegistry } from "./backend-runtime.ts";
import { handleInbound, handleOutbound, sendLocal, type ForwardEnv, type Outcome } from "./http-forwarder.ts";
import { createListenerServer, listen } from "./listener-server.ts";
import { Gauge, ProxyMetrics } from "./metrics.ts";
import { formatFlags, ResponseFlag } from "./response-flags.ts";
import { backendNames, buildSnapshot, type Snapshot } from "./snapshot.ts";

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

/** The result of `applyConfig`: applied, or refused with the reason (the old config keeps serving). */
export type ApplyResult =
  | { ok: true; version: string }
  | { ok: false; reason: string; issues: ProxyConfigIssue[] };

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
  server: Server;
  bound: { address: string; port: number };
  draining: boolean;
  closed: Promise<void>;
}

interface ConfigCounters {
  applied: number;
  rejected: number;
  lastRejection?: { reason: string; at: string };
}

export class WeftProxy {
  readonly metrics = new ProxyMetrics();
  private snapshot: Snapshot | undefined;
  private handles = new Map<string, ListenerHandle>();
  private readonly draining = new Set<ListenerHandle>();
  private readonly registry: BackendRegistry;
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

  constructor(options: ProxyOptions = {}) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.listenerDrainMs = options.listenerDrainMs ?? 5000;
    this.registry = new BackendRegistry(this.now);
    this.startedAt = this.now();
    this.metrics.add(new Gauge("weft_active_requests", "Requests in flight on the outbound and inbound listeners.", [], () => [{ labels: {}, value: this.activeRequests }]));
    this.metrics.add(
      new Gauge("weft_config_info", "The active config version (value is always 1).", ["version"], () =>
        this.snapshot ? [{ labels: { version: this.snapshot.config.version }, value: 1 }] : [],
      ),
    );
    this.metrics.add(new Gauge("weft_ready", "1 when the proxy is ready to serve.", [], () => [{ labels: {}, value: this.ready() ? 1 : 0 }]));
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

  private reject(reason: string, issues: ProxyConfigIssue[]): ApplyResult {
    this.configCounters.rejected++;
    this.configCounters.lastRejection = { reason, at: new Date(this.now()).toISOString() };
    this.metrics.reloads.inc({ result: "rejected" });
    this.logger.warn("config refused", { reason, activeVersion: this.version });
    return { ok: false, reason, issues };
  }

  private async apply(input: unknown): Promise<ApplyResult> {
    if (this.shuttingDown) return this.reject("proxy is shutting down", []);
    const validation = validateProxyConfig(input);
    if (!validation.ok) return this.reject(describeIssues(validation.issues), validation.issues);
    const config = validation.config;

    const keep: [ListenerHandle, Listener][] = [];
    const bind: Listener[] = [];
    const wanted = new Set(config.listeners.map((l) => l.name));
    const removed = [...this.handles.values()].filter((h) => !wanted.has(h.spec.name));
    for (const l of config.listeners) {
      const h = this.handles.get(l.name);
      if (h && h.spec.address === l.address && h.spec.port === l.port) keep.push([h, l]);
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
      return this.reject(reason, [{ path: "listeners", message: reason }]);
    }

    // The commit: one assignment, so a request sees either the old config or the new.
    const previous = this.snapshot;
    this.snapshot = buildSnapshot(config, this.registry);
    const handles = new Map<string, ListenerHandle>();
    for (const [h, l] of keep) {
      h.spec = l;
      handles.set(l.name, h);
    }
    for (const h of fresh) handles.set(h.spec.name, h);
    this.handles = handles;
    for (const h of removed) this.drainListener(h, this.listenerDrainMs);
    this.registry.prune(backendNames(this.snapshot));

    this.configCounters.applied++;
    this.metrics.reloads.inc({ result: "applied" });
    if (previous?.config.version !== config.version) this.logger.info("config applied", { version: config.version, previous: previous?.config.version });
    return { ok: true, version: config.version };
  }

  private async openListener(spec: Listener, config: ProxyConfig): Promise<ListenerHandle> {
    const server = createListenerServer(
      {
        limits: config.limits,
        onProtocolError: (status) => {
          this.protocolErrors++;
          this.metrics.protocolErrors.inc({ listener: handle.spec.name, response_code: String(status) });
        },
      },
      (req, res) => this.dispatch(handle, req, res),
    );
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    server.once("close", () => resolveClosed());
    const bound = await listen(server, spec.port, spec.address);
    server.on("error", (err) => this.logger.error("listener error", { listener: handle.spec.name, error: err.message }));
    const handle: ListenerHandle = { spec, server, bound, draining: false, closed };
    this.logger.info("listening", { listener: spec.name, kind: spec.kind, address: bound.address, port: bound.port });
    return handle;
  }

  /** Stops accepting; open connections close after their current response, or after `drainMs`. */
  private drainListener(h: ListenerHandle, drainMs: number): void {
    if (h.draining) return;
    h.draining = true;
    this.draining.add(h);
    h.server.close();
    h.server.closeIdleConnections();
    const timer = setTimeout(() => h.server.closeAllConnections(), drainMs);
    timer.unref();
    void h.closed.then(() => {
      clearTimeout(timer);
      this.draining.delete(h);
    });
  }

  private dispatch(handle: ListenerHandle, req: IncomingMessage, res: ServerResponse): void {
    // Socket-level errors are handled by closing; they must never reach the process.
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    const snapshot = this.snapshot;
    const spec = handle.spec;
    if (!snapshot) {
      sendLocal(res, 503, [], "no config\n", {}, true);
      return;
    }
    if (spec.kind === "admin") {
      handleAdmin(this, req, res);
      return;
    }

    const started = this.now();
    this.activeRequests++;
    this.totalRequests++;
    const outcome: Outcome = {
      // Inbound callers are anonymous until mTLS gives them an identity.
      sourceService: spec.kind === "outbound" ? snapshot.config.node.service : "unknown",
      destinationService: "unknown",
      destinationVersion: "unknown",
      flags: [],
    };
    res.once("close", () => {
      this.activeRequests--;
      if (!res.writableFinished) outcome.flags.push(ResponseFlag.DownstreamConnectionTermination);
      const edge = { source_service: outcome.sourceService, destination_service: outcome.destinationService, destination_version: outcome.destinationVersion };
      this.metrics.requests.inc({ ...edge, response_code: res.headersSent ? String(res.statusCode) : "0", response_flags: formatFlags(outcome.flags) });
      this.metrics.duration.observe(edge, (this.now() - started) / 1000);
    });

    const limits = snapshot.config.limits;
    const overLimit =
      (req.url ?? "").length > limits.maxUriLength ? 414 : req.rawHeaders.length / 2 > limits.maxHeaderCount ? 431 : undefined;
    if (overLimit !== undefined) {
      this.protocolErrors++;
      this.metrics.protocolErrors.inc({ listener: spec.name, response_code: String(overLimit) });
      outcome.flags.push(ResponseFlag.DownstreamProtocolError);
      sendLocal(res, overLimit, outcome.flags, overLimit === 414 ? "URI too long\n" : "too many headers\n", {}, true);
      return;
    }

    const env: ForwardEnv = { snapshot, metrics: this.metrics, random: this.random, now: this.now, draining: () => handle.draining || this.shuttingDown };
    const work = spec.kind === "outbound" ? handleOutbound(env, spec, req, res, outcome) : handleInbound(env, spec, req, res, outcome);
    work.catch((err: unknown) => {
      this.logger.error("request failed", { error: err instanceof Error ? err.stack : String(err) });
      sendLocal(res, 500, outcome.flags, "internal proxy error\n", {}, true);
    });
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
        endpoints: b.endpoints.map((v) => ({
          address: v.endpoint.address,
          port: v.endpoint.port,
          health: v.endpoint.health,
          locality: v.endpoint.locality,
          inflight: v.stats.inflight,
          requests: v.stats.requests,
          failures: v.stats.failures,
          ewmaMs: Math.round(v.stats.latencyMs(now) * 1000) / 1000,
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
      backends,
    };
  }

  configDump() {
    return this.snapshot ? { version: this.snapshot.config.version, config: this.snapshot.config } : undefined;
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
          setTimeout(() => h.server.closeAllConnections(), ms).unref();
        } else this.drainListener(h, ms);
      }
      await Promise.all(hs.map((h) => h.closed));
    };
    await drain(traffic, drainMs);
    await drain(admin, 0);
    this.handles.clear();
    this.registry.destroyAll();
    this.logger.info("proxy closed");
  }
}
