import type { Prisma, TicketStatus as PrismaTicketStatus } from "@weft/db";
import type { DbClient, SameValues } from "../../db-client.ts";

export type TicketStatus = "OPEN" | "ACKNOWLEDGED" | "RESOLVED" | "CLOSED";
const _sameStatus: SameValues<PrismaTicketStatus, TicketStatus> = true;

export interface TicketRecord {
  id: string;
  number: number;
  dedupKey: string;
  source: string;
  status: TicketStatus;
  severity: string;
  title: string;
  namespace: string | null;
  service: string | null;
  sloResourceId: string | null;
  context: Record<string, unknown>;
  assignee: string | null;
  fireCount: number;
  openedAt: Date;
  lastFiredAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  closedBy: string | null;
  updatedAt: Date;
}

export interface TicketCommentRecord {
  id: bigint;
  at: Date;
  kind: string;
  authorName: string;
  authorId: string | null;
  body: string;
}

function toTicket(row: Prisma.TicketGetPayload<object>): TicketRecord {
  const { openKey: _openKey, ...rest } = row;
  return { ...rest, context: row.context as Record<string, unknown> };
}

export interface TicketFilter {
  status?: readonly TicketStatus[] | undefined;
  namespace?: string | undefined;
  service?: string | undefined;
  sloResourceId?: string | undefined;
  limit: number;
}

/** Weft's tickets and their comments. The only Prisma code of the tickets feature. */
export class TicketsRepository {
  constructor(private readonly db: DbClient) {}

  /** The ticket of `dedupKey` that is not closed (at most one: `openKey` is unique). */
  async openFor(dedupKey: string): Promise<TicketRecord | null> {
    const row = await this.db.ticket.findUnique({ where: { openKey: dedupKey } });
    return row ? toTicket(row) : null;
  }

  async create(data: Omit<TicketRecord, "id" | "number" | "status" | "assignee" | "fireCount" | "acknowledgedAt" | "acknowledgedBy" | "resolvedAt" | "closedAt" | "closedBy" | "updatedAt" | "lastFiredAt">): Promise<TicketRecord> {
    const row = await this.db.ticket.create({ data: { ...data, openKey: data.dedupKey, status: "OPEN", lastFiredAt: data.openedAt, context: data.context as Prisma.InputJsonObject } });
    return toTicket(row);
  }

  async update(id: string, data: Partial<Pick<TicketRecord, "status" | "assignee" | "fireCount" | "lastFiredAt" | "acknowledgedAt" | "acknowledgedBy" | "resolvedAt" | "closedAt" | "closedBy" | "context">>): Promise<TicketRecord> {
    const { context, ...rest } = data;
    const row = await this.db.ticket.update({ where: { id }, data: { ...rest, ...(context ? { context: context as Prisma.InputJsonObject } : {}), ...(data.status === "CLOSED" ? { openKey: null } : {}) } });
    return toTicket(row);
  }

  async addComment(ticketId: string, comment: Omit<TicketCommentRecord, "id">): Promise<void> {
    await this.db.ticketComment.create({ data: { ticketId, ...comment } });
  }

  async byId(id: string): Promise<TicketRecord | null> {
    const row = await this.db.ticket.findUnique({ where: { id } });
    return row ? toTicket(row) : null;
  }

  async byNumber(number: number): Promise<TicketRecord | null> {
    const row = await this.db.ticket.findUnique({ where: { number } });
    return row ? toTicket(row) : null;
  }

  async comments(ticketId: string): Promise<TicketCommentRecord[]> {
    return this.db.ticketComment.findMany({ where: { ticketId }, orderBy: { at: "asc" } });
  }

  async list(filter: TicketFilter): Promise<TicketRecord[]> {
    const rows = await this.db.ticket.findMany({
      where: {
        ...(filter.status?.length ? { status: { in: [...filter.status] } } : {}),
        ...(filter.namespace !== undefined ? { namespace: filter.namespace } : {}),
        ...(filter.service !== undefined ? { service: filter.service } : {}),
        ...(filter.sloResourceId !== undefined ? { sloResourceId: filter.sloResourceId } : {}),
      },
      orderBy: [{ openedAt: "desc" }],
      take: filter.limit,
    });
    return rows.map(toTicket);
  }

  /**
   * The rollout running on a service (RolloutRun.activeService is set only
   * while a run is active), for a ticket's context. Read-only: the rollout
   * feature owns the table.
   */
  async activeRollout(namespace: string, service: string): Promise<{ namespace: string; name: string; revision: number; step: string; phase: string } | null> {
    const run = await this.db.rolloutRun.findUnique({ where: { activeService: `${namespace}/${service}` }, select: { namespace: true, name: true, rolloutRevision: true, wave: true, step: true, phase: true, stableVersion: true, canaryVersion: true } });
    return run ? { namespace: run.namespace, name: run.name, revision: run.rolloutRevision, step: `wave ${run.wave + 1}, step ${run.step + 1} (${run.stableVersion} → ${run.canaryVersion})`, phase: run.phase } : null;
  }
}
