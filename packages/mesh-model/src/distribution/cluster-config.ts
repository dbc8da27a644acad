// The versioned mesh config the manager sends one cluster's agent: the live
// resources plus the federated catalog of the OTHER clusters (what runs
// where, in which versions and zones, and how to reach it). Pure: the
// manager reads the rows, this function decides what the cluster gets.
import type { EastWestGateway } from "../discovery/discovery.schema.ts";
import { isExported, type MtlsMode, type MultiCluster } from "../mesh/mesh.schema.ts";
import { refOf, resourceKey, type Resource } from "../resource/resource.schema.ts";
import type { ClusterTrust } from "./cluster-trust.schema.ts";

/** One endpoint of a service as the catalog input carries it (no address: other clusters go through the gateway). */
export interface CatalogEndpointInput {
  version: string | null;
  zone: string | null;
  healthy: boolean;
  /** Whether a Weft proxy fronts it (true when omitted). Only those are reachable through the gateway. */
  sidecar?: boolean;
  /** Service account of its workload, when known. */
  serviceAccount?: string | null;
}

/** One cluster's discovered services, as stored by the manager. */
export interface ClusterCatalogInput {
  name: string;
  region: string | null;
  gateway: EastWestGateway | null;
  services: readonly {
    namespace: string;
    name: string;
    ports: readonly { port: number; name?: string | undefined; protocol?: string | undefined }[];
    endpoints: readonly CatalogEndpointInput[];
  }[];
}

export interface ClusterConfigInput {
  /** The cluster the config is for. */
  cluster: string;
  mesh: { trustDomain: string; mtlsMode: MtlsMode };
  /** The mesh's trust; null while the mesh has no CA yet (proxies then run without mTLS). */
  trust: ClusterTrust | null;
  /** Mesh.configVersion the resources belong to. */
  configVersion: bigint;
  /** Mesh.catalogVersion the catalog belongs to. */
  catalogVersion: bigint;
  /** Every live resource of the mesh. */
  resources: readonly Resource[];
  /** When each resource was first created, by `resourceKey(refOf(resource))`; HTTPRoute precedence ties go to the oldest. */
  createdAt?: ReadonlyMap<string, Date>;
  /**
   * Each resource's revision id (`<id>.<revision>`), by `resourceKey(refOf(resource))`: a stored
   * revision never changes, so equal ids mean equal content. Sent when every resource has one.
   */
  revisions?: ReadonlyMap<string, string>;
  /** Every cluster's catalog, the target cluster's included (it is left out here). */
  clusters: readonly ClusterCatalogInput[];
}

/** Endpoints of one service in one remote cluster, counted per version, zone and whether a proxy fronts them. */
export interface EndpointGroup {
  version: string | null;
  zone: string | null;
  healthy: number;
  total: number;
  /**
   * Whether a Weft proxy fronts these endpoints (absent in configs of managers before issue 12: treat as
   * true). `false`: the east-west gateway cannot reach them (it passes mTLS through to a proxy).
   */
  sidecar?: boolean;
  /** Service accounts of their workloads, sorted (the identities callers expect); empty when unknown. */
  serviceAccounts?: string[];
}

/** Where one service runs in one remote cluster. */
export interface RemoteServiceLocation {
  cluster: string;
  region: string | null;
  /** How to reach the cluster; null when it has no east-west gateway (the service is then unreachable from here). */
  gateway: EastWestGateway | null;
  /** Versions with at least one endpoint, sorted. */
  versions: string[];
  endpoints: EndpointGroup[];
  /**
   * False when the service runs there but is not exported (Mesh `spec.multicluster.export`): its
   * endpoints are withheld and callers here answer 503. Absent from older managers' configs: exported.
   */
  exported?: boolean;
}

/** A service of the federated catalog: every remote cluster it runs in. */
export interface FederatedService {
  namespace: string;
  name: string;
  /** Union of the ports the clusters report, sorted by port. */
  ports: { port: number; name?: string; protocol?: string }[];
  clusters: RemoteServiceLocation[];
}

/** What an agent receives: one versioned, self-contained config for its cluster. */
export interface ClusterConfig {
  cluster: string;
  /** Mesh.configVersion, as a decimal string (the agent acknowledges it). */
  configVersion: string;
  /** Mesh.catalogVersion, as a decimal string. */
  catalogVersion: string;
  mesh: { trustDomain: string; mtlsMode: MtlsMode };
  /** What the cluster's proxies trust; null while the mesh has no CA. */
  trust: ClusterTrust | null;
  /** Live resources, sorted by kind, namespace and name. */
  resources: Resource[];
  /** Creation time (ISO 8601) of each resource, by `resourceKey(refOf(resource))`; absent from older managers' configs. */
  resourceCreatedAt?: Record<string, string>;
  /**
   * Each resource's revision id, in the order of `resources` (absent from older managers' configs):
   * equal ids mean an equal resource and creation time, so an agent reuses what it parsed from an
   * earlier config instead of serializing every resource to compare it.
   */
  resourceRevisions?: string[];
  /** Services of the other clusters, sorted by namespace and name. */
  catalog: FederatedService[];
  /** A digest of `catalog` (absent from older managers' configs): an equal digest means an equal catalog. */
  catalogDigest?: string;
}

/** The Mesh's multi-cluster settings among `resources`; undefined without a Mesh (everything is exported). */
export function meshMultiCluster(resources: readonly Resource[]): MultiCluster | undefined {
  const mesh = resources.find((r) => r.kind === "Mesh");
  return mesh?.kind === "Mesh" ? mesh.spec.multicluster : undefined;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The config for one cluster. Deterministic: equal inputs give deep-equal (and equally serialised) output. */
export function buildClusterConfig(input: ClusterConfigInput): ClusterConfig {
  return new ClusterConfigs(input).forCluster(input.cluster);
}

/** One remote cluster's share of a federated service: where it runs there and which ports it reports. */
interface Placement {
  cluster: string;
  location: RemoteServiceLocation;
  ports: readonly { port: number; name?: string | undefined; protocol?: string | undefined }[];
}

/**
 * The configs of every cluster of one mesh state (resources, catalog,
 * trust), built together: what every cluster gets alike — the sorted
 * resources, their creation times, each federated service as seen from the
 * clusters it does not run in — is built once and shared between the
 * configs; per cluster only the catalog's list is assembled (leaving out the
 * services' entries of the cluster itself). Equal to `buildClusterConfig`
 * per cluster, deep and in key order. The configs share objects: treat them
 * as immutable.
 */
export class ClusterConfigs {
  readonly #input: Omit<ClusterConfigInput, "cluster">;
  readonly #resources: Resource[];
  readonly #resourceCreatedAt: Record<string, string> | undefined;
  readonly #resourceRevisions: string[] | undefined;
  readonly #trust: ClusterTrust | null;
  /** Per service key (`namespace/name`), sorted: its placements in cluster name order. */
  readonly #services: { namespace: string; name: string; placements: Placement[] }[];
  /** Each service as seen from a cluster it does not run in (the same for all of them). */
  readonly #seenFromElsewhere: Map<string, FederatedService>;
  /** Per cluster, each service that runs there and elsewhere, as seen from there. */
  readonly #seenFromOwn: Map<string, Map<string, FederatedService>>;
  /** What decided the catalog part: the clusters' catalog (by identity) and the Mesh's multi-cluster settings. */
  readonly #catalogBasis: { clusters: readonly ClusterCatalogInput[]; multicluster: string };

  /**
   * `previous`: the configs of the last mesh state. When the catalog input is
   * the same object and the Mesh's multi-cluster settings are equal (a
   * resource write leaves both as they were), its catalog part — the
   * federated services, the same objects — is taken over instead of built
   * again, so what was derived from them (digests, JSON) is kept by whoever
   * keyed it by object.
   */
  constructor(input: Omit<ClusterConfigInput, "cluster"> & { cluster?: string }, previous?: ClusterConfigs) {
    this.#input = input;
    // Every resource applies to every cluster: a route for a service that runs
    // only elsewhere still governs this cluster's callers of it.
    const keyed = input.resources.map((r) => ({ r, key: resourceKey(refOf(r)) })).sort((a, b) => compare(a.key, b.key));
    this.#resources = keyed.map((k) => k.r);
    const createdAt = input.createdAt;
    this.#resourceCreatedAt = createdAt
      ? Object.fromEntries(keyed.flatMap(({ key }) => {
          const at = createdAt.get(key);
          return at ? [[key, at.toISOString()]] : [];
        }))
      : undefined;
    const revisions = input.revisions;
    const ids = revisions && keyed.map(({ key }) => revisions.get(key));
    this.#resourceRevisions = ids?.every((id) => id !== undefined) ? (ids as string[]) : undefined;
    this.#trust = input.trust && {
      bundleVersion: input.trust.bundleVersion,
      rootsPem: [...input.trust.rootsPem],
      issuingRootFingerprint: input.trust.issuingRootFingerprint,
      revokedFingerprints: [...input.trust.revokedFingerprints].sort(compare),
    };
    const multicluster = meshMultiCluster(input.resources);
    this.#catalogBasis = { clusters: input.clusters, multicluster: JSON.stringify(multicluster ?? null) };
    if (previous && previous.#catalogBasis.clusters === input.clusters && previous.#catalogBasis.multicluster === this.#catalogBasis.multicluster) {
      this.#services = previous.#services;
      this.#seenFromElsewhere = previous.#seenFromElsewhere;
      this.#seenFromOwn = previous.#seenFromOwn;
      return;
    }
    this.#seenFromElsewhere = new Map();
    this.#seenFromOwn = new Map();
    const services = new Map<string, { namespace: string; name: string; placements: Placement[] }>();
    // Clusters in name order, so the first report of a port (its name, protocol) wins the same way every time.
    for (const cluster of [...input.clusters].sort((a, b) => compare(a.name, b.name))) {
      for (const s of cluster.services) {
        const key = `${s.namespace}/${s.name}`;
        let entry = services.get(key);
        if (!entry) services.set(key, (entry = { namespace: s.namespace, name: s.name, placements: [] }));
        // Unexported: other clusters learn that it runs there (so their callers fail fast, 503), never how to reach it.
        const location: RemoteServiceLocation = !isExported(multicluster, s.namespace, s.name)
          ? { cluster: cluster.name, region: cluster.region, gateway: cluster.gateway, versions: [], endpoints: [], exported: false }
          : { cluster: cluster.name, region: cluster.region, gateway: cluster.gateway, versions: versionsOf(s.endpoints), endpoints: groupEndpoints(s.endpoints) };
        entry.placements.push({ cluster: cluster.name, location, ports: s.ports });
      }
    }
    this.#services = [...services.values()].sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
  }

  /** The config for `cluster`: the resources and the other clusters' services. */
  forCluster(cluster: string): ClusterConfig {
    const catalog: FederatedService[] = [];
    let fromOwn = this.#seenFromOwn.get(cluster);
    for (const s of this.#services) {
      const own = s.placements.some((p) => p.cluster === cluster);
      const key = `${s.namespace}/${s.name}`;
      if (!own) {
        let shared = this.#seenFromElsewhere.get(key);
        if (!shared) this.#seenFromElsewhere.set(key, (shared = federated(s.namespace, s.name, s.placements)));
        catalog.push(shared);
      } else if (s.placements.length > 1) {
        if (!fromOwn) this.#seenFromOwn.set(cluster, (fromOwn = new Map()));
        let view = fromOwn.get(key);
        if (!view) fromOwn.set(key, (view = federated(s.namespace, s.name, s.placements.filter((p) => p.cluster !== cluster))));
        catalog.push(view);
      }
    }
    return {
      cluster,
      configVersion: this.#input.configVersion.toString(),
      catalogVersion: this.#input.catalogVersion.toString(),
      mesh: { trustDomain: this.#input.mesh.trustDomain, mtlsMode: this.#input.mesh.mtlsMode },
      trust: this.#trust,
      resources: this.#resources,
      ...(this.#resourceCreatedAt && { resourceCreatedAt: this.#resourceCreatedAt }),
      ...(this.#resourceRevisions && { resourceRevisions: this.#resourceRevisions }),
      catalog,
    };
  }
}

/** A federated service from its placements (in cluster name order): ports merged, first report of a port wins. */
function federated(namespace: string, name: string, placements: readonly Placement[]): FederatedService {
  const ports: FederatedService["ports"] = [];
  for (const { ports: reported } of placements)
    for (const p of reported) {
      if (ports.some((q) => q.port === p.port)) continue;
      ports.push({ port: p.port, ...(p.name !== undefined ? { name: p.name } : {}), ...(p.protocol !== undefined ? { protocol: p.protocol } : {}) });
    }
  return { namespace, name, ports: ports.sort((a, b) => a.port - b.port), clusters: placements.map((p) => p.location) };
}

function versionsOf(endpoints: readonly CatalogEndpointInput[]): string[] {
  return [...new Set(endpoints.map((e) => e.version).filter((v): v is string => v !== null && v !== ""))].sort(compare);
}

function groupEndpoints(endpoints: readonly CatalogEndpointInput[]): EndpointGroup[] {
  const groups = new Map<string, EndpointGroup>();
  for (const e of endpoints) {
    const sidecar = e.sidecar ?? true;
    const key = `${e.version ?? ""}\u0000${e.zone ?? ""}\u0000${sidecar}`;
    const group = groups.get(key) ?? { version: e.version, zone: e.zone, healthy: 0, total: 0, sidecar, serviceAccounts: [] };
    group.total += 1;
    if (e.healthy) group.healthy += 1;
    if (e.serviceAccount && !group.serviceAccounts?.includes(e.serviceAccount)) group.serviceAccounts?.push(e.serviceAccount);
    groups.set(key, group);
  }
  for (const g of groups.values()) g.serviceAccounts?.sort(compare);
  return [...groups.values()].sort((a, b) => compare(a.version ?? "", b.version ?? "") || compare(a.zone ?? "", b.zone ?? "") || Number(a.sidecar) - Number(b.sidecar));
}
