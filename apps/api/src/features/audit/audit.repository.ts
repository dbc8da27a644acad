import type { ActorType as StoredActorType, AuditOutcome as StoredAuditOutcome, Prisma } from "@weft/db";
import type { DbClient, SameValues } from "../../db-client.ts";
import type { ActorType, AuditOutcome } from "./audit-facts.ts";

const _sameActors: SameValues<StoredActorType, ActorType> = true;
const _sameOutcomes: SameValues<StoredAuditOutcome, AuditOutcome> = true;

/** An audit event to record: what happened, who did it, and to what. */
export interface NewAuditEvent {
  actorType: ActorType;
  actorId: string | null;
  actorName: string;
  action: string;
  target: string | null;
  namespace: string | null;
  cluster: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
  ip: string | null;
}

/** One audit event as the API returns it: a recorded event with its id and time. */
export interface AuditEventView extends NewAuditEvent {
  id: bigint;
  at: Date;
}

export interface AuditQuery {
  actor?: string;
  /** An exact action, or a prefix ending in `.` or `*` (e.g. `resources.`). */
  action?: string;
  /** Substring of the target, e.g. `shop/checkout`. */
  target?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  /** Return events older than this id (the previous page's `nextCursor`). */
  before?: bigint;
  limit: number;
}

export class AuditRepository {
  constructor(private readonly prisma: DbClient) {}

  async insert(event: NewAuditEvent): Promise<void> {
    await this.prisma.auditEvent.create({ data: { ...event, details: event.details as Prisma.InputJsonObject } });
  }

  async list(query: AuditQuery): Promise<AuditEventView[]> {
    const action = query.action;
    const prefix = action !== undefined && /[.*]$/.test(action) ? action.replace(/\*$/, "") : undefined;
    const rows = await this.prisma.auditEvent.findMany({
      where: {
        ...(query.actor !== undefined ? { actorName: query.actor } : {}),
        ...(action !== undefined ? (prefix !== undefined ? { action: { startsWith: prefix } } : { action }) : {}),
        ...(query.target !== undefined ? { target: { contains: query.target } } : {}),
        ...(query.outcome !== undefined ? { outcome: query.outcome } : {}),
        ...(query.from || query.to ? { at: { ...(query.from ? { gte: query.from } : {}), ...(query.to ? { lt: query.to } : {}) } } : {}),
        ...(query.before !== undefined ? { id: { lt: query.before } } : {}),
      },
      orderBy: { id: "desc" },
      take: query.limit,
    });
    return rows.map((r) => ({ ...r, details: (r.details ?? {}) as Record<string, unknown> }));
  }
}
