import { randomUUID } from "node:crypto";
import type { Protocol as StoredProtocol } from "@weft/db";
import type { DbClient, SameValues } from "../../db-client.ts";

/** The protocol of a service port or endpoint, as stored and shown. */
export type Protocol = "HTTP" | "HTTP2" | "GRPC" | "TCP";
const _sameProtocols: SameValues<StoredProtocol, Protocol> = true;

/** A service as stored for one cluster. */
export interface ServiceState {
  namespace: string;
  name: string;
  ports: { name?: string; port: number; protocol: Protocol }[];
  labels: Record<string, string>;
}

export interface WorkloadState {
  namespace: string;
  name: string;
  serviceAccount: string;
  version: string | null;
  zone: string | null;
  labels: Record<string, string>;
}

export interface EndpointState {
  namespace: string;
  service: string;
  address: string;
  port: number;
  protocol: Protocol;
  healthy: boolean;
  /** Workload name (same namespace), when known. */
  workload: string | null;
  version: string | null;
  zone: string | null;
  /** Whether a Weft proxy fronts it (other clusters reach it through the east-west gateway only then). */
  sidecar: boolean;
}

/** One endpoint of a service as the dashboard reads it: where it runs and whether it is ready. */
export interface ServiceEndpoint extends Omit<EndpointState, "namespace" | "service"> {
  cluster: string;
  /** When the agent last reported a change to it. */
  updatedAt: Date;
}

/** Everything one cluster reported, keyed by identity (see `discoveryKey`). */
export interface ClusterDiscovery {
  services: Map<string, ServiceState>;
  workloads: Map<string, WorkloadState>;
  endpoints: Map<string, EndpointState>;
  gateway: { address: string; port: number } | null;
  seq: bigint | null;
}

/** JSON with sorted keys: equal content compares equal whatever order jsonb returned it in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

const serviceKey = (s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`;
const endpointKey = (e: { namespace: string; service: string; address: string; port: number }) => `${e.namespace}/${e.service}/${e.address}:${e.port}`;

/** Discovery rows of one cluster. The only Prisma code of the feature. */
export class DiscoveryRepository {
  constructor(private readonly db: DbClient) {}

  /**
   * Locks the cluster's row until the caller's unit of work ends (two reports
   * of the same cluster apply one after the other) and reads what it reported.
   */
  async lockCluster(clusterId: string): Promise<ClusterDiscovery> {
    await this.db.$queryRaw`SELECT id FROM "Cluster" WHERE id = ${clusterId}::uuid FOR UPDATE`;
    return this.load(clusterId);
  }

  /** The clusters of `meshId` that report the service `namespace/name`, with its endpoints there. */
  async serviceEndpoints(meshId: string, namespace: string, name: string): Promise<{ clusters: string[]; endpoints: ServiceEndpoint[] }> {
    const services = await this.db.service.findMany({
      where: { namespace, name, cluster: { meshId } },
      select: {
        cluster: { select: { name: true } },
        endpoints: { select: { address: true, port: true, protocol: true, healthy: true, version: true, zone: true, sidecar: true, updatedAt: true, workload: { select: { name: true, version: true, zone: true } } } },
      },
    });
    return {
      clusters: services.map((s) => s.cluster.name).sort(),
      endpoints: services.flatMap((s) =>
        s.endpoints.map((e) => ({
          cluster: s.cluster.name,
          address: e.address,
          port: e.port,
          protocol: e.protocol,
          healthy: e.healthy,
          workload: e.workload?.name ?? null,
          version: e.version ?? e.workload?.version ?? null,
          zone: e.zone ?? e.workload?.zone ?? null,
          sidecar: e.sidecar,
          updatedAt: e.updatedAt,
        })),
      ),
    };
  }

  private async load(clusterId: string): Promise<ClusterDiscovery> {
    const [cluster, services, workloads, endpoints] = await Promise.all([
      this.db.cluster.findUniqueOrThrow({ where: { id: clusterId }, select: { discoverySeq: true, gatewayAddress: true, gatewayPort: true } }),
      this.db.service.findMany({ where: { clusterId }, select: { namespace: true, name: true, ports: true, labels: true } }),
      this.db.workload.findMany({ where: { clusterId }, select: { namespace: true, name: true, serviceAccount: true, version: true, zone: true, labels: true } }),
      this.db.endpoint.findMany({
        where: { service: { clusterId } },
        select: { address: true, port: true, protocol: true, healthy: true, version: true, zone: true, sidecar: true, service: { select: { namespace: true, name: true } }, workload: { select: { name: true } } },
      }),
    ]);
    return {
      seq: cluster.discoverySeq,
      gateway: cluster.gatewayAddress !== null && cluster.gatewayPort !== null ? { address: cluster.gatewayAddress, port: cluster.gatewayPort } : null,
      services: new Map(services.map((s) => [serviceKey(s), { namespace: s.namespace, name: s.name, ports: s.ports as ServiceState["ports"], labels: s.labels as Record<string, string> }])),
      workloads: new Map(workloads.map((w) => [serviceKey(w), { ...w, labels: w.labels as Record<string, string> }])),
      endpoints: new Map(
        endpoints.map((e) => {
          const state: EndpointState = {
            namespace: e.service.namespace,
            service: e.service.name,
            address: e.address,
            port: e.port,
            protocol: e.protocol,
            healthy: e.healthy,
            workload: e.workload?.name ?? null,
            version: e.version,
            zone: e.zone,
            sidecar: e.sidecar,
          };
          return [endpointKey(state), state];
        }),
      ),
    };
  }

  /**
   * Makes the cluster's rows equal `desired`, writing only what differs,
   * inside the unit of work that locked the cluster. Returns whether the
   * catalog changed (then the mesh's catalog version is bumped and replicas
   * are notified, in the same transaction).
   */
  async reconcile(clusterId: string, meshId: string, current: ClusterDiscovery, desired: ClusterDiscovery): Promise<boolean> {
    const changed = { value: false };
    const diff = <T>(from: Map<string, T>, to: Map<string, T>) => {
      const removed = [...from.keys()].filter((k) => !to.has(k));
      const added = [...to.entries()].filter(([k]) => !from.has(k));
      const updated = [...to.entries()].filter(([k, v]) => from.has(k) && canonical(from.get(k)) !== canonical(v));
      if (removed.length + added.length + updated.length > 0) changed.value = true;
      return { removed, added, updated };
    };
    const services = diff(current.services, desired.services);
    const workloads = diff(current.workloads, desired.workloads);
    const endpoints = diff(current.endpoints, desired.endpoints);

    // Removals first: endpoints go with their service or workload (cascade).
    for (const key of endpoints.removed) {
      const e = current.endpoints.get(key) as EndpointState;
      await this.db.endpoint.deleteMany({ where: { address: e.address, port: e.port, service: { clusterId, namespace: e.namespace, name: e.service } } });
    }
    for (const key of services.removed) {
      const s = current.services.get(key) as ServiceState;
      await this.db.service.deleteMany({ where: { clusterId, namespace: s.namespace, name: s.name } });
    }
    for (const key of workloads.removed) {
      const w = current.workloads.get(key) as WorkloadState;
      await this.db.workload.deleteMany({ where: { clusterId, namespace: w.namespace, name: w.name } });
    }
    if (services.added.length > 0)
      await this.db.service.createMany({ data: services.added.map(([, s]) => ({ id: randomUUID(), clusterId, namespace: s.namespace, name: s.name, ports: s.ports, labels: s.labels })) });
    for (const [, s] of services.updated) await this.db.service.updateMany({ where: { clusterId, namespace: s.namespace, name: s.name }, data: { ports: s.ports, labels: s.labels } });
    if (workloads.added.length > 0) await this.db.workload.createMany({ data: workloads.added.map(([, w]) => ({ id: randomUUID(), clusterId, ...w })) });
    for (const [, w] of workloads.updated) {
      const { namespace, name, ...data } = w;
      await this.db.workload.updateMany({ where: { clusterId, namespace, name }, data });
    }
    if (endpoints.added.length + endpoints.updated.length > 0) {
      const [serviceIds, workloadIds] = await Promise.all([
        this.db.service.findMany({ where: { clusterId }, select: { id: true, namespace: true, name: true } }).then((rows) => new Map(rows.map((r) => [serviceKey(r), r.id]))),
        this.db.workload.findMany({ where: { clusterId }, select: { id: true, namespace: true, name: true } }).then((rows) => new Map(rows.map((r) => [serviceKey(r), r.id]))),
      ]);
      const row = (e: EndpointState) => ({
        serviceId: serviceIds.get(`${e.namespace}/${e.service}`) as string,
        workloadId: e.workload !== null ? (workloadIds.get(`${e.namespace}/${e.workload}`) ?? null) : null,
        address: e.address,
        port: e.port,
        protocol: e.protocol,
        healthy: e.healthy,
        version: e.version,
        zone: e.zone,
        sidecar: e.sidecar,
      });
      if (endpoints.added.length > 0) await this.db.endpoint.createMany({ data: endpoints.added.map(([, e]) => ({ id: randomUUID(), ...row(e) })) });
      for (const [, e] of endpoints.updated) {
        const data = row(e);
        await this.db.endpoint.updateMany({ where: { serviceId: data.serviceId, address: e.address, port: e.port }, data });
      }
    }
    const gatewayChanged = canonical(current.gateway) !== canonical(desired.gateway);
    await this.db.cluster.update({
      where: { id: clusterId },
      data: { discoverySeq: desired.seq, ...(gatewayChanged ? { gatewayAddress: desired.gateway?.address ?? null, gatewayPort: desired.gateway?.port ?? null } : {}) },
    });
    if (!changed.value && !gatewayChanged) return false;
    await this.db.$executeRaw`UPDATE "Mesh" SET "catalogVersion" = "catalogVersion" + 1 WHERE id = ${meshId}::uuid`;
    await this.db.$executeRaw`SELECT pg_notify('weft_config', 'catalog')`;
    return true;
  }
}
