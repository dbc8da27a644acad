import type { Prisma, SloAlertState as PrismaAlertState } from "@weft/db";
import type { DbClient, SameValues } from "../../db-client.ts";

export type StoredAlertState = "INACTIVE" | "PENDING" | "FIRING" | "RESOLVED";
const _sameState: SameValues<PrismaAlertState, StoredAlertState> = true;

/** The evaluator's latest judgement of one SLO in one scope. */
export interface SloStatusRecord {
  resourceId: string;
  /** "" mesh-wide, or a cluster. */
  scope: string;
  revision: number;
  evaluatedAt: Date;
  sli: number | null;
  requests: number;
  bad: number;
  budgetRemaining: number | null;
  burnRates: Record<string, number | null>;
  exhaustsAt: Date | null;
  source: string;
  queries: string[];
  coveredFrom: Date | null;
}

export interface SloAlertRecord {
  id: string;
  resourceId: string;
  scope: string;
  pair: string;
  severity: string;
  state: StoredAlertState;
  since: Date;
  firedAt: Date | null;
  threshold: number;
  longBurn: number | null;
  shortBurn: number | null;
}

export interface SloAlertEventRecord {
  at: Date;
  from: StoredAlertState;
  to: StoredAlertState;
  longBurn: number | null;
  shortBurn: number | null;
  budgetRemaining: number | null;
  exhaustsAt: Date | null;
  reason: string;
  pair: string;
  scope: string;
  severity: string;
}

function toStatus(row: Prisma.SloStatusGetPayload<object>): SloStatusRecord {
  const { id: _id, ...rest } = row;
  return { ...rest, burnRates: row.burnRates as Record<string, number | null>, queries: row.queries as string[] };
}

/** SLO statuses, alerts and alert history. The only Prisma code of the SLO feature. */
export class SloRepository {
  constructor(private readonly db: DbClient) {}

  async statuses(resourceIds?: readonly string[]): Promise<SloStatusRecord[]> {
    const rows = await this.db.sloStatus.findMany({ where: resourceIds ? { resourceId: { in: [...resourceIds] } } : {}, orderBy: [{ resourceId: "asc" }, { scope: "asc" }] });
    return rows.map(toStatus);
  }

  async saveStatus(status: SloStatusRecord): Promise<void> {
    const data = { ...status, burnRates: status.burnRates as Prisma.InputJsonObject, queries: status.queries };
    await this.db.sloStatus.upsert({ where: { resourceId_scope: { resourceId: status.resourceId, scope: status.scope } }, create: data, update: data });
  }

  /** Drops the statuses of scopes an SLO no longer has (a cluster gone, per-cluster turned off). */
  async pruneStatuses(resourceId: string, keepScopes: readonly string[]): Promise<void> {
    await this.db.sloStatus.deleteMany({ where: { resourceId, scope: { notIn: [...keepScopes] } } });
  }

  async alerts(resourceIds?: readonly string[]): Promise<SloAlertRecord[]> {
    return this.db.sloAlert.findMany({
      where: resourceIds ? { resourceId: { in: [...resourceIds] } } : {},
      select: { id: true, resourceId: true, scope: true, pair: true, severity: true, state: true, since: true, firedAt: true, threshold: true, longBurn: true, shortBurn: true },
      orderBy: [{ resourceId: "asc" }, { scope: "asc" }, { pair: "asc" }],
    });
  }

  /** Writes an alert's state (created on first sight); returns its id. */
  async saveAlert(alert: Omit<SloAlertRecord, "id">): Promise<string> {
    const row = await this.db.sloAlert.upsert({
      where: { resourceId_scope_pair: { resourceId: alert.resourceId, scope: alert.scope, pair: alert.pair } },
      create: alert,
      update: alert,
      select: { id: true },
    });
    return row.id;
  }

  async addEvent(alertId: string, event: Omit<SloAlertEventRecord, "pair" | "scope" | "severity">): Promise<void> {
    await this.db.sloAlertEvent.create({ data: { alertId, ...event } });
  }

  /** The alert history of one SLO (every scope and pair), newest first. */
  async events(resourceId: string, limit: number): Promise<SloAlertEventRecord[]> {
    const rows = await this.db.sloAlertEvent.findMany({
      where: { alert: { resourceId } },
      orderBy: { at: "desc" },
      take: limit,
      include: { alert: { select: { pair: true, scope: true, severity: true } } },
    });
    return rows.map(({ alert, id: _id, alertId: _alertId, ...e }) => ({ ...e, ...alert }));
  }
}
