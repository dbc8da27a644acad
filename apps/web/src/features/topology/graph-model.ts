// The topology graph as plain data: cytoscape elements built from telemetry
// edges (clusters as compound nodes holding namespaces, namespaces holding
// services), health classification, filtering, search, and the diff between
// two element sets so live refreshes update in place instead of re-laying out.

import { exportStateOf, type ExportMark, type ExportState } from "./export-marks.ts";

export interface EdgeEndLike {
  cluster: string;
  namespace: string;
  service: string;
  version: string;
}

/** One telemetry edge as telemetry.edges returns it (mtls when the data says so). */
export interface TrafficEdge {
  source: EdgeEndLike;
  destination: EdgeEndLike;
  requests: number;
  errors: number;
  rate: number;
  errorPercent: number;
  p50: number | null;
  p99: number | null;
  mtls?: boolean | null;
}

export type Health = "healthy" | "degraded" | "failing" | "idle";

export type { ExportMark, ExportState };

/** Error % and p99 (ms) above which an edge is degraded or failing; set in the UI. */
export interface HealthThresholds {
  errorDegraded: number;
  errorFailing: number;
  p99Degraded: number;
  p99Failing: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = { errorDegraded: 1, errorFailing: 5, p99Degraded: 500, p99Failing: 2_000 };

/** Health of traffic: failing beats degraded beats healthy; no requests is idle. */
export function classifyHealth(stats: { requests: number; errorPercent: number; p99: number | null }, t: HealthThresholds): Health {
  if (stats.requests <= 0) return "idle";
  if (stats.errorPercent >= t.errorFailing || (stats.p99 !== null && stats.p99 >= t.p99Failing)) return "failing";
  if (stats.errorPercent >= t.errorDegraded || (stats.p99 !== null && stats.p99 >= t.p99Degraded)) return "degraded";
  return "healthy";
}

const HEALTH_RANK: Record<Health, number> = { idle: 0, healthy: 1, degraded: 2, failing: 3 };
export function worstHealth(a: Health, b: Health): Health {
  return HEALTH_RANK[a] >= HEALTH_RANK[b] ? a : b;
}

export interface GraphOptions {
  /** One node per service version instead of per service. */
  splitVersions: boolean;
  thresholds: HealthThresholds;
  cluster: string | null;
  namespace: string | null;
  /** Case-insensitive substring of `namespace/service`; matching nodes are marked, others dimmed. */
  search: string;
  /** The services' export status; without it no service is marked. */
  exports?: readonly ExportMark[] | undefined;
}

export interface NodeData {
  id: string;
  label: string;
  kind: "cluster" | "namespace" | "service" | "external";
  parent?: string;
  cluster?: string;
  namespace?: string;
  service?: string;
  version?: string;
  health?: Health;
  /** Inbound requests per second. */
  rate?: number;
  matched?: boolean;
  dimmed?: boolean;
  /** Services only: whether other clusters may reach it (see ExportState). */
  exportState?: ExportState;
  /** Services only: the export status telemetry.edges gave (absent when it gave none). */
  exportMark?: ExportMark;
}

export interface EdgeData {
  id: string;
  source: string;
  target: string;
  label: string;
  health: Health;
  rate: number;
  requests: number;
  errors: number;
  errorPercent: number;
  p99: number | null;
  /** true/false when the data says; null when unknown. */
  mtls: boolean | null;
  /** mtls as a string for the stylesheet (cytoscape's `[attr = false]` also matches null). */
  mtlsState: "on" | "off" | "unknown";
  /** The caller and the service are in different clusters (the traffic crossed the east-west gateways, or tried to). */
  crossCluster: boolean;
  dimmed?: boolean;
}

export interface GraphElements {
  nodes: NodeData[];
  edges: EdgeData[];
}

/** The id of the node an edge end belongs to. */
export function nodeIdOf(end: EdgeEndLike, splitVersions: boolean): string {
  if (!end.cluster || end.service === "unknown") return `ext:${end.service}`;
  const base = `svc:${end.cluster}/${end.namespace}/${end.service}`;
  return splitVersions && end.version ? `${base}@${end.version}` : base;
}

function rateLabel(rps: number): string {
  if (rps < 0.01) return "<0.01/s";
  if (rps < 10) return `${rps.toFixed(2)}/s`;
  return `${Math.round(rps)}/s`;
}

/** "12/s · 0.5% · p99 120ms" */
export function edgeLabel(e: { rate: number; errorPercent: number; p99: number | null }): string {
  const err = e.errorPercent === 0 ? "0%" : e.errorPercent < 0.1 ? "<0.1%" : `${e.errorPercent.toFixed(1)}%`;
  const p99 = e.p99 === null ? "p99 n/a" : `p99 ${e.p99 < 10 ? e.p99.toFixed(1) : Math.round(e.p99)}ms`;
  return `${rateLabel(e.rate)} · ${err} · ${p99}`;
}

function touches(end: EdgeEndLike, cluster: string | null, namespace: string | null): boolean {
  return (!cluster || end.cluster === cluster) && (!namespace || end.namespace === namespace);
}

/**
 * A call that reached no cluster (its telemetry names none) to a service the
 * caller's cluster does not run and another cluster does not export: the
 * caller had no endpoint because of the export, so the edge is drawn to that
 * cluster's service (a failing cross-cluster edge) rather than to "outside".
 */
function unexportedDestination(e: TrafficEdge, marks: readonly ExportMark[]): EdgeEndLike {
  if (e.destination.cluster || !e.source.cluster || e.destination.service === "unknown") return e.destination;
  const same = marks.filter((m) => m.namespace === e.destination.namespace && m.service === e.destination.service);
  if (same.some((m) => m.cluster === e.source.cluster)) return e.destination;
  const blocked = same.find((m) => !m.exported);
  return blocked ? { ...e.destination, cluster: blocked.cluster } : e.destination;
}

/** Builds the elements for the edges that pass the filters. */
export function buildGraph(edges: readonly TrafficEdge[], options: GraphOptions): GraphElements {
  const nodes = new Map<string, NodeData>();
  const marks = options.exports ?? [];
  const markOf = new Map(marks.map((m) => [`${m.cluster}/${m.namespace}/${m.service}`, m]));
  const merged = new Map<string, EdgeData & { p99s: number[] }>();
  const search = options.search.trim().toLowerCase();

  const ensure = (end: EdgeEndLike): string => {
    const id = nodeIdOf(end, options.splitVersions);
    if (nodes.has(id)) return id;
    if (id.startsWith("ext:")) {
      nodes.set(id, { id, label: end.service === "unknown" ? "outside the mesh" : end.service, kind: "external", service: end.service });
      return id;
    }
    const clusterId = `cluster:${end.cluster}`;
    const nsId = `ns:${end.cluster}/${end.namespace}`;
    if (!nodes.has(clusterId)) nodes.set(clusterId, { id: clusterId, label: end.cluster, kind: "cluster", cluster: end.cluster });
    if (!nodes.has(nsId)) nodes.set(nsId, { id: nsId, label: end.namespace || "(no namespace)", kind: "namespace", parent: clusterId, cluster: end.cluster, namespace: end.namespace });
    const versioned = options.splitVersions && end.version;
    const mark = markOf.get(`${end.cluster}/${end.namespace}/${end.service}`);
    const exportState = exportStateOf(mark);
    nodes.set(id, {
      id,
      label: versioned ? `${end.service} ${end.version}` : end.service,
      kind: "service",
      parent: nsId,
      cluster: end.cluster,
      namespace: end.namespace,
      service: end.service,
      ...(versioned ? { version: end.version } : {}),
      health: "idle",
      rate: 0,
      exportState,
      ...(mark ? { exportMark: mark } : {}),
    });
    return id;
  };

  for (const e of edges) {
    const destination = unexportedDestination(e, marks);
    if (!touches(e.source, options.cluster, options.namespace) && !touches(destination, options.cluster, options.namespace)) continue;
    const source = ensure(e.source);
    const target = ensure(destination);
    const crossCluster = Boolean(e.source.cluster && destination.cluster && e.source.cluster !== destination.cluster && destination.service !== "unknown");
    const id = `edge:${source}->${target}`;
    const cur = merged.get(id);
    if (cur) {
      cur.requests += e.requests;
      cur.errors += e.errors;
      cur.rate += e.rate;
      if (e.p99 !== null) cur.p99s.push(e.p99);
      if (e.mtls === false) cur.mtls = false;
      else if (e.mtls === true && cur.mtls === null) cur.mtls = true;
    } else {
      merged.set(id, {
        id,
        source,
        target,
        label: "",
        health: "idle",
        rate: e.rate,
        requests: e.requests,
        errors: e.errors,
        errorPercent: 0,
        p99: null,
        mtls: e.mtls ?? null,
        mtlsState: "unknown",
        crossCluster,
        p99s: e.p99 !== null ? [e.p99] : [],
      });
    }
  }

  const out: EdgeData[] = [];
  for (const { p99s, ...e } of merged.values()) {
    e.mtlsState = e.mtls === null ? "unknown" : e.mtls ? "on" : "off";
    // Merged version-to-version edges: the worst p99 is what some callers see.
    const p99 = p99s.length ? Math.max(...p99s) : null;
    const errorPercent = e.requests > 0 ? (e.errors / e.requests) * 100 : 0;
    const health = classifyHealth({ requests: e.requests, errorPercent, p99 }, options.thresholds);
    const edge: EdgeData = { ...e, p99, errorPercent, health, label: edgeLabel({ rate: e.rate, errorPercent, p99 }) };
    out.push(edge);
    const target = nodes.get(e.target);
    if (target && target.kind === "service") {
      target.health = worstHealth(target.health ?? "idle", health);
      target.rate = (target.rate ?? 0) + e.rate;
    }
  }

  // Set both ways, also without a search: the canvas merges new data into its elements, so a flag left out
  // would keep the value an earlier search gave it (nodes staying dimmed after the search is cleared).
  for (const n of nodes.values()) {
    if (n.kind !== "service" && n.kind !== "external") continue;
    const matched = Boolean(search) && (`${n.namespace ?? ""}/${n.service ?? ""}`.toLowerCase().includes(search) || n.label.toLowerCase().includes(search));
    n.matched = matched;
    n.dimmed = Boolean(search) && !matched;
  }
  for (const e of out) e.dimmed = Boolean(nodes.get(e.source)?.dimmed && nodes.get(e.target)?.dimmed);

  const order = { cluster: 0, namespace: 1, service: 2, external: 3 } as const;
  return {
    nodes: [...nodes.values()].sort((a, b) => order[a.kind] - order[b.kind] || a.id.localeCompare(b.id)),
    edges: out.sort((a, b) => a.id.localeCompare(b.id)),
  };
}

export interface ElementsDiff {
  addNodes: NodeData[];
  addEdges: EdgeData[];
  /** Ids to remove (edges before nodes is the caller's business: cytoscape removes connected edges with nodes). */
  remove: string[];
  /** Elements whose data changed: updated in place, positions untouched. */
  update: (NodeData | EdgeData)[];
}

function sameData(a: object, b: object): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What to change in the canvas to go from `prev` to `next`. A node whose
 * parent changed is removed and re-added (cytoscape cannot re-parent in place
 * through data()).
 */
export function diffElements(prev: GraphElements, next: GraphElements): ElementsDiff {
  const prevNodes = new Map(prev.nodes.map((n) => [n.id, n]));
  const prevEdges = new Map(prev.edges.map((e) => [e.id, e]));
  const nextIds = new Set([...next.nodes.map((n) => n.id), ...next.edges.map((e) => e.id)]);
  const diff: ElementsDiff = { addNodes: [], addEdges: [], remove: [], update: [] };
  for (const n of next.nodes) {
    const old = prevNodes.get(n.id);
    if (!old) diff.addNodes.push(n);
    else if (old.parent !== n.parent) {
      diff.remove.push(n.id);
      diff.addNodes.push(n);
    } else if (!sameData(old, n)) diff.update.push(n);
  }
  for (const e of next.edges) {
    const old = prevEdges.get(e.id);
    if (!old) diff.addEdges.push(e);
    else if (!sameData(old, e)) diff.update.push(e);
  }
  for (const id of [...prevEdges.keys(), ...prevNodes.keys()]) if (!nextIds.has(id)) diff.remove.push(id);
  return diff;
}

/** Whether applying a diff changes the graph's shape (then new nodes need placing). */
export function isStructural(diff: ElementsDiff): boolean {
  return diff.addNodes.length > 0 || diff.remove.length > 0;
}

/** Threshold form values → thresholds; invalid numbers keep the previous value. */
export function parseThresholds(input: Record<keyof HealthThresholds, string>, previous: HealthThresholds): HealthThresholds {
  const out = { ...previous };
  for (const key of Object.keys(previous) as (keyof HealthThresholds)[]) {
    const n = Number(input[key]);
    if (input[key].trim() !== "" && Number.isFinite(n) && n >= 0) out[key] = n;
  }
  if (out.errorFailing < out.errorDegraded) out.errorFailing = out.errorDegraded;
  if (out.p99Failing < out.p99Degraded) out.p99Failing = out.p99Degraded;
  return out;
}
