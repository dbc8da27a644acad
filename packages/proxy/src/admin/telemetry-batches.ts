// Acknowledged telemetry collection (GET /telemetry, POST /telemetry/ack): the
// proxy keeps the deltas it handed out until the collector says it has them
// safe, so a collector killed between reading and recording them loses nothing.
//
// One batch at most is pending: GET /telemetry answers it again, identical
// (same id, same edges), until it is acknowledged; traffic after the batch was
// cut stays in the live counters and goes into the next batch. Memory is one
// batch plus the live counters, however long nobody acknowledges.
//
// A collector opts in with `GET /telemetry?acknowledge=1`. A plain GET is the
// older reset-on-read contract (an agent from before the acknowledgement never
// sends one): it answers `{edges}` without an id and keeps nothing, so such an
// agent is not handed the same batch, and does not count it, on every tick.
//
// Batch ids are `<boot id>:<n>`: the boot id is random per proxy process, n
// counts batches from 1. A collector that recorded a batch and crashed before
// acknowledging it gets the same id back and can tell it already has it.
import { randomBytes } from "node:crypto";

export interface TelemetryBatch<E> {
  batch: string;
  edges: E[];
}

/** What an acknowledgement did: `acked` cleared the pending batch; `not-pending` changed nothing (an old, foreign or already acknowledged id). */
export type AckResult = { acked: true } | { acked: false; pending: string | null };

export class TelemetryBatches<E> {
  #pending: TelemetryBatch<E> | undefined;
  #n = 0;

  constructor(
    /** Takes the deltas since the previous call and resets them (the proxy's per-edge counters). */
    private readonly collect: () => E[],
    readonly bootId: string = randomBytes(8).toString("hex"),
  ) {}

  /** The pending batch, or a new one cut from the live counters when none is pending. */
  take(): TelemetryBatch<E> {
    this.#pending ??= { batch: `${this.bootId}:${++this.#n}`, edges: this.collect() };
    return this.#pending;
  }

  /** Reset-on-read, for collectors that never acknowledge: the pending batch's edges if one is pending (it is dropped), else the deltas since the last collect. */
  drain(): E[] {
    const pending = this.#pending;
    this.#pending = undefined;
    return pending ? pending.edges : this.collect();
  }

  /** Acknowledges `batch`: only the pending batch's id clears it; any other id is ignored (and said so). */
  ack(batch: string): AckResult {
    if (this.#pending?.batch === batch) {
      this.#pending = undefined;
      return { acked: true };
    }
    return { acked: false, pending: this.#pending?.batch ?? null };
  }
}

/** Largest accepted batch id: a 16-hex boot id, a colon and a counter. */
const BATCH_ID = /^[0-9a-f]{1,64}:[1-9][0-9]{0,15}$/;

/** The batch id in an acknowledgement body (`{"batch": "<id>"}`), or the reason it is refused, naming the field. */
export function parseAck(text: string): { batch: string } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: "body: not JSON (expected {\"batch\": \"<id from GET /telemetry>\"})" };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { error: "body: expected a JSON object {\"batch\": \"<id>\"}" };
  const batch = (body as { batch?: unknown }).batch;
  if (batch === undefined) return { error: "batch: missing (the id GET /telemetry answered)" };
  if (typeof batch !== "string" || !BATCH_ID.test(batch)) return { error: "batch: expected \"<boot id>:<n>\" as GET /telemetry answered it" };
  return { batch };
}
