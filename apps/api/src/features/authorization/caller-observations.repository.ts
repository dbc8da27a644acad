import type { DbClient } from "../../db-client.ts";

/** Callers of a service as its inbound proxies saw them (SERVER spans), per peer identity. */
export interface SpanCaller {
  /** The peer's SPIFFE ID proven by mTLS, or `unknown` for plaintext callers. */
  identity: string;
  requests: number;
  lastSeen: Date;
}

/** A calling service seen in the per-minute rollups, with its workloads' service accounts. */
export interface RolledUpCaller {
  cluster: string;
  namespace: string;
  service: string;
  requests: number;
  serviceAccounts: string[];
}

/** Reads who called a service: sampled spans (exact peer identities) and rollups (every calling service). */
export class CallerObservationsRepository {
  constructor(private readonly db: DbClient) {}

  async spanCallers(namespace: string, service: string, since: Date): Promise<SpanCaller[]> {
    const rows = await this.db.$queryRaw<{ identity: string | null; requests: number; lastSeen: Date }[]>`
      SELECT attributes->>'weft.source_identity' AS identity, COUNT(*)::int AS requests, MAX("startTime") AS "lastSeen"
      FROM "Span"
      WHERE kind = 'SERVER' AND namespace = ${namespace} AND service = ${service} AND "startTime" >= ${since}
      GROUP BY 1 ORDER BY 2 DESC LIMIT 1000`;
    return rows.map((r) => ({ identity: r.identity && r.identity !== "" ? r.identity : "unknown", requests: r.requests, lastSeen: r.lastSeen }));
  }

  async rolledUpCallers(namespace: string, service: string, since: Date): Promise<RolledUpCaller[]> {
    const groups = await this.db.edgeMinute.groupBy({
      by: ["sourceCluster", "sourceNamespace", "sourceService"],
      where: { destNamespace: namespace, destService: service, minute: { gte: since } },
      _sum: { requests: true },
    });
    return Promise.all(
      groups.map(async (g) => {
        // The calling service's workloads, through the endpoints discovery linked them to.
        const workloads = await this.db.workload.findMany({
          where: { cluster: { name: g.sourceCluster }, namespace: g.sourceNamespace, endpoints: { some: { service: { name: g.sourceService } } } },
          select: { serviceAccount: true },
          distinct: ["serviceAccount"],
        });
        return {
          cluster: g.sourceCluster,
          namespace: g.sourceNamespace,
          service: g.sourceService,
          requests: Number(g._sum.requests ?? 0n),
          serviceAccounts: workloads.map((w) => w.serviceAccount).sort(),
        };
      }),
    );
  }
}
