// What the demo's callers see, per edge, from their proxies' /metrics: the
// requests each caller's proxy sent over a window (the difference of two
// scrapes), summed over destination clusters and versions, and what the demo
// expects of each edge (every request answered, except the failures it
// injects on purpose). Pure; `npm run demo:edges` and the start test use it.
import type { DemoCluster, DemoInstance } from "./demo-topology.ts";

/** One weft_requests_total series: its labels and its count. */
export interface EdgeCounter {
  labels: Record<string, string>;
  count: number;
}

const SERIES = /^weft_requests_total\{(.*)\} (\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/;
const LABEL = /([a-z_]+)="((?:[^"\\]|\\.)*)"/g;

/** The weft_requests_total series of a Prometheus text exposition. */
export function parseEdgeCounters(text: string): EdgeCounter[] {
  const out: EdgeCounter[] = [];
  for (const line of text.split("\n")) {
    const m = SERIES.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of m[1]!.matchAll(LABEL)) labels[k!] = v!.replace(/\\(.)/g, "$1");
    out.push({ labels, count: Number(m[2]) });
  }
  return out;
}

/** One destination (cluster and version) of an edge over the window. */
export interface EdgeDestination {
  cluster: string;
  version: string;
  requests: number;
  failures: number;
  /** Failed answers by `<code> <flags>`, so a failing edge says why. */
  failed: Record<string, number>;
}

/** One caller → service edge over the window, as the caller's proxies counted it. */
export interface EdgeWindow {
  /** `<cluster>:<caller> -> <service>`. */
  edge: string;
  requests: number;
  /** Answers that were not 2xx/3xx (5xx, 4xx, no answer). */
  failures: number;
  destinations: EdgeDestination[];
}

const failed = (code: string) => !/^[23]\d\d$/.test(code);

/**
 * The outbound requests of one caller's proxy between two scrapes, by edge:
 * series whose source is the caller itself (its inbound side counts other
 * services' calls to it, which their own proxies count as outbound).
 */
export function callerWindow(caller: Pick<DemoInstance, "cluster" | "service">, before: readonly EdgeCounter[], after: readonly EdgeCounter[]): EdgeWindow[] {
  const key = (l: Record<string, string>) => Object.keys(l).sort().map((k) => `${k}=${l[k]}`).join(",");
  const start = new Map(before.map((c) => [key(c.labels), c.count]));
  const edges = new Map<string, EdgeWindow>();
  for (const c of after) {
    const l = c.labels;
    if (l.reporter === "destination" || l.source_service !== caller.service || l.source_cluster !== caller.cluster || l.destination_service === caller.service) continue;
    const delta = c.count - (start.get(key(l)) ?? 0);
    if (delta <= 0) continue;
    const name = `${caller.cluster}:${caller.service} -> ${l.destination_service ?? "unknown"}`;
    const edge = edges.get(name) ?? { edge: name, requests: 0, failures: 0, destinations: [] };
    const failures = failed(l.response_code ?? "") ? delta : 0;
    edge.requests += delta;
    edge.failures += failures;
    const dest = { cluster: l.destination_cluster ?? "unknown", version: l.destination_version ?? "unknown" };
    let d = edge.destinations.find((x) => x.cluster === dest.cluster && x.version === dest.version);
    if (!d) edge.destinations.push((d = { ...dest, requests: 0, failures: 0, failed: {} }));
    d.requests += delta;
    d.failures += failures;
    if (failures > 0) {
      const why = `${l.response_code ?? "?"} ${l.response_flags ?? "-"}`;
      d.failed[why] = (d.failed[why] ?? 0) + failures;
    }
    edges.set(name, edge);
  }
  return [...edges.values()];
}

/** Adds up the windows of several callers (replicas of one service count as one edge). */
export function mergeWindows(windows: readonly EdgeWindow[]): EdgeWindow[] {
  const out = new Map<string, EdgeWindow>();
  for (const w of windows) {
    const e = out.get(w.edge) ?? { edge: w.edge, requests: 0, failures: 0, destinations: [] };
    e.requests += w.requests;
    e.failures += w.failures;
    for (const d of w.destinations) {
      const x = e.destinations.find((y) => y.cluster === d.cluster && y.version === d.version);
      if (!x) e.destinations.push({ ...d, failed: { ...d.failed } });
      else {
        x.requests += d.requests;
        x.failures += d.failures;
        for (const [why, n] of Object.entries(d.failed)) x.failed[why] = (x.failed[why] ?? 0) + n;
      }
    }
    out.set(w.edge, e);
  }
  return [...out.values()].sort((a, b) => (a.edge < b.edge ? -1 : 1));
}

/** Every caller → service edge the demo has, with nothing counted yet. */
export function demoEdges(clusters: readonly DemoCluster[]): string[] {
  return clusters.flatMap((c) => [...new Set(c.instances.filter((i) => i.proxy).flatMap((i) => i.calls.map((s) => `${c.name}:${i.service} -> ${s}`)))]).sort();
}

/** The failure rate the demo injects into a destination (its instances of that cluster and version). */
export function injectedRate(clusters: readonly DemoCluster[], service: string, cluster: string, version: string): number {
  const inst = clusters.find((c) => c.name === cluster)?.instances.find((i) => i.service === service && i.version === version);
  return inst?.errorRate ?? 0;
}

/** The judgement of one edge: what was expected, what was seen, and whether it is within tolerance. */
export interface EdgeVerdict {
  edge: string;
  requests: number;
  successRate: number;
  /** Failure rate the demo injects on this edge (its destinations' rates, weighted by their share). */
  expectedFailureRate: number;
  failureRate: number;
  /** How far the failure rate may stray from the expected one. */
  tolerance: number;
  ok: boolean;
}

/**
 * Judges an edge: its failure rate must equal the injected one within
 * max(1 point, 4 binomial standard deviations at its request count) — so an
 * edge with nothing injected must succeed at least 99 % of the time, and
 * catalog v2's 3 % must show as 3 % (not 0, not 6).
 */
export function judgeEdge(clusters: readonly DemoCluster[], w: EdgeWindow): EdgeVerdict {
  const service = w.edge.split(" -> ")[1] ?? "";
  const expected = w.requests === 0 ? 0 : w.destinations.reduce((sum, d) => sum + d.requests * injectedRate(clusters, service, d.cluster, d.version), 0) / w.requests;
  const failureRate = w.requests === 0 ? 1 : w.failures / w.requests;
  const tolerance = Math.max(0.01, 4 * Math.sqrt((expected * (1 - expected)) / Math.max(1, w.requests)));
  return { edge: w.edge, requests: w.requests, successRate: 1 - failureRate, expectedFailureRate: expected, failureRate, tolerance, ok: w.requests > 0 && Math.abs(failureRate - expected) <= tolerance };
}
