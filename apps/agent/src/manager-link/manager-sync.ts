// Config sync with the manager: the config stream subscription (reconnect
// with backoff, resume by event id), the last good snapshot cached on disk,
// acknowledgements (retried until the manager has them) and heartbeats.
import type { ClusterConfig, ConfigAck } from "@weft/mesh-model";
import { errorMessage, type Logger } from "../logger.ts";
import { restartDelay, type BackoffPolicy } from "../supervision/restart-backoff.ts";
import type { ApplyOutcome, ConfigApplier } from "../mesh-config/config-applier.ts";
import type { ConfigCache } from "../mesh-config/config-cache.ts";
import type { ManagerClient } from "./manager-client.ts";
import type { ConfigSource, MeshConfigVersion } from "./manager-seams.ts";

const STREAM_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 15_000, multiplier: 2, jitter: 0.2, stableAfterMs: 30_000 };

/** ConfigSource over `agent.configStream` (SSE) and `agent.ackConfig`. */
export class TrpcConfigSource implements ConfigSource {
  /** `connected` while the stream is open; `connecting` while tRPC / EventSource retry. */
  state: "idle" | "connecting" | "connected" = "idle";
  lastError: string | undefined;
  reconnects = 0;

  constructor(
    private readonly client: ManagerClient,
    private readonly logger: Logger,
  ) {}

  subscribe(onConfig: (config: MeshConfigVersion) => void, lastEventId?: string): () => void {
    let closed = false;
    let attempt = 0;
    let lastId = lastEventId;
    let timer: NodeJS.Timeout | undefined;
    let sub: { unsubscribe(): void } | undefined;
    const retry = (why: string) => {
      if (closed) return;
      sub?.unsubscribe();
      this.state = "connecting";
      attempt++;
      this.reconnects++;
      const delay = restartDelay(attempt, STREAM_BACKOFF);
      this.logger.warn("config stream ended; reconnecting", { why, inMs: delay, lastEventId: lastId });
      clearTimeout(timer);
      timer = setTimeout(open, delay);
    };
    const open = () => {
      if (closed) return;
      this.state = "connecting";
      sub = this.client.agent.configStream.subscribe(lastId !== undefined ? { lastEventId: lastId } : {}, {
        onStarted: () => {
          this.state = "connected";
        },
        onConnectionStateChange: (s) => {
          // tRPC (with EventSource) retries dropped connections itself, resuming from the last id.
          this.state = s.state === "pending" ? "connected" : "connecting";
          if (s.state === "connecting" && s.error) this.lastError = s.error.message;
        },
        onData: (event) => {
          const e = event as unknown as { id: string; data: ClusterConfig };
          attempt = 0;
          this.state = "connected";
          this.lastError = undefined;
          lastId = e.id;
          onConfig({ eventId: e.id, config: e.data });
        },
        onError: (err) => {
          this.lastError = err.message;
          retry(err.message);
        },
        onComplete: () => retry("the manager closed the stream"),
      });
    };
    open();
    return () => {
      closed = true;
      clearTimeout(timer);
      sub?.unsubscribe();
      this.state = "idle";
    };
  }

  async acknowledge(ack: ConfigAck): Promise<void> {
    await this.client.agent.ackConfig.mutate(ack);
  }
}

export interface ConfigSyncOptions {
  source: ConfigSource;
  /** The universal ConfigApplier, or the Kubernetes sidecar configs: whatever turns a cluster config into an outcome. */
  applier: Pick<ConfigApplier, "setClusterConfig">;
  cache: ConfigCache;
  cluster: string;
  logger: Logger;
  /** Heartbeats (besides the open stream) keep the cluster CONNECTED and report the agent version. */
  heartbeat?: () => Promise<void>;
  heartbeatMs?: number;
  ackRetryMs?: number;
}

export interface ConfigSyncStatus {
  eventId?: string;
  configVersion?: string;
  servingFrom: "none" | "local-only" | "cache" | "manager";
  lastAck?: { configVersion: string; status: string; at: string };
  pendingAck?: string;
  lastError?: string;
  snapshots: number;
  lastHeartbeatAt?: string;
}

export class ConfigSync {
  #unsubscribe: (() => void) | undefined;
  #timers: { heartbeat?: NodeJS.Timeout; ack?: NodeJS.Timeout } = {};
  #pending: ConfigAck | undefined;
  #ackedKey: string | undefined;
  #acking = false;
  #stopped = false;
  #latest: MeshConfigVersion | undefined;
  #cachedEventId: string | undefined;
  readonly status: ConfigSyncStatus = { servingFrom: "none", snapshots: 0 };

  constructor(private readonly options: ConfigSyncOptions) {}

  /** Serves the cached snapshot (if any) at once, then follows the stream. */
  async start(): Promise<void> {
    const { cache, applier, cluster, logger } = this.options;
    const cached = await cache.load(cluster);
    if (cached) {
      logger.info("serving the cached config until the manager answers", { eventId: cached.eventId, cachedAt: cached.cachedAt });
      this.status.eventId = cached.eventId;
      this.status.configVersion = cached.config.configVersion;
      this.status.servingFrom = "cache";
      this.outcome(await applier.setClusterConfig(cached.config));
    } else {
      this.status.servingFrom = "local-only";
    }
    this.#unsubscribe = this.options.source.subscribe((snapshot) => void this.#onSnapshot(snapshot), cached?.eventId);
    if (this.options.heartbeat) {
      const beat = () =>
        this.options.heartbeat!().then(
          () => (this.status.lastHeartbeatAt = new Date().toISOString()),
          (err: unknown) => logger.debug("heartbeat failed", { error: errorMessage(err) }),
        );
      void beat();
      this.#timers.heartbeat = setInterval(() => void beat(), this.options.heartbeatMs ?? 15_000);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearInterval(this.#timers.heartbeat);
    clearTimeout(this.#timers.ack);
  }

  async #onSnapshot(snapshot: MeshConfigVersion): Promise<void> {
    const { eventId, config } = snapshot;
    const { applier, logger } = this.options;
    this.status.snapshots++;
    if (config.cluster !== this.options.cluster) {
      logger.error("config stream sent another cluster's config; ignored", { expected: this.options.cluster, got: config.cluster });
      return;
    }
    logger.info("config snapshot received", { eventId, configVersion: config.configVersion, resources: config.resources.length, remoteServices: config.catalog.length });
    this.#latest = snapshot;
    this.status.eventId = eventId;
    this.status.configVersion = config.configVersion;
    this.status.servingFrom = "manager";
    this.outcome(await applier.setClusterConfig(config));
  }

  /** Acknowledges a reconcile's outcome once per distinct result (a file change can change it without a new version). */
  outcome(outcome: ApplyOutcome | undefined): void {
    if (!outcome?.configVersion) return;
    const latest = this.#latest;
    if (outcome.status === "applied" && latest && latest.config.configVersion === outcome.configVersion && this.#cachedEventId !== latest.eventId) {
      // Only a config every proxy took is "last good".
      this.#cachedEventId = latest.eventId;
      const { cache, logger } = this.options;
      void cache.save(latest.eventId, latest.config).catch((err: unknown) => logger.error("cannot cache the config", { path: cache.path, error: errorMessage(err) }));
    }
    const ack: ConfigAck = {
      configVersion: outcome.configVersion,
      status: outcome.status,
      ...(outcome.reason !== undefined && { reason: outcome.reason }),
      proxies: outcome.proxies.map((p) => ({ proxy: p.proxy, status: p.status, ...(p.reason !== undefined && { reason: p.reason.slice(0, 4000) }) })),
      diagnostics: outcome.diagnostics ?? [],
    };
    if (JSON.stringify(ack) === this.#ackedKey) return;
    this.#pending = ack;
    this.status.pendingAck = ack.configVersion;
    void this.#flushAck();
  }

  async #flushAck(): Promise<void> {
    if (this.#acking || this.#stopped) return;
    this.#acking = true;
    try {
      while (this.#pending && !this.#stopped) {
        const ack = this.#pending;
        try {
          await this.options.source.acknowledge(ack);
        } catch (err) {
          this.status.lastError = `ack failed: ${errorMessage(err)}`;
          clearTimeout(this.#timers.ack);
          this.#timers.ack = setTimeout(() => void this.#flushAck(), this.options.ackRetryMs ?? 3000);
          return;
        }
        this.#ackedKey = JSON.stringify(ack);
        this.status.lastAck = { configVersion: ack.configVersion, status: ack.status, at: new Date().toISOString() };
        this.status.lastError = undefined;
        if (this.#pending === ack) {
          this.#pending = undefined;
          this.status.pendingAck = undefined;
        }
      }
    } finally {
      this.#acking = false;
    }
  }
}

