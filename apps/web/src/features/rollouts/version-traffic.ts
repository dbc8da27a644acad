// The wizard's second step: the versions of a service Weft sees in each
// cluster (discovered endpoints) with their live traffic (telemetry per
// workload), a guess at which is stable and which the canary, and the
// stable version's baseline over the last hour for the thresholds step.
import type { StableBaseline } from "./threshold-suggestions.ts";

/** A discovered endpoint, as discovery.endpoints returns it (only what this view reads). */
export interface EndpointLike {
  cluster: string;
  version?: string | null | undefined;
}

/** One group of telemetry.stats grouped by workload (destination cluster/namespace/service/version). */
export interface WorkloadTraffic {
  destination: { cluster: string; namespace: string; service: string; version: string };
  requests: number;
  errors: number;
  rate: number;
  successPercent: number | null;
  p95: number | null;
  p99: number | null;
}

export interface VersionRow {
  cluster: string;
  version: string;
  endpoints: number;
  rate: number;
  successPercent: number | null;
  p99: number | null;
}

/** Endpoints without a version label are grouped under this name (a rollout cannot target them). */
export const UNLABELLED = "(no version label)";

/**
 * One row per cluster and version: every version with a discovered endpoint,
 * plus any that served the service's traffic in the window (an endpoint may
 * have just gone), sorted by cluster then version.
 */
export function versionRows(endpoints: readonly EndpointLike[], traffic: readonly WorkloadTraffic[], service: { namespace: string; name: string }): VersionRow[] {
  const rows = new Map<string, VersionRow>();
  const row = (cluster: string, version: string) => {
    const key = `${cluster}\u0000${version}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { cluster, version, endpoints: 0, rate: 0, successPercent: null, p99: null }));
    return r;
  };
  for (const e of endpoints) row(e.cluster, e.version || UNLABELLED).endpoints++;
  for (const t of traffic) {
    const d = t.destination;
    if (d.namespace !== service.namespace || d.service !== service.name || !d.cluster) continue;
    const r = row(d.cluster, d.version || UNLABELLED);
    r.rate += t.rate;
    r.successPercent = t.successPercent;
    r.p99 = t.p99;
  }
  return [...rows.values()].sort((a, b) => a.cluster.localeCompare(b.cluster) || a.version.localeCompare(b.version, undefined, { numeric: true }));
}

/** The labelled versions seen anywhere, in version order. */
export function versionsOf(rows: readonly VersionRow[]): string[] {
  return [...new Set(rows.map((r) => r.version).filter((v) => v !== UNLABELLED))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/** The clusters the service runs in, sorted. */
export function clustersOf(rows: readonly VersionRow[]): string[] {
  return [...new Set(rows.map((r) => r.cluster))].sort();
}

/**
 * A first guess for the wizard: stable is the version taking the most
 * traffic now; the canary is the newest-sorting other version (the one that
 * was just deployed next to it). Empty strings when there is no such version.
 */
export function guessVersions(rows: readonly VersionRow[]): { stable: string; canary: string } {
  const versions = versionsOf(rows);
  const rate = (v: string) => rows.filter((r) => r.version === v).reduce((n, r) => n + r.rate, 0);
  const stable = [...versions].sort((a, b) => rate(b) - rate(a) || a.localeCompare(b, undefined, { numeric: true }))[0] ?? "";
  const canary = versions.filter((v) => v !== stable).at(-1) ?? "";
  return { stable, canary };
}

/**
 * The stable version's traffic over the window in `traffic` (the last hour),
 * summed over the rollout's clusters (empty: all). Percentiles cannot be
 * added across clusters: the worst cluster's is taken, so the threshold
 * derived from it holds in every cluster.
 */
export function stableBaseline(traffic: readonly WorkloadTraffic[], service: { namespace: string; name: string }, version: string, clusters: readonly string[], windowMinutes: number): StableBaseline {
  const mine = traffic.filter(
    (t) => t.destination.namespace === service.namespace && t.destination.service === service.name && t.destination.version === version && (clusters.length === 0 || clusters.includes(t.destination.cluster)),
  );
  const worst = (pick: (t: WorkloadTraffic) => number | null) => mine.reduce<number | null>((w, t) => (t.requests > 0 && pick(t) !== null ? Math.max(w ?? 0, pick(t) as number) : w), null);
  return {
    version,
    windowMinutes,
    requests: mine.reduce((n, t) => n + t.requests, 0),
    errors: mine.reduce((n, t) => n + t.errors, 0),
    p95Ms: worst((t) => t.p95),
    p99Ms: worst((t) => t.p99),
  };
}
