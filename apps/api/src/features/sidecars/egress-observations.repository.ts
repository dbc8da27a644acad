import type { DbClient } from "../../db-client.ts";
import type { NamedService, ObservedCall } from "./egress-suggestion.ts";

/** Reads what a namespace's or a service's workloads called (the rollups) and the services the mesh knows. The only Prisma code of the feature. */
export class EgressObservationsRepository {
  constructor(private readonly db: DbClient) {}

  /** Outbound calls of the workloads in [from, to), per caller namespace and destination (cluster, namespace, service), with their last minute. */
  async calls(query: { namespace: string; service?: string | undefined; from: Date; to: Date }): Promise<ObservedCall[]> {
    const groups = await this.db.edgeMinute.groupBy({
      by: ["sourceNamespace", "destCluster", "destNamespace", "destService"],
      where: { sourceNamespace: query.namespace, ...(query.service !== undefined ? { sourceService: query.service } : {}), minute: { gte: query.from, lt: query.to } },
      _sum: { requests: true },
      _max: { minute: true },
    });
    return groups.flatMap((g) => {
      const requests = Number(g._sum.requests ?? 0n);
      return requests > 0 && g._max.minute
        ? [{ sourceNamespace: g.sourceNamespace, destCluster: g.destCluster, destNamespace: g.destNamespace, destService: g.destService, requests, lastSeen: g._max.minute }]
        : [];
    });
  }

  /** The earliest minute in [from, to) with any rollup, mesh-wide (what the window's data covers); null without any. */
  async firstMinute(window: { from: Date; to: Date }): Promise<Date | null> {
    const found = await this.db.edgeMinute.aggregate({ where: { minute: { gte: window.from, lt: window.to } }, _min: { minute: true } });
    return found._min.minute;
  }

  /** Every discovered service's namespace and name (any cluster). */
  async services(): Promise<NamedService[]> {
    return this.db.service.findMany({ select: { namespace: true, name: true }, distinct: ["namespace", "name"] });
  }
}
