import type { PrismaClient } from "@weft/db";
import type { ClusterCatalogInput, ClusterTrust, Resource } from "@weft/mesh-model";

/** A live resource and when it was first created. */
export interface ClusterResource {
  resource: Resource;
  createdAt: Date;
}
import type { MtlsMode } from "@weft/mesh-model";
import { IdentityRepository } from "../identity/identity.repository.ts";
import { ResourcesRepository } from "../resources/resources.repository.ts";
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
  constructor(private readonly prisma: PrismaClient) {}

  async versions(): Promise<MeshVersions> {
    const mesh = await this.prisma.mesh.findFirstOrThrow({ where: { name: "default" }, select: { configVersion: true, catalogVersion: true, trustBundleVersion: true } });
    return mesh;
  }

  /**
   * One consistent read (REPEATABLE READ) of the mesh's versions and, when
   * their version differs from what the caller already holds, the live
   * resources and the catalog: the versions always describe the content.
   */
  async read(have: {
    configVersion: bigint | null;
    catalogVersion: bigint | null;
    trustBundleVersion: bigint | null;
  }): Promise<{ mesh: MeshHead; resources: ClusterResource[] | null; catalog: ClusterCatalogInput[] | null; trust: { value: ClusterTrust | null } | null }> {
    return this.prisma.$transaction(
      async (tx) => {
        const mesh = await tx.mesh.findFirstOrThrow({ where: { name: "default" }, select: { id: true, trustDomain: true, mtlsMode: true, configVersion: true, catalogVersion: true, trustBundleVersion: true } });
        const resources =
          have.configVersion === mesh.configVersion
            ? null
            : (await new ResourcesRepository(tx).list(mesh.id)).flatMap((r) => (r.document ? [{ resource: r.document, createdAt: r.createdAt }] : []));
        let catalog: ClusterCatalogInput[] | null = null;
        if (have.catalogVersion !== mesh.catalogVersion) {
          const clusters = await tx.cluster.findMany({
            where: { meshId: mesh.id },
            select: {
              name: true,
              region: true,
              gatewayAddress: true,
              gatewayPort: true,
              services: { select: { namespace: true, name: true, ports: true, endpoints: { select: { version: true, zone: true, healthy: true, workload: { select: { version: true, zone: true } } } } } },
            },
          });
          catalog = clusters.map((c) => ({
            name: c.name,
            region: c.region,
            gateway: c.gatewayAddress !== null && c.gatewayPort !== null ? { address: c.gatewayAddress, port: c.gatewayPort } : null,
            services: c.services.map((s) => ({
              namespace: s.namespace,
              name: s.name,
              ports: (Array.isArray(s.ports) ? (s.ports as PortJson[]) : [])
                .filter((p) => typeof p.port === "number")
                .map((p) => ({ port: p.port as number, ...(typeof p.name === "string" ? { name: p.name } : {}), ...(typeof p.protocol === "string" ? { protocol: p.protocol.toLowerCase() } : {}) })),
              endpoints: s.endpoints.map((e) => ({ version: e.version ?? e.workload?.version ?? null, zone: e.zone ?? e.workload?.zone ?? null, healthy: e.healthy })),
            })),
          }));
        }
        // The mesh's trust (roots, issuing root, revocations) changes only with trustBundleVersion.
        const trust = have.trustBundleVersion === mesh.trustBundleVersion ? null : { value: await new IdentityRepository(tx).trust(new Date()) };
        return { mesh, resources, catalog, trust };
      },
      { isolationLevel: "RepeatableRead", maxWait: 30_000, timeout: 60_000 },
    );
  }
}
