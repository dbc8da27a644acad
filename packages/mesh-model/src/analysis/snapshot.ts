import { workloadSpiffeId } from "../common/identity.ts";
import type { ExternalService } from "../external-service/external-service.schema.ts";
import type { Mesh } from "../mesh/mesh.schema.ts";
import { type Resource, type ResourceOfKind, namespaceOf } from "../resource/resource.schema.ts";

/** A service found by discovery (one entry per cluster it runs in, or one merged entry). */
export interface DiscoveredService {
  name: string;
  namespace: string;
  /** Cluster the entry was discovered in. */
  cluster?: string;
  /** Version subsets present (the workloads' version labels). */
  versions: readonly string[];
  /** Ports the service exposes. */
  ports: readonly { port: number; name?: string; protocol?: string }[];
}

/** A workload (pod, VM process) found by discovery. */
export interface DiscoveredWorkload {
  name: string;
  namespace: string;
  serviceAccount: string;
  cluster?: string;
  /** Its SPIFFE ID when known; otherwise derived from the trust domain, namespace and service account. */
  identity?: string;
}

/** A caller seen in telemetry: the source of requests to a service. */
export interface ObservedCaller {
  /** SPIFFE ID of the caller. */
  identity: string;
  /** Namespace of the caller; read from the SPIFFE ID when omitted. */
  namespace?: string;
  /** Cluster of the caller, when known. */
  cluster?: string;
}

/** The callers recently seen calling one service. */
export interface ObservedCallers {
  service: { name: string; namespace: string };
  callers: readonly ObservedCaller[];
}

/**
 * Everything the cross-resource analyzers look at: the resources as they would
 * be after the change, plus what discovery and telemetry report.
 */
export interface MeshSnapshot {
  resources: readonly Resource[];
  services: readonly DiscoveredService[];
  workloads: readonly DiscoveredWorkload[];
  /** Recently observed callers per service; analyzers that need them are skipped without. */
  observedCallers?: readonly ObservedCallers[];
  /** Trust domain for deriving workload identities; the Mesh resource's when omitted. */
  trustDomain?: string;
  /** How far back the manager keeps the metrics SLOs read (ms); longer SLO windows are refused. Unchecked when omitted. */
  metricsRetentionMs?: number;
  /** Recent request rates per service (as its callers sent them); the low-traffic SLO check is skipped without. */
  observedTraffic?: readonly ObservedTraffic[];
}

/** A service's recent request rate. */
export interface ObservedTraffic {
  namespace: string;
  service: string;
  requestsPerSecond: number;
}

/** A service as the analyzers see it: merged over clusters. */
export interface KnownService {
  kind: "Service" | "ExternalService";
  name: string;
  namespace: string;
  /** Known versions; empty for ExternalServices. */
  versions: ReadonlySet<string>;
  /** Known ports; an empty set means "not reported" and is not checked. */
  ports: ReadonlySet<number>;
}

/** Lookups over a snapshot, built once per analysis. */
export class SnapshotIndex {
  readonly snapshot: MeshSnapshot;
  private readonly services = new Map<string, KnownService>();
  private readonly externals = new Map<string, KnownService>();
  /** Trust domain used for workload identities, when known. */
  readonly trustDomain: string | undefined;
  /** SPIFFE IDs of all workloads; `undefined` when they cannot be derived (no trust domain). */
  readonly workloadIdentities: readonly string[] | undefined;

  constructor(snapshot: MeshSnapshot) {
    this.snapshot = snapshot;
    for (const s of snapshot.services) {
      const key = `${s.namespace}/${s.name}`;
      const known = this.services.get(key) ?? { kind: "Service" as const, name: s.name, namespace: s.namespace, versions: new Set<string>(), ports: new Set<number>() };
      for (const v of s.versions) (known.versions as Set<string>).add(v);
      for (const p of s.ports) (known.ports as Set<number>).add(p.port);
      this.services.set(key, known);
    }
    for (const ext of this.ofKind("ExternalService")) {
      const namespace = namespaceOf(ext) ?? "";
      this.externals.set(`${namespace}/${ext.metadata.name}`, externalAsService(ext, namespace));
    }
    this.trustDomain = snapshot.trustDomain ?? this.ofKind("Mesh").map((m: Mesh) => m.spec.trustDomain)[0];
    const td = this.trustDomain;
    const ids = snapshot.workloads.map((w) => w.identity ?? (td !== undefined ? workloadSpiffeId(td, w.namespace, w.serviceAccount) : undefined));
    this.workloadIdentities = ids.every((id): id is string => id !== undefined) ? ids : undefined;
  }

  /** Resources of one kind, in snapshot order. */
  ofKind<K extends Resource["kind"]>(kind: K): ResourceOfKind<K>[] {
    return this.snapshot.resources.filter((r): r is ResourceOfKind<K> => r.kind === kind);
  }

  /** A discovered service or an ExternalService resource, by kind, namespace and name. */
  service(kind: "Service" | "ExternalService", namespace: string, name: string): KnownService | undefined {
    return (kind === "Service" ? this.services : this.externals).get(`${namespace}/${name}`);
  }
}

function externalAsService(ext: ExternalService, namespace: string): KnownService {
  return { kind: "ExternalService", name: ext.metadata.name, namespace, versions: new Set(), ports: new Set(ext.spec.ports.map((p) => p.number)) };
}
