// The rollout page's charts: canary and stable on one time axis (success
// rate and p99 latency per minute, from telemetry.serviceSeries filtered by
// version), with the rollout's step boundaries as markers.
import type { RolloutEventType } from "@weft/mesh-model";
import type { Marker } from "../services/series-model.ts";

export interface VersionPoint {
  at: Date;
  requests: number;
  errorPercent: number;
  p99: number | null;
}

export interface ComparisonColumns {
  /** Seconds since the epoch. */
  x: number[];
  stableSuccess: (number | null)[];
  canarySuccess: (number | null)[];
  stableP99: (number | null)[];
  canaryP99: (number | null)[];
}

/**
 * Both versions' points aligned on the union of their timestamps. A minute
 * without requests is a gap (null), not 100 % success. `until` (seconds)
 * stretches the axis with an empty point, so step boundaries inside the
 * current minute (after its point) are on the chart too.
 */
export function comparisonColumns(stable: readonly VersionPoint[], canary: readonly VersionPoint[], until?: number): ComparisonColumns {
  const byTime = (points: readonly VersionPoint[]) => new Map(points.map((p) => [Math.floor(p.at.getTime() / 1000), p]));
  const s = byTime(stable);
  const c = byTime(canary);
  const x = [...new Set([...s.keys(), ...c.keys()])].sort((a, b) => a - b);
  if (until !== undefined && x.length > 0 && until > (x.at(-1) as number)) x.push(until);
  const success = (p: VersionPoint | undefined) => (p && p.requests > 0 ? 100 - p.errorPercent : null);
  const p99 = (p: VersionPoint | undefined) => (p && p.requests > 0 ? p.p99 : null);
  return {
    x,
    stableSuccess: x.map((t) => success(s.get(t))),
    canarySuccess: x.map((t) => success(c.get(t))),
    stableP99: x.map((t) => p99(s.get(t))),
    canaryP99: x.map((t) => p99(c.get(t))),
  };
}

/** An event of the rollout's timeline, as far as the charts care. */
export interface TimelineEventLike {
  at: Date;
  type: RolloutEventType;
  message: string;
}

/** Event types that move traffic or end the run: each one is a boundary on the charts. */
const BOUNDARY_TYPES = new Set<RolloutEventType>(["started", "step-entered", "promoted", "succeeded", "rolled-back", "aborted"]);

/** Markers for the step boundaries (and the run's end) inside [from, to). */
export function stepMarkers(events: readonly TimelineEventLike[], from: Date, to: Date): Marker[] {
  return events
    .filter((e) => BOUNDARY_TYPES.has(e.type) && e.at >= from && e.at < to)
    .map((e) => ({ at: Math.floor(e.at.getTime() / 1000), label: e.message }))
    .sort((a, b) => a.at - b.at);
}
