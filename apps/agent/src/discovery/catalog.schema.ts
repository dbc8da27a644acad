// What discovery reports: services, workloads and endpoints of one cluster.
// Provider-neutral: the Kubernetes and universal providers both map into it.
// The shapes are the wire shapes of `@weft/mesh-model`'s discovery reports, so
// what the agent holds is what it sends; only the snapshot without `seq` and
// `gateway` is the agent's own.
import {
  DiscoveryProtocolSchema,
  discoveryKey,
  type DiscoveredPort,
  type DiscoveryProtocol,
  type ReportedEndpoint,
  type ReportedService,
  type ReportedWorkload,
} from "@weft/mesh-model";

export const ProtocolSchema = DiscoveryProtocolSchema;
export type Protocol = DiscoveryProtocol;

// Discovery's items keep mesh-model's names (the compiler's federated catalog has its own CatalogService and CatalogEndpoint).
export type { DiscoveredPort, ReportedEndpoint, ReportedService, ReportedWorkload };

/** Everything discovery currently sees, in a canonical order (see `normalizeSnapshot`). */
export interface CatalogSnapshot {
  services: ReportedService[];
  workloads: ReportedWorkload[];
  endpoints: ReportedEndpoint[];
}

export const EMPTY_SNAPSHOT: CatalogSnapshot = Object.freeze({ services: [], workloads: [], endpoints: [] }) as CatalogSnapshot;

/** Identity of each kind of object: what "the same object, changed" means. */
export const catalogKey = discoveryKey;
