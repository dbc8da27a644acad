import type { ClusterCatalogInput, MtlsMode } from "@weft/mesh-model";
import type { DbClient } from "../../db-client.ts";
import type { MeshVersions } from "./config-bus.ts";

/** The mesh row's parts a cluster config needs. */
export interface MeshHead extends MeshVersions {
  id: string;
  trustDomain: string;
  mtlsMode: MtlsMode;
}

type PortJson = { port?: unknown; name?: unknown; protocol?: unknown };

/** Reads what cluster configs are built from. The only Prisma code of the feature. */
export class DistributionRepository {
  constructor(private readonly db: DbClient) {}

  /** When the change that produced config `version` was committed (its first revision); null when none did (a bootstrap version). */
  async versionWrittenAt(version: bigint): Promise<Date | null> {
    const first = await this.db.resourceRevision.findFirst({ where: { configVersion: version }, orderBy: { createdAt: "asc" }, select: { createdAt: true } });
    return first?.createdAt ?? null;
  }

  async versions(): Promise<MeshVersions> {
    return this.db.mesh.findFirstOrThrow({ where: { name: "default" }, select: { configVersion: true, catalogVersion: true, trustBundleVersion: true } });
  }

  /** The mesh row's parts a cluster config needs, with its versions. */
  async head(): Promise<MeshHead> {
    return this.db.mesh.findFirstOrThrow({ where: { name: "default" }, select: { id: true, trustDomain: true, mtlsMode: true, configVersion: true, catalogVersion: true, trustBundleVersion: true } });
  }

  /** Every cluster of the mesh with the services it reports, as the federated catalog. */
  async catalog(meshId: string): Promise<ClusterCatalogInput[]> {
    const clusters = await this.db.cluster.findMany({
      where: { meshId },
      select: {
        name: true,
        region: true,
        gatewayAddress: true,
        gatewayPort: true,
        services: { select: { namespace: true, name: true, ports: true, endpoints: { select: { version: true, zone: true, healthy: true, sidecar: true, workload: { select: { version: true, zone: true, serviceAccount: true } } } } } },
      },
    });
    return clusters.map((c) => ({
      name: c.name,
      region: c.region,
      gateway: c.gatewayAddress !== null && c.gatewayPort !== null ? { address: c.gatewayAddress, port: c.gatewayPort } : null,
      services: c.services.map((s) => ({
        namespace: s.namespace,
        name: s.name,
        ports: (Array.isArray(s.ports) ? (s.ports as PortJson[]) : [])
          .filter((p) => typeof p.port === "number")
          .map((p) => ({ port: p.port as number, ...(typeof p.name === "string" ? { name: p.name } : {}), ...(typeof p.protocol === "string" ? { protocol: p.protocol.toLowerCase() } : {}) })),
        endpoints: s.endpoints.map((e) => ({
          version: e.version ?? e.workload?.version ?? null,
          zone: e.zone ?? e.workload?.zone ?? null,
          healthy: e.healthy,
          sidecar: e.sidecar,
          serviceAccount: e.workload?.serviceAccount ?? null,
        })),
      })),
    }));
  }
}
