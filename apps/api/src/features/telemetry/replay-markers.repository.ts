// What changed during a replay window, read from the tables other features
// own (resource revisions, rollout steps, SLO alert events). Read-only and
// one query per table over the whole window: the replay marks changes, it
// never writes them, so it reads the history rows directly rather than
// widening three features' repositories with a window read each.
import type { DbClient } from "../../db-client.ts";
import { ROLLOUT_EVENT_MARKED, type RevisionFact, type RolloutEventFact, type RolloutStepFact, type SloAlertFact } from "./topology-replay.ts";

/** Which changes: those of [from, to) in one mesh, optionally only those touching a namespace or a cluster. */
export interface MarkerFilter {
  meshId: string;
  from: Date;
  to: Date;
  /** Changes in this namespace (revisions of mesh-wide kinds, which touch every namespace, included). */
  namespace?: string | undefined;
  /** SLO alerts of this cluster's scope or mesh-wide (revisions and rollout steps are not per cluster). */
  cluster?: string | undefined;
}

/** The replay's reads of the change history. The only Prisma code of the replay. */
export class ReplayMarkersRepository {
  constructor(private readonly db: DbClient) {}

  async revisions(f: MarkerFilter): Promise<RevisionFact[]> {
    const rows = await this.db.resourceRevision.findMany({
      where: {
        createdAt: { gte: f.from, lt: f.to },
        resource: { meshId: f.meshId, ...(f.namespace !== undefined ? { namespace: { in: [f.namespace, ""] } } : {}) },
      },
      select: { createdAt: true, revision: true, action: true, authorName: true, message: true, services: true, resource: { select: { kind: true, namespace: true, name: true } } },
      orderBy: [{ createdAt: "asc" }, { revision: "asc" }],
    });
    return rows.map((r) => ({ at: r.createdAt, ...r.resource, revision: r.revision, action: r.action, author: r.authorName, message: r.message, services: r.services }));
  }

  async rolloutSteps(f: MarkerFilter): Promise<RolloutStepFact[]> {
    const rows = await this.db.rolloutStepRecord.findMany({
      where: { enteredAt: { gte: f.from, lt: f.to }, run: { meshId: f.meshId, ...(f.namespace !== undefined ? { namespace: f.namespace } : {}) } },
      select: {
        enteredAt: true,
        attempt: true,
        wave: true,
        step: true,
        kind: true,
        traffic: true,
        routeRevision: true,
        run: { select: { namespace: true, name: true, service: true, canaryVersion: true, stableVersion: true, startedBy: true } },
      },
      orderBy: [{ enteredAt: "asc" }, { id: "asc" }],
    });
    return rows.map((r) => ({ at: r.enteredAt, ...r.run, attempt: r.attempt, wave: r.wave, step: r.step, kind: r.kind, traffic: r.traffic, routeRevision: r.routeRevision }));
  }

  /** Operators' and the controller's decisions on a run (approvals, pauses and resumes, aborts, rollbacks), from its event timeline. */
  async rolloutEvents(f: MarkerFilter): Promise<RolloutEventFact[]> {
    const rows = await this.db.rolloutEvent.findMany({
      where: { at: { gte: f.from, lt: f.to }, type: { in: [...ROLLOUT_EVENT_MARKED] }, run: { meshId: f.meshId, ...(f.namespace !== undefined ? { namespace: f.namespace } : {}) } },
      select: { id: true, at: true, attempt: true, wave: true, step: true, type: true, message: true, actor: true, run: { select: { namespace: true, name: true, service: true } } },
      orderBy: [{ at: "asc" }, { id: "asc" }],
    });
    return rows.map((r) => ({ id: r.id.toString(), at: r.at, ...r.run, attempt: r.attempt, wave: r.wave, step: r.step, type: r.type, message: r.message, actor: r.actor }));
  }

  /** Alert transitions with their SLO's namespace and name (SLO rows point at their Resource by id, without a relation). */
  async sloAlerts(f: MarkerFilter): Promise<SloAlertFact[]> {
    const rows = await this.db.$queryRaw<{ at: Date; namespace: string; name: string; scope: string; pair: string; severity: string; from: string; to: string; reason: string }[]>`
      SELECT e."at", r."namespace", r."name", a."scope", a."pair", a."severity", e."from"::text AS "from", e."to"::text AS "to", e."reason"
      FROM "SloAlertEvent" e
      JOIN "SloAlert" a ON a."id" = e."alertId"
      JOIN "Resource" r ON r."id" = a."resourceId"
      WHERE e."at" >= ${f.from} AND e."at" < ${f.to} AND r."meshId" = ${f.meshId}::uuid
        AND (${f.namespace ?? null}::text IS NULL OR r."namespace" = ${f.namespace ?? null}::text)
        AND (${f.cluster ?? null}::text IS NULL OR a."scope" = '' OR a."scope" = ${f.cluster ?? null}::text)
      ORDER BY e."at", e."id"`;
    return rows;
  }
}
