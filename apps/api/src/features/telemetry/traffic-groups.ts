// Traffic of a window grouped the ways `weft stat` and `weft top` look at it
// (per service, workload, cluster or edge), each group's latency from its
// rows' merged sketches, so a service's p99 is the p99 of all its requests
// rather than the worst of its edges'. Pure: rows in, groups out.
import { mergeSketches, summarizeTraffic, type EdgeEnd, type TrafficStats } from "@weft/mesh-model";
import type { EdgeMinuteRow } from "./telemetry.repository.ts";

/** How `telemetry.stats` groups the window's traffic: by its destination (what serves it), or per edge. */
export const STATS_GROUPS = ["service", "workload", "cluster", "edge"] as const;
export type StatsGroupBy = (typeof STATS_GROUPS)[number];

/** One group's traffic over the window. */
export interface TrafficGroup extends TrafficStats {
  /** The destination side that identifies the group; fields that do not apply are empty ("" cluster for a service across clusters). */
  destination: EdgeEnd;
  /** For edges: the caller. */
  source: EdgeEnd | null;
  /** 95th percentile latency in milliseconds; null without samples. */
  p95: number | null;
  /** Requests that succeeded, 0–100; null without requests. */
  successPercent: number | null;
  /** Share of requests over mutual TLS, 0–100; null without requests. */
  mtlsPercent: number | null;
  /** Requests per response class (2xx, 4xx, 5xx, ...). */
  byClass: Record<string, number>;
}

const EMPTY_END = { cluster: "", namespace: "", service: "", version: "" };

function keyOf(row: EdgeMinuteRow, groupBy: StatsGroupBy): { destination: EdgeEnd; source: EdgeEnd | null } {
  const d = row.destination;
  switch (groupBy) {
    case "service":
      return { destination: { ...EMPTY_END, namespace: d.namespace, service: d.service }, source: null };
    case "workload":
      return { destination: { ...d }, source: null };
    case "cluster":
      return { destination: { ...EMPTY_END, cluster: d.cluster }, source: null };
    case "edge":
      return { destination: { ...d }, source: { ...row.source } };
  }
}

/** Groups the rows of a window of `seconds`; busiest group first. */
export function groupTraffic(rows: readonly EdgeMinuteRow[], groupBy: StatsGroupBy, seconds: number): TrafficGroup[] {
  const groups = new Map<string, { key: ReturnType<typeof keyOf>; rows: EdgeMinuteRow[] }>();
  for (const row of rows) {
    const key = keyOf(row, groupBy);
    const id = JSON.stringify(key);
    const group = groups.get(id) ?? { key, rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  return [...groups.values()]
    .map(({ key, rows: members }) => {
      const stats = summarizeTraffic(
        members.map((r) => ({ minute: r.minute.getTime(), requests: r.requests, errors: r.errors, latency: r.latency })),
        seconds,
      );
      const sketch = mergeSketches(members.map((r) => r.latency));
      const mtlsRequests = members.reduce((n, r) => n + r.mtlsRequests, 0);
      const byClass: Record<string, number> = {};
      for (const r of members) byClass[r.codeClass] = (byClass[r.codeClass] ?? 0) + r.requests;
      return {
        ...key,
        ...stats,
        p95: sketch && sketch.count > 0 ? sketch.quantile(0.95) : null,
        successPercent: stats.requests === 0 ? null : 100 - stats.errorPercent,
        mtlsPercent: stats.requests === 0 ? null : (mtlsRequests / stats.requests) * 100,
        byClass,
      };
    })
    .sort((a, b) => b.requests - a.requests || JSON.stringify([a.source, a.destination]).localeCompare(JSON.stringify([b.source, b.destination])));
}
