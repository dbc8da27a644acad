// Mesh-wide golden signals from the per-edge telemetry summaries.

export interface EdgeTraffic {
  requests: number;
  errors: number;
  rate: number;
  p50: number | null;
  p99: number | null;
}

export interface MeshTotals {
  /** Requests per second over the window, all edges together. */
  rate: number;
  requests: number;
  /** Percentage of requests that succeeded; null without traffic. */
  successPercent: number | null;
  /** Request-weighted mean of the edges' medians (an estimate: sketches are merged per edge only). */
  p50: number | null;
  /** The worst edge's p99: what the slowest callers see. */
  worstP99: number | null;
  edges: number;
}

/** Sums the edges of a window into mesh-wide request rate, success rate and latency. */
export function meshTotals(edges: readonly EdgeTraffic[]): MeshTotals {
  let requests = 0;
  let errors = 0;
  let rate = 0;
  let weighted = 0;
  let weight = 0;
  let worst: number | null = null;
  for (const e of edges) {
    requests += e.requests;
    errors += e.errors;
    rate += e.rate;
    if (e.p50 !== null && e.requests > 0) {
      weighted += e.p50 * e.requests;
      weight += e.requests;
    }
    if (e.p99 !== null) worst = worst === null ? e.p99 : Math.max(worst, e.p99);
  }
  return {
    rate,
    requests,
    successPercent: requests > 0 ? ((requests - errors) / requests) * 100 : null,
    p50: weight > 0 ? weighted / weight : null,
    worstP99: worst,
    edges: edges.length,
  };
}
