// Passive health checking (outlier detection) of one backend's endpoints:
// consecutive 5xx / gateway errors eject at once, success-rate outliers are
// judged every interval. Ejection time = base × ejections, capped; at most
// maxEjectionPercent of the endpoints are out at once. State lives in the
// endpoints' EndpointStats, so it survives config reloads.
import type { OutlierDetection } from "@weft/mesh-model/proxy-config";
import type { EndpointView } from "./load-balancer.ts";
import type { HealthEvents } from "../observability/resilience-events.ts";

/** Shared by a backend's runtimes: bumped whenever an endpoint's availability changes. */
export interface HealthGeneration {
  generation: number;
}

/** How many endpoints out of `total` may be ejected at once. */
export function ejectionCap(total: number, percent: number, alwaysKeepOne: boolean): number {
  if (percent <= 0 || total === 0) return 0;
  // At least one may go (10% of 3 endpoints would otherwise never eject anything), as Envoy does.
  let cap = percent >= 100 ? total : Math.max(1, Math.floor((total * percent) / 100));
  if (alwaysKeepOne) cap = Math.min(cap, total - 1);
  return cap;
}

/** Mean and population standard deviation. */
function meanStdev(values: readonly number[]): { mean: number; stdev: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, stdev: Math.sqrt(variance) };
}

export class OutlierDetector {
  private views: readonly EndpointView[] = [];
  /** Earliest ejectedUntil among ejected endpoints (Infinity when none). */
  nextReturnAt = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private timerInterval = 0;
  /** Ejections refused because the cap was reached. */
  capped = 0;

  constructor(
    private readonly backend: string,
    private readonly service: string,
    private spec: OutlierDetection,
    private readonly health: HealthGeneration,
    private readonly now: () => number,
    private readonly events: HealthEvents,
  ) {}

  /** New spec or endpoint set (a config was applied). */
  configure(spec: OutlierDetection, views: readonly EndpointView[]): void {
    this.spec = spec;
    this.views = views;
    if (this.timerInterval !== spec.intervalMs) {
      clearInterval(this.timer);
      this.timerInterval = spec.intervalMs;
      this.timer = setInterval(() => this.tick(), spec.intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.timerInterval = 0;
  }

  /** One attempt's result: the HTTP status, or undefined for a local failure (connect failure, reset, timeout). */
  record(view: EndpointView, status: number | undefined): void {
    const s = view.stats;
    s.intervalRequests++;
    const error = status === undefined || status >= 500;
    if (!error) {
      s.intervalSuccesses++;
      s.consecutive5xx = 0;
      s.consecutiveGatewayErrors = 0;
      return;
    }
    s.consecutive5xx++;
    if (status === undefined || status === 502 || status === 503 || status === 504) s.consecutiveGatewayErrors++;
    else s.consecutiveGatewayErrors = 0;
    if (s.ejectedUntil !== 0) return;
    if (s.consecutive5xx >= this.spec.consecutive5xx) this.eject(view, "consecutive_5xx");
    else if (this.spec.consecutiveGatewayErrors !== undefined && s.consecutiveGatewayErrors >= this.spec.consecutiveGatewayErrors) this.eject(view, "consecutive_gateway_errors");
  }

  private ejectedCount(): number {
    let n = 0;
    for (const v of this.views) if (v.stats.ejectedUntil !== 0) n++;
    return n;
  }

  private eject(view: EndpointView, reason: string): boolean {
    const s = view.stats;
    if (this.ejectedCount() >= ejectionCap(this.views.length, this.spec.maxEjectionPercent, this.spec.alwaysKeepOne)) {
      this.capped++;
      return false;
    }
    const now = this.now();
    s.ejections++;
    const duration = Math.min(this.spec.baseEjectionTimeMs * s.ejections, Math.max(this.spec.maxEjectionTimeMs, this.spec.baseEjectionTimeMs));
    s.ejectedUntil = now + duration;
    s.ejectionReason = reason;
    s.consecutive5xx = 0;
    s.consecutiveGatewayErrors = 0;
    this.nextReturnAt = Math.min(this.nextReturnAt, s.ejectedUntil);
    this.health.generation++;
    this.events.emit({ backend: this.backend, service: this.service, endpoint: view.key, action: "eject", reason, durationMs: duration, ejections: s.ejections });
    return true;
  }

  /** Brings back endpoints whose ejection time is over (called lazily on pick and every interval). */
  returnDue(now: number): void {
    if (now < this.nextReturnAt) return;
    let next = Infinity;
    for (const v of this.views) {
      const s = v.stats;
      if (s.ejectedUntil === 0) continue;
      if (s.ejectedUntil <= now) {
        s.ejectedUntil = 0;
        this.health.generation++;
        this.events.emit({ backend: this.backend, service: this.service, endpoint: v.key, action: "return", reason: s.ejectionReason ?? "", ejections: s.ejections });
      } else next = Math.min(next, s.ejectedUntil);
    }
    this.nextReturnAt = next;
  }

  /** The interval: returns, success-rate ejection, multiplier decay, new counting window. */
  tick(): void {
    const now = this.now();
    this.returnDue(now);
    const sr = this.spec.successRate;
    if (sr) {
      const judged = this.views.filter((v) => v.stats.intervalRequests >= sr.requestVolume);
      if (judged.length >= sr.minimumHosts) {
        const rates = judged.map((v) => v.stats.intervalSuccesses / v.stats.intervalRequests);
        const { mean, stdev } = meanStdev(rates);
        const threshold = mean - sr.stdevFactor * stdev;
        judged.forEach((v, i) => {
          if ((rates[i] ?? 1) < threshold && v.stats.ejectedUntil === 0) this.eject(v, "success_rate");
        });
      }
    }
    for (const v of this.views) {
      const s = v.stats;
      // An endpoint back in service and behaving earns its multiplier down, one step per interval.
      if (s.ejectedUntil === 0 && s.ejections > 0 && s.consecutive5xx === 0) s.ejections--;
      s.intervalRequests = 0;
      s.intervalSuccesses = 0;
    }
  }
}
