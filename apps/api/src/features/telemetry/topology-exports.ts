// Which services of the topology other clusters may reach (Mesh
// spec.multicluster.export) and which are called from other clusters without
// being exported: a pure function of discovery, the Mesh and the window's edges.
import { isExported, type MultiCluster } from "@weft/mesh-model";
import type { EdgeEnd } from "./telemetry.types.ts";

/** A service as one cluster's discovery reports it. */
export interface DiscoveredService {
  cluster: string;
  namespace: string;
  name: string;
}

/** The export status of a service in one cluster, as the topology marks it. */
export interface ServiceExportMark {
  cluster: string;
  namespace: string;
  service: string;
  /** Whether other clusters may reach it (the Mesh's export settings; All when there is no Mesh). */
  exported: boolean;
  /** All: everything is exported (the default); Selected: only what the Mesh lists. */
  mode: "All" | "Selected";
  /** The other clusters that may reach it (every other cluster when exported, none otherwise), sorted. */
  to: string[];
  /**
   * Other clusters whose callers called the service in the window (sorted). For an
   * unexported service these calls failed: their callers have no endpoint to go to.
   */
  calledFrom: string[];
}

const UNKNOWN_CLUSTERS = new Set(["", "unknown"]);

/**
 * One mark per discovered service (in `cluster`/`namespace` when given). A
 * call counts for `calledFrom` when its caller is in another cluster and it
 * reached the service's cluster, or reached no cluster at all (an unexported
 * service's callers elsewhere answer 503 without an endpoint, so their
 * telemetry names no destination cluster) while the caller's own cluster does
 * not run the service.
 */
export function exportMarks(input: {
  services: readonly DiscoveredService[];
  multicluster: MultiCluster | undefined;
  edges: readonly { source: EdgeEnd; destination: EdgeEnd }[];
  cluster?: string | undefined;
  namespace?: string | undefined;
}): ServiceExportMark[] {
  const clusters = [...new Set(input.services.map((s) => s.cluster))].sort();
  const runsIn = new Map<string, Set<string>>();
  for (const s of input.services) {
    const key = `${s.namespace}/${s.name}`;
    runsIn.set(key, (runsIn.get(key) ?? new Set()).add(s.cluster));
  }
  const callers = new Map<string, Set<string>>();
  for (const e of input.edges) {
    const from = e.source.cluster;
    if (UNKNOWN_CLUSTERS.has(from)) continue;
    const key = `${e.destination.namespace}/${e.destination.service}`;
    const where = runsIn.get(key);
    if (!where) continue;
    const targets = UNKNOWN_CLUSTERS.has(e.destination.cluster) ? (where.has(from) ? [] : [...where]) : e.destination.cluster !== from ? [e.destination.cluster] : [];
    for (const t of targets) {
      const k = `${t}/${key}`;
      callers.set(k, (callers.get(k) ?? new Set()).add(from));
    }
  }
  const mode = input.multicluster?.export.mode ?? "All";
  return input.services
    .filter((s) => (!input.cluster || s.cluster === input.cluster) && (!input.namespace || s.namespace === input.namespace))
    .map((s) => {
      const exported = isExported(input.multicluster, s.namespace, s.name);
      return {
        cluster: s.cluster,
        namespace: s.namespace,
        service: s.name,
        exported,
        mode,
        to: exported ? clusters.filter((c) => c !== s.cluster) : [],
        calledFrom: [...(callers.get(`${s.cluster}/${s.namespace}/${s.name}`) ?? [])].sort(),
      };
    })
    .sort((a, b) => a.cluster.localeCompare(b.cluster) || a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service));
}
