// Where each caller's requests to a service were served: in the caller's own
// cluster or in other clusters (source_cluster vs destination_cluster of the
// rollups, summed over versions), with rates over the covered time as the
// rest of the dashboard shows them, and the flag "local callers go remote":
// a caller whose own cluster has ready endpoints of the destination, yet
// sends a significant share of its requests elsewhere. Pure.
import type { Resource } from "@weft/mesh-model";
import type { TrafficEdge } from "../topology/graph-model.ts";

/**
 * A caller is flagged when at least this share of its requests went to other
 * clusters while its own cluster has a ready endpoint. Locality routing keeps
 * a healthy local level at ~0 % remote, and a failover that runs its course
 * (local instances ejected for 30 s, then back) is a few percent of a longer
 * window; a tenth of the traffic is lasting, and costs latency and egress.
 */
export const REMOTE_SHARE_FLAG = 0.1;
/** Fewer requests than this in the window say too little to flag (2 of 5 requests is not a pattern). */
export const MIN_REQUESTS_TO_FLAG = 20;

/** A service endpoint as discovery reports it. */
export interface EndpointReadiness {
  cluster: string;
  healthy: boolean;
}

export interface ClusterShare {
  cluster: string;
  requests: number;
  /** Requests per second over the covered time. */
  rate: number;
  /** 0..1 of the caller's requests. */
  share: number;
  local: boolean;
}

/** One caller (a service in one cluster) of one destination service. */
export interface CallerShare {
  caller: { cluster: string; namespace: string; service: string };
  destination: { namespace: string; service: string };
  requests: number;
  rate: number;
  /** 0..1 served in the caller's own cluster. */
  localShare: number;
  /** 0..1 served in other clusters. */
  remoteShare: number;
  remoteRate: number;
  /** Per serving cluster, the caller's own first, then by requests. */
  byCluster: ClusterShare[];
  /** Ready endpoints of the destination in the caller's cluster; null when discovery was not consulted. */
  readyLocalEndpoints: number | null;
  /** A TrafficPolicy `distribute` entry for the caller's cluster sends weight to other clusters: remote traffic is intended. */
  remoteByPolicy: boolean;
  /** "local callers go remote": ready local endpoints, and ≥ REMOTE_SHARE_FLAG of ≥ MIN_REQUESTS_TO_FLAG requests served elsewhere, not by policy. */
  goesRemote: boolean;
  /** The flag in words, when set. */
  reason: string | null;
}

const inMesh = (end: { cluster: string; service: string }) => end.cluster !== "" && end.cluster !== "unknown" && end.service !== "unknown";
const percent = (share: number) => `${Math.round(share * 100)} %`;

/**
 * Per caller of `destination`, the local and remote share of its requests,
 * callers with the most remote traffic first. Callers from outside the mesh
 * and requests whose serving cluster is unknown are left out.
 */
export function callerShares(
  edges: readonly TrafficEdge[],
  destination: { namespace: string; name: string },
  options: { endpoints?: readonly EndpointReadiness[] | undefined; remoteByPolicy?: ReadonlySet<string> | undefined } = {},
): CallerShare[] {
  const callers = new Map<string, { caller: CallerShare["caller"]; clusters: Map<string, { requests: number; rate: number }> }>();
  for (const e of edges) {
    if (e.destination.namespace !== destination.namespace || e.destination.service !== destination.name) continue;
    if (!inMesh(e.source) || !inMesh(e.destination) || e.requests <= 0) continue;
    const key = `${e.source.cluster}/${e.source.namespace}/${e.source.service}`;
    const entry = callers.get(key) ?? { caller: { cluster: e.source.cluster, namespace: e.source.namespace, service: e.source.service }, clusters: new Map() };
    const served = entry.clusters.get(e.destination.cluster) ?? { requests: 0, rate: 0 };
    served.requests += e.requests;
    served.rate += e.rate;
    entry.clusters.set(e.destination.cluster, served);
    callers.set(key, entry);
  }
  const ready = options.endpoints ? countReady(options.endpoints) : null;
  const out: CallerShare[] = [];
  for (const { caller, clusters } of callers.values()) {
    const requests = [...clusters.values()].reduce((n, c) => n + c.requests, 0);
    const rate = [...clusters.values()].reduce((n, c) => n + c.rate, 0);
    const byCluster = [...clusters].map(([cluster, c]): ClusterShare => ({ cluster, requests: c.requests, rate: c.rate, share: c.requests / requests, local: cluster === caller.cluster }));
    byCluster.sort((a, b) => Number(b.local) - Number(a.local) || b.requests - a.requests || (a.cluster < b.cluster ? -1 : 1));
    const local = clusters.get(caller.cluster);
    const localRequests = local?.requests ?? 0;
    const localShare = localRequests / requests;
    // From the remote count itself, not 1 − local: 1 − 0.9 is just under 0.1.
    const remoteShare = (requests - localRequests) / requests;
    const remoteRate = rate - (local?.rate ?? 0);
    const readyLocal = ready === null ? null : (ready.get(caller.cluster) ?? 0);
    const byPolicy = options.remoteByPolicy?.has(caller.cluster) ?? false;
    const goesRemote = readyLocal !== null && readyLocal > 0 && !byPolicy && requests >= MIN_REQUESTS_TO_FLAG && remoteShare >= REMOTE_SHARE_FLAG;
    out.push({
      caller,
      destination: { namespace: destination.namespace, service: destination.name },
      requests,
      rate,
      localShare,
      remoteShare,
      remoteRate,
      byCluster,
      readyLocalEndpoints: readyLocal,
      remoteByPolicy: byPolicy,
      goesRemote,
      reason: goesRemote
        ? `${caller.namespace}/${caller.service} in ${caller.cluster} sent ${percent(remoteShare)} of its requests to other clusters (${byCluster
            .filter((c) => !c.local)
            .map((c) => c.cluster)
            .join(", ")}) while ${caller.cluster} has ${readyLocal} ready endpoint${readyLocal === 1 ? "" : "s"} of ${destination.namespace}/${destination.name}`
        : null,
    });
  }
  return out.sort((a, b) => Number(b.goesRemote) - Number(a.goesRemote) || b.remoteRate - a.remoteRate || (key(a) < key(b) ? -1 : 1));
}

const key = (s: CallerShare) => `${s.caller.cluster}/${s.caller.namespace}/${s.caller.service}`;

function countReady(endpoints: readonly EndpointReadiness[]): Map<string, number> {
  const ready = new Map<string, number>();
  for (const e of endpoints) if (e.healthy) ready.set(e.cluster, (ready.get(e.cluster) ?? 0) + 1);
  return ready;
}

/**
 * Calling clusters whose remote traffic to `destination` a TrafficPolicy
 * intends: a `distribute` entry from the cluster (or one of its zones) that
 * gives weight to another cluster. Such callers are not flagged.
 */
export function remoteByPolicy(resources: readonly (Resource | null)[], destination: { namespace: string; name: string }): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    if (r?.kind !== "TrafficPolicy") continue;
    const target = r.spec.targetRef;
    if (target.name !== destination.name || (target.namespace ?? r.metadata.namespace) !== destination.namespace) continue;
    for (const entry of r.spec.loadBalancer?.locality?.distribute ?? []) {
      const from = entry.from.split("/")[0] ?? entry.from;
      if (Object.entries(entry.to).some(([to, weight]) => weight > 0 && (to.split("/")[0] ?? to) !== from)) out.add(from);
    }
  }
  return out;
}

/** The caller of a topology edge and its share to the edge's destination service, if it is a mesh service. */
export function shareOfEdge(shares: readonly CallerShare[], caller: { cluster: string; namespace: string; service: string }): CallerShare | undefined {
  return shares.find((s) => s.caller.cluster === caller.cluster && s.caller.namespace === caller.namespace && s.caller.service === caller.service);
}

/** A topology node id, `svc:<cluster>/<namespace>/<service>[@version]`, as its parts; null for nodes outside the mesh. */
export function serviceNodeOf(id: string): { cluster: string; namespace: string; service: string } | null {
  const m = /^svc:([^/]+)\/([^/]+)\/([^@]+)/.exec(id);
  return m && m[1] && m[2] && m[3] ? { cluster: m[1], namespace: m[2], service: m[3] } : null;
}
