// Endpoint health changes (outlier ejections and returns, active health-check
// transitions) as a bounded, cursor-read log: GET /outliers serves it and the
// agent collects it for the manager and the dashboard.

export interface HealthEventInput {
  backend: string;
  service: string;
  /** `address:port`. */
  endpoint: string;
  /** eject / return (outlier detection), unhealthy / healthy (active health checks). */
  action: "eject" | "return" | "unhealthy" | "healthy";
  /** consecutive_5xx, consecutive_gateway_errors, success_rate, or the check type (http, tcp, grpc). */
  reason: string;
  durationMs?: number;
  ejections?: number;
}

export interface HealthEvent extends HealthEventInput {
  seq: number;
  at: string;
}

const MAX_EVENTS = 1024;

export class HealthEvents {
  private readonly ring: HealthEvent[] = [];
  private seq = 0;

  constructor(
    private readonly now: () => number,
    /** Called for every event (metrics, logs). */
    private readonly onEvent: (e: HealthEvent) => void = () => undefined,
  ) {}

  emit(input: HealthEventInput): void {
    const event: HealthEvent = { seq: ++this.seq, at: new Date(this.now()).toISOString(), ...input };
    this.ring.push(event);
    if (this.ring.length > MAX_EVENTS) this.ring.shift();
    this.onEvent(event);
  }

  /** Events after `since`; `dropped` counts those lost to the bound since then. */
  since(since: number, limit = MAX_EVENTS): { next: number; dropped: number; events: HealthEvent[] } {
    const first = this.ring[0]?.seq ?? this.seq + 1;
    const events = this.ring.filter((e) => e.seq > since).slice(0, limit);
    return { next: events.at(-1)?.seq ?? Math.max(since, this.seq), dropped: Math.max(0, first - since - 1), events };
  }
}
