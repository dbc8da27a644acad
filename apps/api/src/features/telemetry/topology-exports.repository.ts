import { MultiClusterSchema, type MultiCluster } from "@weft/mesh-model";
import type { DbClient } from "../../db-client.ts";
import type { DiscoveredService } from "./topology-exports.ts";

/** What the topology's export marks are computed from. The only Prisma code of the marks. */
export class TopologyExportsRepository {
  constructor(private readonly db: DbClient) {}

  /** Every discovered service of the mesh's clusters. */
  async services(meshId: string): Promise<DiscoveredService[]> {
    const rows = await this.db.service.findMany({ where: { cluster: { meshId } }, select: { namespace: true, name: true, cluster: { select: { name: true } } } });
    return rows.map((r) => ({ cluster: r.cluster.name, namespace: r.namespace, name: r.name }));
  }

  /** The live Mesh resource's multi-cluster settings; undefined without one (everything is exported). */
  async multicluster(meshId: string): Promise<MultiCluster | undefined> {
    const row = await this.db.resource.findFirst({
      where: { meshId, kind: "Mesh", deletedAt: null },
      select: { revisions: { orderBy: { revision: "desc" }, take: 1, select: { document: true } } },
    });
    const doc = row?.revisions[0]?.document as { kind?: string; spec?: { multicluster?: unknown } } | null | undefined;
    if (doc?.kind !== "Mesh" || doc.spec?.multicluster === undefined) return undefined;
    // Stored documents were validated on write; parsing fills the defaults (mode All) an older document may leave out.
    const parsed = MultiClusterSchema.safeParse(doc.spec.multicluster);
    return parsed.success ? parsed.data : undefined;
  }
}
