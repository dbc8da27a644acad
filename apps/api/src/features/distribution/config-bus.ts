import { EventEmitter } from "node:events";
import pg from "pg";
import type { Logger } from "../../logger.ts";

/** The counters whose change means "agents need a new config". */
export interface MeshVersions {
  configVersion: bigint;
  catalogVersion: bigint;
  /** Mesh.trustBundleVersion: roots added or removed, the issuing root changed, an intermediate revoked. */
  trustBundleVersion: bigint;
}

/** Channel every transaction that bumps a version notifies (committed together with the bump). */
export const CONFIG_CHANNEL = "weft_config";

export interface ConfigBusOptions {
  /** Reads the mesh's current versions: the source of truth; notifications only say "look again". */
  readVersions: () => Promise<MeshVersions>;
  /**
   * PostgreSQL URL to LISTEN on, for fan-out across manager replicas; null
   * on the embedded database, whose socket server does not deliver one
   * connection's NOTIFY to another (tested; see README).
   */
  listenUrl: string | null;
  /** Safety net: how often versions are re-read without a notification. */
  pollIntervalMs: number;
  log: Logger;
}

const same = (a: MeshVersions | null, b: MeshVersions) =>
  a !== null && a.configVersion === b.configVersion && a.catalogVersion === b.catalogVersion && a.trustBundleVersion === b.trustBundleVersion;

/**
 * Tells this replica's config streams when the mesh's versions change.
 * Three triggers lead to one version check (coalesced): a PostgreSQL
 * NOTIFY from any replica's transaction, a local `poke()` after this
 * replica's own writes (the only trigger on the embedded database besides
 * polling), and a slow poll. Because every trigger re-reads the versions,
 * a lost notification delays a change by at most one poll interval and
 * never loses it.
 */
export class ConfigBus {
  private readonly events = new EventEmitter();
  private latest: MeshVersions | null = null;
  private checking: Promise<void> | null = null;
  private again = false;
  private started = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.Client | null = null;
  private reconnect: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConfigBusOptions) {
    this.events.setMaxListeners(0);
  }

  /** Starts polling and listening; idempotent. Called by the first stream. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.timer = setInterval(() => this.poke(), this.options.pollIntervalMs);
    this.timer.unref();
    if (this.options.listenUrl) void this.listen(this.options.listenUrl);
  }

  private async listen(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    client.on("notification", () => this.poke());
    client.on("error", (err) => {
      this.options.log.warn({ err }, "config notification listener failed; reconnecting (polling covers the gap)");
      this.listener = null;
      void client.end().catch(() => undefined);
      this.scheduleReconnect(url);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CONFIG_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.listener = client;
      // Anything committed while we were not listening.
      this.poke();
    } catch (err) {
      this.options.log.warn({ err }, "could not LISTEN for config changes; retrying (polling covers the gap)");
      await client.end().catch(() => undefined);
      this.scheduleReconnect(url);
    }
  }

  private scheduleReconnect(url: string): void {
    if (this.closed) return;
    clearTimeout(this.reconnect);
    this.reconnect = setTimeout(() => void this.listen(url), 2_000);
    this.reconnect.unref();
  }

  /** Re-reads the versions soon; emits when they changed. Cheap to call often: checks are coalesced. */
  poke(): void {
    if (this.closed) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = this.check().finally(() => {
      this.checking = null;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async check(): Promise<void> {
    try {
      const versions = await this.options.readVersions();
      if (same(this.latest, versions)) return;
      this.latest = versions;
      this.events.emit("change", versions);
    } catch (err) {
      if (!this.closed) this.options.log.warn({ err }, "could not read the mesh's config versions");
    }
  }

  /** The latest versions seen (read now when none yet). */
  async current(): Promise<MeshVersions> {
    this.start();
    if (this.latest) return this.latest;
    const versions = await this.options.readVersions();
    if (!this.latest) this.latest = versions;
    return this.latest;
  }

  /** Resolves when versions differ from `seen`, after `timeoutMs`, or on abort; whichever comes first. */
  waitForChange(seen: MeshVersions, signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
    this.start();
    if (this.latest && !same(seen, this.latest)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off("change", onChange);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const onChange = (v: MeshVersions) => {
        if (!same(seen, v)) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.events.on("change", onChange);
      signal?.addEventListener("abort", done, { once: true });
      if (signal?.aborted) done();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.reconnect);
    this.events.emit("change", { configVersion: -1n, catalogVersion: -1n, trustBundleVersion: -1n });
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    await this.checking;
  }
}
