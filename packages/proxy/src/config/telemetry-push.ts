// Push mode of telemetry (Kubernetes sidecars): the agent cannot read a
// sidecar's loopback admin port, so the sidecar sends what GET /telemetry and
// GET /spans would give (the same functions) to the agent's sidecar API.
// Each batch carries an id (process instance + seq). A batch that got no
// answer is resent unchanged, with the same id, until the agent answers; the
// agent applies each id once per pod, so a lost answer neither loses nor
// double counts anything. While a batch is unanswered nothing new is taken:
// new requests keep accumulating in the proxy's own (merged, bounded) edge
// counters and new spans in its ring (what the ring overwrites is counted).
import { randomBytes } from "node:crypto";
import { MAX_PUSH_BYTES, MAX_PUSHED_EDGES, MAX_PUSHED_SPANS, SidecarPushResultSchema, type SidecarSpansPush, type SidecarTelemetryPush } from "@weft/mesh-model";
import type { EdgeReport } from "../observability/edge-telemetry.ts";
import type { FinishedSpan } from "../observability/tracing.ts";

/** What the pusher reads from the proxy (WeftProxy's collectTelemetry and spans). */
export interface PushableTelemetry {
  /** Per-edge deltas since the previous call (the call resets them). */
  collectTelemetry(): EdgeReport[];
  spans(since: number, limit?: number): { next: number; dropped: number; spans: FinishedSpan[] };
}

/** Posts a JSON body to the agent; rejects with `status` set on an HTTP error. */
export type PushPost = (path: string, body: unknown) => Promise<unknown>;

export interface PushStatus {
  pushedRequests: number;
  pushedSpans: number;
  /** Batches the agent already had (a retry after a lost answer). */
  duplicates: number;
  /** Batches the agent refused as malformed or too large: dropped, never retried. */
  refusedBatches: number;
  failures: number;
  lastPushAt: string | null;
  lastError: string | null;
}

/** The most span pages pushed per round (a sidecar tracing faster than that loses spans to its ring, counted). */
const MAX_SPAN_PAGES_PER_ROUND = 10;
const MAX_ATTRIBUTE_CHARS = 1024;

export class TelemetryPusher {
  readonly status: PushStatus = { pushedRequests: 0, pushedSpans: 0, duplicates: 0, refusedBatches: 0, failures: 0, lastPushAt: null, lastError: null };
  readonly #instance = randomBytes(8).toString("hex");
  #seq = { telemetry: 0, spans: 0 };
  /** Edges taken from the proxy but not yet in a batch (more than one batch holds). */
  #edges: EdgeReport[] = [];
  #telemetryBatch: SidecarTelemetryPush | undefined;
  #spanCursor = 0;
  #spansBatch: { body: SidecarSpansPush; next: number } | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: PushableTelemetry,
    private readonly post: PushPost,
    private readonly pod: { namespace: string; name: string },
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** One round: the pending batches first (retries), then what is new. Serialized; never rejects. */
  push(): Promise<void> {
    this.#running = this.#running.then(async () => {
      try {
        await this.#pushTelemetry();
        await this.#pushSpans();
        this.status.lastPushAt = this.now().toISOString();
        this.status.lastError = null;
      } catch (err) {
        this.status.failures++;
        this.status.lastError = (err as Error).message;
      }
    });
    return this.#running;
  }

  async #pushTelemetry(): Promise<void> {
    // Collected at most once per round: under steady traffic there is always something new.
    let collected = false;
    for (;;) {
      if (!this.#telemetryBatch) {
        if (this.#edges.length === 0 && !collected) {
          this.#edges = this.source.collectTelemetry().filter((e) => e.count > 0);
          collected = true;
        }
        if (this.#edges.length === 0) return;
        this.#telemetryBatch = {
          namespace: this.pod.namespace,
          pod: this.pod.name,
          batch: { instance: this.#instance, seq: ++this.#seq.telemetry },
          collectedAt: this.now().toISOString(),
          edges: takeWithin(this.#edges, MAX_PUSHED_EDGES),
        };
      }
      const batch = this.#telemetryBatch;
      const outcome = await this.#send("/v1/telemetry", batch);
      this.#telemetryBatch = undefined;
      if (outcome === "sent") this.status.pushedRequests += batch.edges.reduce((n, e) => n + e.count, 0);
    }
  }

  async #pushSpans(): Promise<void> {
    for (let page = 0; page < MAX_SPAN_PAGES_PER_ROUND; page++) {
      if (!this.#spansBatch) {
        const got = this.source.spans(this.#spanCursor, MAX_PUSHED_SPANS);
        if (got.spans.length === 0 && got.dropped === 0) {
          this.#spanCursor = Math.max(this.#spanCursor, got.next);
          return;
        }
        this.#spansBatch = {
          next: got.next,
          body: { namespace: this.pod.namespace, pod: this.pod.name, batch: { instance: this.#instance, seq: ++this.#seq.spans }, dropped: got.dropped, spans: spansWithin(got.spans) },
        };
      }
      const { body, next } = this.#spansBatch;
      const outcome = await this.#send("/v1/spans", body);
      this.#spansBatch = undefined;
      this.#spanCursor = next;
      if (outcome === "sent") this.status.pushedSpans += body.spans.length;
      if (body.spans.length < MAX_PUSHED_SPANS) return;
    }
  }

  /** "sent" or "duplicate" when the agent has the batch, "refused" when it never will (400, 413); throws to retry it later. */
  async #send(path: string, body: unknown): Promise<"sent" | "duplicate" | "refused"> {
    let answer: unknown;
    try {
      answer = await this.post(path, body);
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 400 || status === 413) {
        this.status.refusedBatches++;
        return "refused";
      }
      throw err;
    }
    const parsed = SidecarPushResultSchema.safeParse(answer);
    if (parsed.success && parsed.data.duplicate) {
      this.status.duplicates++;
      return "duplicate";
    }
    return "sent";
  }
}

/** Takes edges off the front of `queue` while they fit one batch (at least one, however large). */
function takeWithin(queue: EdgeReport[], maxCount: number): EdgeReport[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length && n < maxCount) {
    bytes += JSON.stringify(queue[n]).length;
    if (n > 0 && bytes > MAX_PUSH_BYTES / 2) break;
    n++;
  }
  return queue.splice(0, n);
}

/** The wire fields of each span, with attribute values cut to what the agent keeps. */
function spansWithin(spans: FinishedSpan[]): SidecarSpansPush["spans"] {
  return spans.map((s) => ({
    seq: s.seq,
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name.slice(0, 256),
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano,
    durationMs: s.durationMs,
    error: s.error,
    attributes: Object.fromEntries(
      Object.entries(s.attributes)
        .slice(0, 64)
        .map(([k, v]) => [k.slice(0, 128), typeof v === "string" ? v.slice(0, MAX_ATTRIBUTE_CHARS) : v]),
    ),
  }));
}
