import { Prisma } from "@weft/db";
import type { AgentQuery, AgentQueryKind } from "@weft/mesh-model";
import type { DbClient } from "../../db-client.ts";

/** A stored query with its answer, once there is one. */
export interface StoredQuery {
  id: string;
  clusterId: string;
  kind: AgentQueryKind;
  proxy: string | null;
  result: unknown;
  error: string | null;
  answeredAt: Date | null;
}

export class AgentQueriesRepository {
  constructor(private readonly db: DbClient) {}

  /** The connected-or-not clusters of the mesh by name (queries go to their agents). */
  async clusters(meshId: string): Promise<{ id: string; name: string }[]> {
    return this.db.cluster.findMany({ where: { meshId }, select: { id: true, name: true }, orderBy: { name: "asc" } });
  }

  async create(clusterId: string, kind: AgentQueryKind, proxy: string | null): Promise<string> {
    return (await this.db.agentQuery.create({ data: { clusterId, kind, proxy }, select: { id: true } })).id;
  }

  /** Unanswered queries for a cluster asked since `since`, oldest first. */
  async pending(clusterId: string, since: Date): Promise<AgentQuery[]> {
    const rows = await this.db.agentQuery.findMany({ where: { clusterId, answeredAt: null, createdAt: { gte: since } }, orderBy: { createdAt: "asc" }, take: 50, select: { id: true, kind: true, proxy: true } });
    return rows.map((r) => ({ id: r.id, kind: r.kind as AgentQueryKind, proxy: r.proxy }));
  }

  /** Stores an answer of the cluster's own query; false when it is not one (or already answered). */
  async answer(id: string, clusterId: string, answer: { result?: unknown; error?: string | undefined }, at: Date): Promise<boolean> {
    const { count } = await this.db.agentQuery.updateMany({
      where: { id, clusterId, answeredAt: null },
      data: { answeredAt: at, error: answer.error ?? null, result: answer.result === undefined ? Prisma.DbNull : (answer.result as Prisma.InputJsonValue) },
    });
    return count === 1;
  }

  async get(id: string): Promise<StoredQuery | null> {
    const row = await this.db.agentQuery.findUnique({ where: { id } });
    return row && { id: row.id, clusterId: row.clusterId, kind: row.kind as AgentQueryKind, proxy: row.proxy, result: row.result, error: row.error, answeredAt: row.answeredAt };
  }

  async remove(ids: readonly string[]): Promise<void> {
    await this.db.agentQuery.deleteMany({ where: { id: { in: [...ids] } } });
  }

  /** Forgets queries nobody collected. */
  async prune(before: Date): Promise<void> {
    await this.db.agentQuery.deleteMany({ where: { createdAt: { lt: before } } });
  }
}
