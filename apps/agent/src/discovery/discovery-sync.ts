// Reports the catalog to the manager: deltas as it changes, a full snapshot
// on start, periodically, and whenever a report failed.
import { errorMessage, type Logger } from "../logger.ts";
import type { DiscoveryReporter } from "../manager-link/manager-seams.ts";
import { diffCatalogs, isEmptyDelta, summarizeDelta, type Catalog } from "./catalog.ts";
import type { CatalogSnapshot } from "./catalog.schema.ts";

export interface DiscoverySyncOptions {
  /** A full snapshot this often even when deltas succeed: heals any drift on the receiving side. */
  fullResyncMs: number;
  /** After a failed report, retry (with a full snapshot) this much later. */
  retryMs: number;
  /** Coalesce bursts of catalog changes into one delta. */
  debounceMs?: number;
  logger: Logger;
}

export interface DiscoverySyncStatus {
  lastSeq: number;
  lastReportAt?: string;
  lastFullAt?: string;
  lastError?: string;
  fullReports: number;
  deltaReports: number;
}

export class DiscoverySync {
  #reported: CatalogSnapshot | undefined;
  #seq = 0;
  #needFull = true;
  #running: Promise<void> = Promise.resolve();
  #timers: { resync?: NodeJS.Timeout; retry?: NodeJS.Timeout; debounce?: NodeJS.Timeout } = {};
  #unsubscribe: (() => void) | undefined;
  #stopped = false;
  readonly status: DiscoverySyncStatus = { lastSeq: 0, fullReports: 0, deltaReports: 0 };

  constructor(
    private readonly catalog: Catalog,
    private readonly reporter: DiscoveryReporter,
    private readonly options: DiscoverySyncOptions,
  ) {}

  /** Sends the first full snapshot and starts following the catalog. */
  start(): Promise<void> {
    this.#unsubscribe = this.catalog.subscribe(() => {
      clearTimeout(this.#timers.debounce);
      this.#timers.debounce = setTimeout(() => void this.flush(), this.options.debounceMs ?? 50);
    });
    this.#timers.resync = setInterval(() => void this.resync(), this.options.fullResyncMs);
    return this.flush();
  }

  /** Forces a full snapshot on the next report. */
  resync(): Promise<void> {
    this.#needFull = true;
    return this.flush();
  }

  /** Reports whatever changed since the last accepted report. Serialized: one report in flight at a time. */
  flush(): Promise<void> {
    this.#running = this.#running.then(() => this.#report());
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearInterval(this.#timers.resync);
    clearTimeout(this.#timers.retry);
    clearTimeout(this.#timers.debounce);
    await this.#running;
  }

  async #report(): Promise<void> {
    if (this.#stopped) return;
    const current = this.catalog.snapshot;
    const seq = this.#seq + 1;
    try {
      if (this.#needFull || this.#reported === undefined) {
        await this.reporter.report({ kind: "full", seq, snapshot: current });
        this.status.fullReports += 1;
        this.status.lastFullAt = new Date().toISOString();
        this.options.logger.debug("discovery reported (full)", { seq, ...this.catalog.counts() });
      } else {
        const delta = diffCatalogs(this.#reported, current);
        if (isEmptyDelta(delta)) return;
        await this.reporter.report({ kind: "delta", seq, baseSeq: this.#seq, delta });
        this.status.deltaReports += 1;
        this.options.logger.debug("discovery reported (delta)", { seq, ...summarizeDelta(delta) });
      }
      this.#seq = seq;
      this.#reported = current;
      this.#needFull = false;
      this.status.lastSeq = seq;
      this.status.lastReportAt = new Date().toISOString();
      this.status.lastError = undefined;
    } catch (err) {
      // The receiver's state is now unknown: only a full snapshot is safe.
      this.#needFull = true;
      this.status.lastError = errorMessage(err);
      this.options.logger.warn("discovery report failed; will resend a full snapshot", { seq, error: this.status.lastError, retryMs: this.options.retryMs });
      clearTimeout(this.#timers.retry);
      if (!this.#stopped) this.#timers.retry = setTimeout(() => void this.flush(), this.options.retryMs);
    }
  }
}
