// In-memory stand-ins for the manager's sync API: what the tests (and an agent
// with no manager sync yet) run against.
import { applyDelta } from "../discovery/catalog.ts";
import { EMPTY_SNAPSHOT, type CatalogSnapshot } from "../discovery/catalog.schema.ts";
import type { ConfigAck } from "@weft/mesh-model";
import { ResyncRequiredError, type ConfigSource, type DiscoveryReport, type DiscoveryReporter, type MeshConfigVersion } from "./manager-seams.ts";

/**
 * A reporter that keeps the catalog the way the manager will: full reports
 * replace it, deltas apply on top of the report they name, anything else is
 * refused with ResyncRequiredError.
 */
export class InMemoryReporter implements DiscoveryReporter {
  readonly reports: DiscoveryReport[] = [];
  catalog: CatalogSnapshot = EMPTY_SNAPSHOT;
  #lastSeq: number | undefined;
  /** Make the next N reports fail, as an unreachable manager would. */
  failNext = 0;

  async report(report: DiscoveryReport): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error("manager unreachable");
    }
    if (report.kind === "delta" && report.baseSeq !== this.#lastSeq) {
      throw new ResyncRequiredError(`delta ${report.seq} is based on ${report.baseSeq}, last seen ${String(this.#lastSeq)}`);
    }
    this.reports.push(report);
    this.catalog = report.kind === "full" ? report.snapshot : applyDelta(this.catalog, report.delta);
    this.#lastSeq = report.seq;
  }

  /** Forget everything, as a restarted manager would. */
  forget(): void {
    this.#lastSeq = undefined;
    this.catalog = EMPTY_SNAPSHOT;
  }
}

/** Used while the manager has no sync API: reports nothing, says so once. */
export class UnreportedDiscovery implements DiscoveryReporter {
  #warned = false;
  constructor(private readonly warn: (msg: string) => void) {}
  async report(): Promise<void> {
    if (!this.#warned) this.warn("manager sync is not available in this build: discovery is NOT being reported to the manager");
    this.#warned = true;
  }
}

/** A config source fed by the test. */
export class InMemoryConfigSource implements ConfigSource {
  readonly acks: ConfigAck[] = [];
  #latest: MeshConfigVersion | undefined;
  #listeners = new Set<(config: MeshConfigVersion) => void>();

  publish(config: MeshConfigVersion): void {
    this.#latest = config;
    for (const l of this.#listeners) l(config);
  }

  subscribe(onConfig: (config: MeshConfigVersion) => void, lastEventId?: string): () => void {
    this.#listeners.add(onConfig);
    if (this.#latest && this.#latest.eventId !== lastEventId) onConfig(this.#latest);
    return () => this.#listeners.delete(onConfig);
  }

  async acknowledge(ack: ConfigAck): Promise<void> {
    this.acks.push(ack);
  }
}
