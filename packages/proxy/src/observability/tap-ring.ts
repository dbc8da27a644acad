// `weft tap`'s source in the proxy: a bounded ring of recent request
// summaries (never headers or bodies; paths without their query string), read
// by the agent through GET /tap on the loopback admin listener. Recording is
// off until someone reads, and stops again when nobody has for a while, so a
// proxy nobody taps pays one comparison per request.
import type { TapEvent as WireTapEvent } from "@weft/mesh-model";

/** A request summary as the ring keeps it: the wire form agents relay (mesh-model's TapEvent) less the proxy id they add, with its sequence number. */
export type TapEvent = Omit<WireTapEvent, "proxy"> & {
  /** Increasing per proxy process; readers pass the last one they saw. */
  seq: number;
};

export class TapRing {
  private readonly events: TapEvent[] = [];
  private seq = 0;
  private readUntil = 0;

  constructor(
    private readonly now: () => number,
    private readonly capacity = 512,
    /** Recording stays on this long after the last read. */
    private readonly armedForMs = 30_000,
  ) {}

  /** True while someone has read recently. */
  get armed(): boolean {
    return this.now() < this.readUntil;
  }

  push(event: Omit<TapEvent, "seq">): void {
    this.events.push({ seq: ++this.seq, ...event });
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
  }

  /**
   * Events after `after` (at most `limit`, oldest first) and the latest seq;
   * `dropped` counts events that left the ring before this reader saw them.
   * Reading arms recording.
   */
  read(after: number, limit = 256): { seq: number; dropped: number; events: TapEvent[] } {
    this.readUntil = this.now() + this.armedForMs;
    const newer = this.events.filter((e) => e.seq > after);
    const oldest = this.events[0]?.seq ?? this.seq + 1;
    return { seq: this.seq, dropped: after < this.seq ? Math.max(0, oldest - after - 1) : 0, events: newer.slice(0, limit) };
  }
}
