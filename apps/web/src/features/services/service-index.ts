import type { TrafficEdge } from "../topology/graph-model.ts";

export interface ServiceSummary {
  namespace: string;
  name: string;
  clusters: string[];
  versions: string[];
  /** Inbound requests per second. */
  rate: number;
  requests: number;
  errors: number;
  errorPercent: number;
  /** Worst inbound p99. */
  p99: number | null;
  callers: number;
  callees: number;
}

export const serviceKey = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * Every mesh service seen in telemetry (either end) plus those named by
 * resources (`extra`), with inbound traffic totals. Callers from outside the mesh are not services.
 */
export function indexServices(edges: readonly TrafficEdge[], extra: readonly { namespace: string; name: string }[] = []): ServiceSummary[] {
  const map = new Map<string, ServiceSummary & { callerSet: Set<string>; calleeSet: Set<string>; clusterSet: Set<string>; versionSet: Set<string> }>();
  const get = (namespace: string, name: string) => {
    const key = serviceKey(namespace, name);
    let s = map.get(key);
    if (!s) {
      s = { namespace, name, clusters: [], versions: [], rate: 0, requests: 0, errors: 0, errorPercent: 0, p99: null, callers: 0, callees: 0, callerSet: new Set(), calleeSet: new Set(), clusterSet: new Set(), versionSet: new Set() };
      map.set(key, s);
    }
    return s;
  };
  const inMesh = (e: { cluster: string; service: string }) => e.cluster !== "" && e.service !== "unknown";
  for (const e of edges) {
    const src = e.source;
    const dst = e.destination;
    if (inMesh(dst)) {
      const s = get(dst.namespace, dst.service);
      s.clusterSet.add(dst.cluster);
      if (dst.version) s.versionSet.add(dst.version);
      s.rate += e.rate;
      s.requests += e.requests;
      s.errors += e.errors;
      if (e.p99 !== null) s.p99 = s.p99 === null ? e.p99 : Math.max(s.p99, e.p99);
      s.callerSet.add(serviceKey(src.namespace, src.service));
    }
    if (inMesh(src)) {
      const s = get(src.namespace, src.service);
      s.clusterSet.add(src.cluster);
      if (src.version) s.versionSet.add(src.version);
      s.calleeSet.add(serviceKey(dst.namespace, dst.service));
    }
  }
  for (const x of extra) if (x.name !== "*") get(x.namespace, x.name);
  return [...map.values()]
    .map(({ callerSet, calleeSet, clusterSet, versionSet, ...s }) => ({
      ...s,
      clusters: [...clusterSet].sort(),
      versions: [...versionSet].sort(),
      errorPercent: s.requests > 0 ? (s.errors / s.requests) * 100 : 0,
      callers: callerSet.size,
      callees: calleeSet.size,
    }))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

export interface Neighbour {
  namespace: string;
  service: string;
  cluster: string;
  version: string;
  rate: number;
  errorPercent: number;
  p99: number | null;
}

/** The service's callers and callees, one row per edge end. */
export function neighbours(edges: readonly TrafficEdge[], service: { namespace: string; name: string }): { callers: Neighbour[]; callees: Neighbour[]; instances: { cluster: string; version: string; rate: number; errorPercent: number; p99: number | null }[] } {
  const isSelf = (e: { namespace: string; service: string }) => e.namespace === service.namespace && e.service === service.name;
  const row = (e: TrafficEdge, side: "source" | "destination"): Neighbour => ({ ...e[side], rate: e.rate, errorPercent: e.errorPercent, p99: e.p99 });
  const instances = new Map<string, { cluster: string; version: string; rate: number; requests: number; errors: number; p99: number | null }>();
  for (const e of edges) {
    if (!isSelf(e.destination)) continue;
    const key = `${e.destination.cluster}|${e.destination.version}`;
    const cur = instances.get(key) ?? { cluster: e.destination.cluster, version: e.destination.version, rate: 0, requests: 0, errors: 0, p99: null };
    cur.rate += e.rate;
    cur.requests += e.requests;
    cur.errors += e.errors;
    if (e.p99 !== null) cur.p99 = cur.p99 === null ? e.p99 : Math.max(cur.p99, e.p99);
    instances.set(key, cur);
  }
  return {
    callers: edges.filter((e) => isSelf(e.destination)).map((e) => row(e, "source")),
    callees: edges.filter((e) => isSelf(e.source)).map((e) => row(e, "destination")),
    instances: [...instances.values()]
      .map(({ requests, errors, ...i }) => ({ ...i, errorPercent: requests > 0 ? (errors / requests) * 100 : 0 }))
      .sort((a, b) => a.cluster.localeCompare(b.cluster) || a.version.localeCompare(b.version)),
  };
}
