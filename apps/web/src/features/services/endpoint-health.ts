// A service's endpoints grouped by cluster with a health verdict per cluster,
// from discovery.endpoints (what the agents report about readiness).

export interface EndpointLike {
  cluster: string;
  address: string;
  port: number;
  healthy: boolean;
  version: string | null;
  zone: string | null;
  workload: string | null;
}

export type ClusterHealthTone = "ok" | "warning" | "critical";

export interface ClusterEndpoints<E extends EndpointLike = EndpointLike> {
  cluster: string;
  ready: number;
  total: number;
  /** "all ready", "2 of 3 ready", "none ready", "no endpoints". */
  summary: string;
  tone: ClusterHealthTone;
  endpoints: E[];
}

/**
 * Per cluster (every cluster that reports the service, even with no
 * endpoints: that is the case an operator most needs to see), how many
 * endpoints are ready. Clusters in name order, endpoints as given.
 */
export function endpointsByCluster<E extends EndpointLike>(clusters: readonly string[], endpoints: readonly E[]): ClusterEndpoints<E>[] {
  const names = [...new Set([...clusters, ...endpoints.map((e) => e.cluster)])].sort();
  return names.map((cluster) => {
    const list = endpoints.filter((e) => e.cluster === cluster);
    const ready = list.filter((e) => e.healthy).length;
    const total = list.length;
    const tone: ClusterHealthTone = total > 0 && ready === total ? "ok" : ready > 0 ? "warning" : "critical";
    const summary = total === 0 ? "no endpoints" : ready === total ? "all ready" : ready === 0 ? "none ready" : `${ready} of ${total} ready`;
    return { cluster, ready, total, summary, tone, endpoints: list };
  });
}
