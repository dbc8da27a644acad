// Telemetry: every interval the agent collects each local proxy's per-edge
// deltas (GET /telemetry: a batch the proxy keeps until POST /telemetry/ack,
// sent once the batch is recorded in the state folder) and ships them to the manager
// (agent.reportTelemetry). What could not be shipped stays buffered, merged
// per minute and edge, and is retried on the next ticks; past `maxAgeMs`
// (or `maxEntries`) the oldest is dropped and counted, never silently.
// With a `pendingStore` (the agent's state folder), what was collected and not
// yet acknowledged by the manager survives a crash of the agent: the next run
// resends the report in flight under its number (counted once by the manager)
// and ships the rest. A batch recorded and not acknowledged (killed in
// between) is served again to the next run, which knows its id and drops it.
// Spans ride the same tick (span-collector.ts).
import { codeClassOf, edgeDeltaOf, edgeKey, sketchSecondsToMs, type EdgeDelta } from "@weft/mesh-model";
import { LatencySketch, type LatencySketchData } from "@weft/mesh-model/proxy-config";
import { errorMessage, type Logger } from "../logger.ts";
import type { ProxyAdminClient, ProxyEdgeReport, ProxyTelemetryBatch } from "../supervision/proxy-admin-client.ts";
import type { SpanCollector, SpanStatus } from "./span-collector.ts";

/** A local proxy as telemetry sees it. */
export interface TelemetrySource {
  id: string;
  adminPort: number;
  service: string;
  namespace: string;
  version?: string | undefined;
}

export interface TelemetryShipperOptions {
  cluster: string;
  admin: ProxyAdminClient;
  sources: () => TelemetrySource[];
  /** Namespace of a destination service, from what the agent knows (labels carry only the name). */
  namespaceOf: (service: string, callerNamespace: string) => string;
  send: (edges: EdgeDelta[], seq: number) => Promise<void>;
  logger: Logger;
  intervalMs: number;
  /** Buffered deltas older than this are dropped. */
  maxAgeMs?: number;
  maxEntries?: number;
  now?: () => number;
  /** Collects and ships the proxies' spans on the same tick; omitted, spans stay in the proxies. */
  spans?: SpanCollector;
  /**
   * Report numbers across restarts: the last one a previous run used (from the
   * state folder) and where each new one is recorded before it is sent. Without
   * it, numbering starts from the clock alone, and an agent restarted with its
   * clock behind the previous run's (skew, a step back) had its reports taken
   * for retries and dropped until the clock caught up.
   */
  seqStore?: { last: number | undefined; save(seq: number): Promise<void> };
  /**
   * What is collected and not yet acknowledged, kept across a crash: what a
   * previous run left (`last`), and where it is recorded after each collection
   * and before and after each send. Without it, an agent killed (SIGKILL, OOM)
   * loses its buffer — minutes of traffic while the manager was away.
   */
  pendingStore?: { last: PendingTelemetry | undefined; save(pending: PendingTelemetry): Promise<void> };
}

/** Telemetry collected and not yet acknowledged by the manager: the report in flight (with its number) and the buffer. */
export interface PendingTelemetry {
  inFlight?: { seq: number; edges: EdgeDelta[] };
  buffered: EdgeDelta[];
  /** The last batch id taken from each proxy (by source id): served again after a crash before its ack, it is dropped. */
  batches?: Record<string, string>;
}

export interface TelemetryStatus {
  lastCollectAt?: string;
  lastShipAt?: string;
  lastError?: string;
  shippedRequests: number;
  bufferedEdges: number;
  droppedRequests: number;
  collectErrors: number;
  spans?: SpanStatus;
}

// The wire mapping lives in mesh-model (telemetry/proxy-edge.ts); re-exported for this package's tests.
export { codeClassOf, sketchSecondsToMs };

export class TelemetryShipper {
  #buffer = new Map<string, EdgeDelta & { latency: LatencySketchData }>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  /**
   * Report numbers increase per cluster across restarts too (the manager
   * applies a report only if its seq is above the last one applied): they
   * start from the start time in microseconds-ish units, and above the last
   * number a previous run recorded (`seqStore`), whichever is higher.
   */
  #seq: number;
  /** The batch being sent, with its seq: resent as is (same seq) until the manager has it, so a lost answer never double counts. */
  #inFlight: { seq: number; entries: [string, EdgeDelta & { latency: LatencySketchData }][] } | undefined;
  /** The last batch id taken from each proxy (source id → "<boot id>:<n>"), recorded with the buffer. */
  #batches = new Map<string, string>();
  readonly status: TelemetryStatus;

  constructor(private readonly options: TelemetryShipperOptions) {
    this.#seq = Math.max((options.now ?? Date.now)() * 1000, options.seqStore?.last ?? 0);
    this.status = { shippedRequests: 0, bufferedEdges: 0, droppedRequests: 0, collectErrors: 0, ...(options.spans && { spans: options.spans.status }) };
    const left = options.pendingStore?.last;
    if (left) {
      // The previous run's report in flight goes first, under its own number: if the manager has it, the resend is a duplicate.
      if (left.inFlight && left.inFlight.edges.length > 0) this.#inFlight = { seq: left.inFlight.seq, entries: left.inFlight.edges.map((e) => [this.#keyOf(e), e as EdgeDelta & { latency: LatencySketchData }]) };
      for (const e of left.buffered) this.#add(e as EdgeDelta & { latency: LatencySketchData });
      for (const [id, batch] of Object.entries(left.batches ?? {})) if (typeof batch === "string") this.#batches.set(id, batch);
      this.status.bufferedEdges = this.#buffer.size;
    }
  }

  /** Where the pending telemetry is recorded; saves run one after another, each with the state at its call. */
  #saving: Promise<unknown> = Promise.resolve();
  /** Records the pending telemetry; resolves false when it could not be recorded (then no batch is acknowledged on it). */
  #persist(): Promise<boolean> {
    const store = this.options.pendingStore;
    if (!store) return Promise.resolve(true);
    const pending: PendingTelemetry = {
      ...(this.#inFlight && { inFlight: { seq: this.#inFlight.seq, edges: this.#inFlight.entries.map(([, e]) => e) } }),
      buffered: [...this.#buffer.values()],
      ...(this.#batches.size > 0 && { batches: Object.fromEntries(this.#batches) }),
    };
    const saved = this.#saving
      .then(() => store.save(pending))
      .then(
        () => true,
        (err: unknown) => {
          this.options.logger.warn("cannot record the pending telemetry", { error: errorMessage(err) });
          return false;
        },
      );
    this.#saving = saved;
    return saved;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One collect-and-ship round; serialized. */
  tick(): Promise<void> {
    this.#running = this.#running.then(async () => {
      await this.collect();
      await this.ship();
      await this.options.spans?.ship();
    });
    return this.#running;
  }

  async collect(): Promise<void> {
    const { admin, logger } = this.options;
    const now = (this.options.now ?? Date.now)();
    const minute = Math.floor(now / 60_000) * 60_000;
    const toAck: { source: TelemetrySource; batch: string }[] = [];
    const sources = this.options.sources();
    await Promise.all(
      sources.map(async (source) => {
        let got: ProxyTelemetryBatch;
        try {
          got = await admin.telemetry(source.adminPort);
        } catch (err) {
          // A proxy that is restarting has lost its counters anyway; nothing to retry.
          this.status.collectErrors++;
          logger.debug("telemetry collect failed", { proxy: source.id, error: errorMessage(err) });
          return;
        }
        if (got.batch === undefined) this.#ingest(source, got.edges, minute);
        else {
          // Already taken (recorded, then killed or the ack lost before it reached the proxy): only acknowledged again.
          if (this.#batches.get(source.id) !== got.batch) this.#ingest(source, got.edges, minute);
          this.#batches.set(source.id, got.batch);
          toAck.push({ source, batch: got.batch });
        }
        await this.options.spans?.collect(source).catch((err: unknown) => logger.debug("span collect failed", { proxy: source.id, error: errorMessage(err) }));
      }),
    );
    const live = new Set(sources.map((s) => s.id));
    for (const id of this.#batches.keys()) if (!live.has(id)) this.#batches.delete(id);
    this.options.spans?.retain(live);
    this.status.lastCollectAt = new Date(now).toISOString();
    this.#expire(now);
    // Recorded before the proxies are told to drop the batches: a run killed in between finds them here, and again at the proxy under the same id.
    if (!(await this.#persist())) return;
    await Promise.all(
      toAck.map(({ source, batch }) =>
        admin.ackTelemetry(source.adminPort, batch).catch((err: unknown) => {
          // Served again next tick under the same id, and dropped as taken.
          logger.debug("telemetry ack failed", { proxy: source.id, batch, error: errorMessage(err) });
        }),
      ),
    );
  }

  /**
   * Telemetry a sidecar pushed (Kubernetes mode), taken exactly as a
   * collection from that proxy would be: `source` is the pod's workload (from
   * its token), `at` the time the sidecar took the deltas. Returns the
   * requests buffered.
   */
  addPushed(source: Omit<TelemetrySource, "adminPort">, edges: ProxyEdgeReport[], at: number): number {
    const now = (this.options.now ?? Date.now)();
    const maxAge = this.options.maxAgeMs ?? 10 * 60_000;
    // The sidecar's clock decides the minute, within what the buffer keeps and never in the future.
    const clamped = Math.min(now, Math.max(now - maxAge + 60_000, Number.isFinite(at) ? at : now));
    const requests = this.#ingest(source, edges, Math.floor(clamped / 60_000) * 60_000, source.version ?? "");
    this.#expire(now);
    if (requests > 0) void this.#persist();
    return requests;
  }

  /**
   * Buffers a proxy's outbound edges, labelled with its workload; returns the
   * requests taken. `workloadVersion`, when given, replaces the version the
   * proxy labelled its requests with (a pushing sidecar's labels are not trusted).
   */
  #ingest(source: Omit<TelemetrySource, "adminPort">, edges: ProxyEdgeReport[], minute: number, workloadVersion?: string): number {
    const { cluster } = this.options;
    let requests = 0;
    for (const e of edges) {
      const delta = edgeDeltaOf(e, { cluster, namespace: source.namespace, service: source.service, version: workloadVersion }, minute, this.options.namespaceOf);
      if (!delta) continue;
      this.#add(delta);
      requests += e.count;
    }
    return requests;
  }

  #keyOf(delta: EdgeDelta): string {
    return `${delta.minute}|${edgeKey({ source: { version: "", ...delta.source }, destination: { version: "", ...delta.destination }, codeClass: delta.codeClass })}`;
  }

  #add(delta: EdgeDelta & { latency: LatencySketchData }): void {
    const key = this.#keyOf(delta);
    const existing = this.#buffer.get(key);
    if (!existing) {
      this.#buffer.set(key, delta);
      return;
    }
    const merged = LatencySketch.fromJSON(existing.latency);
    merged.merge(delta.latency);
    existing.latency = merged.toJSON();
    existing.requests += delta.requests;
    existing.errors += delta.errors;
    existing.mtlsRequests = (existing.mtlsRequests ?? 0) + (delta.mtlsRequests ?? 0);
  }

  /** Drops an unsendable batch once its oldest minute is past the buffer's age limit. */
  #expireInFlight(): void {
    const batch = this.#inFlight;
    if (!batch) return;
    const maxAge = this.options.maxAgeMs ?? 10 * 60_000;
    const now = (this.options.now ?? Date.now)();
    if (batch.entries.some(([, e]) => e.minute >= now - maxAge)) return;
    for (const [, e] of batch.entries) this.status.droppedRequests += e.requests;
    this.#inFlight = undefined;
  }

  #expire(now: number): void {
    const maxAge = this.options.maxAgeMs ?? 10 * 60_000;
    const maxEntries = this.options.maxEntries ?? 20_000;
    const entries = [...this.#buffer].sort(([, a], [, b]) => a.minute - b.minute);
    let over = entries.length - maxEntries;
    for (const [key, e] of entries) {
      if (e.minute >= now - maxAge && over <= 0) break;
      this.#buffer.delete(key);
      this.status.droppedRequests += e.requests;
      over--;
    }
    this.status.bufferedEdges = this.#buffer.size;
  }

  /** Ships the pending batch (a retry first), then what is buffered, until done or the manager fails. */
  async ship(): Promise<void> {
    while (this.#inFlight || this.#buffer.size > 0) if (!(await this.#shipBatch())) break;
    this.status.bufferedEdges = this.#buffer.size;
  }

  async #shipBatch(): Promise<boolean> {
    if (!this.#inFlight) {
      // Taken out of the buffer: what is collected meanwhile goes into the next report, never into this one.
      const entries = [...this.#buffer].slice(0, 20_000);
      for (const [key] of entries) this.#buffer.delete(key);
      this.#inFlight = { seq: ++this.#seq, entries };
      // Recorded before it is sent: a run that dies now still leaves the next one numbering above it.
      await this.options.seqStore?.save(this.#seq).catch((err: unknown) => this.options.logger.warn("cannot record the telemetry report number", { error: errorMessage(err) }));
      // And recorded as in flight: a run that dies after sending it resends it under this number (a duplicate if it arrived), never under a new one.
      await this.#persist();
    }
    const batch = this.#inFlight;
    try {
      await this.options.send(
        batch.entries.map(([, e]) => e),
        batch.seq,
      );
    } catch (err) {
      // Resent with the same seq next tick; a batch that is too old is dropped (counted) by #expireInFlight.
      this.status.lastError = errorMessage(err);
      this.options.logger.warn("telemetry not shipped; kept for the next attempt", { edges: batch.entries.length, error: this.status.lastError });
      this.#expireInFlight();
      return false;
    }
    this.#inFlight = undefined;
    await this.#persist();
    for (const [, e] of batch.entries) this.status.shippedRequests += e.requests;
    this.status.lastShipAt = new Date().toISOString();
    this.status.lastError = undefined;
    return true;
  }
}
