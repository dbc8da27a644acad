// Chart data for a service's series (telemetry.serviceSeries) and the
// config-change markers on its time axis (resources.serviceHistory).

export interface SeriesPointLike {
  at: Date;
  requests: number;
  rate: number;
  errorPercent: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** Columns as uPlot wants them: x in seconds, one array per series, null for gaps. */
export interface ChartColumns {
  x: number[];
  rate: number[];
  errorPercent: (number | null)[];
  p50: (number | null)[];
  p90: (number | null)[];
  p99: (number | null)[];
}

export function toColumns(points: readonly SeriesPointLike[]): ChartColumns {
  const out: ChartColumns = { x: [], rate: [], errorPercent: [], p50: [], p90: [], p99: [] };
  for (const p of points) {
    out.x.push(Math.floor(p.at.getTime() / 1000));
    out.rate.push(p.rate);
    // Without requests there is no error rate, not a 0% one.
    out.errorPercent.push(p.requests > 0 ? p.errorPercent : null);
    out.p50.push(p.p50);
    out.p90.push(p.p90);
    out.p99.push(p.p99);
  }
  return out;
}

export interface Marker {
  /** Seconds since the epoch. */
  at: number;
  label: string;
}

/** Markers for revisions inside [from, to): "HTTPRoute shop/checkout rev 3 by alice". */
export function changeMarkers(revisions: readonly { createdAt: Date; kind: string; namespace: string; name: string; revision: number; authorName: string; action: string }[], from: Date, to: Date): Marker[] {
  return revisions
    .filter((r) => r.createdAt >= from && r.createdAt < to)
    .map((r) => ({ at: Math.floor(r.createdAt.getTime() / 1000), label: `${r.action} ${r.kind} ${r.namespace}/${r.name} rev ${r.revision} by ${r.authorName}` }))
    .sort((a, b) => a.at - b.at);
}

/** True when the series has any traffic at all (else the page shows an empty state, not flat lines). */
export function hasTraffic(points: readonly { requests: number }[]): boolean {
  return points.some((p) => p.requests > 0);
}

/**
 * The series' requests per second over the time its data covers: from its
 * first minute with traffic to the window's end or now, whichever is earlier
 * (at least a minute) — the rule the manager's rates follow, so the number
 * under a chart matches the topology's and the overview's for the window.
 */
export function averageRate(points: readonly SeriesPointLike[], windowTo: Date, now: number): { rate: number; seconds: number } | null {
  const first = points.find((p) => p.requests > 0);
  if (!first) return null;
  const requests = points.reduce((n, p) => n + p.requests, 0);
  const end = Math.min(windowTo.getTime(), Math.max(now, first.at.getTime()));
  const seconds = Math.max(60, (end - first.at.getTime()) / 1000);
  return { rate: requests / seconds, seconds };
}
