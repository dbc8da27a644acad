import type { Prisma } from "@weft/db";
import type { TapEvent, TapFilter } from "@weft/mesh-model";
import type { DbClient } from "../../db-client.ts";

export interface TapSessionRow {
  id: string;
  namespace: string;
  service: string;
  path: string | null;
  method: string | null;
  cluster: string | null;
  createdBy: string;
  attached: string[];
  expiresAt: Date;
}

export class TapRepository {
  constructor(private readonly db: DbClient) {}

  async create(data: Omit<TapSessionRow, "id" | "attached">): Promise<TapSessionRow> {
    return this.db.tapSession.create({ data });
  }

  async get(id: string): Promise<TapSessionRow | null> {
    return this.db.tapSession.findUnique({ where: { id } });
  }

  async extend(id: string, expiresAt: Date): Promise<void> {
    await this.db.tapSession.updateMany({ where: { id }, data: { expiresAt } });
  }

  async remove(id: string): Promise<void> {
    await this.db.tapSession.deleteMany({ where: { id } });
  }

  /** Open taps a cluster's agent relays: every cluster's, and those of this one. */
  async active(cluster: string, now: Date): Promise<TapFilter[]> {
    const rows = await this.db.tapSession.findMany({ where: { expiresAt: { gt: now }, OR: [{ cluster: null }, { cluster }] }, orderBy: { createdAt: "asc" }, take: 100 });
    return rows.map((r) => ({ id: r.id, namespace: r.namespace, service: r.service, path: r.path, method: r.method }));
  }

  /** Marks the cluster's agent as relaying these sessions. */
  async attach(ids: readonly string[], cluster: string): Promise<void> {
    for (const id of ids) {
      await this.db.$executeRaw`UPDATE "TapSession" SET "attached" = array_append("attached", ${cluster}) WHERE "id" = ${id}::uuid AND NOT (${cluster} = ANY("attached"))`;
    }
  }

  async addEvents(events: readonly { sessionId: string; cluster: string; event: TapEvent }[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.tapEvent.createMany({ data: events.map((e) => ({ sessionId: e.sessionId, cluster: e.cluster, event: e.event as unknown as Prisma.InputJsonValue })) });
  }

  /** Events of a session after `after` (its ids increase), oldest first. */
  async events(sessionId: string, after: bigint, limit: number): Promise<{ id: bigint; cluster: string; event: TapEvent }[]> {
    const rows = await this.db.tapEvent.findMany({ where: { sessionId, id: { gt: after } }, orderBy: { id: "asc" }, take: limit });
    return rows.map((r) => ({ id: r.id, cluster: r.cluster, event: r.event as unknown as TapEvent }));
  }

  /** Drops expired sessions (their events go with them) and old events. */
  async prune(now: Date, eventsBefore: Date): Promise<void> {
    await this.db.tapSession.deleteMany({ where: { expiresAt: { lt: now } } });
    await this.db.tapEvent.deleteMany({ where: { createdAt: { lt: eventsBefore } } });
  }
}
