// The rollout controller's storage (prisma RolloutRun and its steps, checks,
// events and approvals): the only Prisma code of the rollouts feature. Runs
// are locked row by row (SELECT … FOR UPDATE) by whoever changes them — the
// controller's step and operators' operations — so neither overwrites the
// other's decision.
import type { Prisma, RolloutPhase as StoredPhase } from "@weft/db";
import type { HTTPRoute, Rollout, RolloutPhase, RolloutRunState, Traffic } from "@weft/mesh-model";
import type { DbClient } from "../../db-client.ts";

const TO_STORED: Record<RolloutPhase, StoredPhase> = {
  Initializing: "INITIALIZING",
  Progressing: "PROGRESSING",
  Paused: "PAUSED",
  WaitingPromotion: "WAITING_PROMOTION",
  Promoting: "PROMOTING",
  Succeeded: "SUCCEEDED",
  RolledBack: "ROLLED_BACK",
  Aborted: "ABORTED",
};
const FROM_STORED = Object.fromEntries(Object.entries(TO_STORED).map(([k, v]) => [v, k])) as Record<StoredPhase, RolloutPhase>;

/** A run as the controller and the API read it. */
export interface RunRecord {
  id: string;
  meshId: string;
  namespace: string;
  name: string;
  rolloutRevision: number;
  document: Rollout;
  service: string;
  stableVersion: string;
  canaryVersion: string;
  routeName: string;
  baseRoute: HTTPRoute | null;
  active: boolean;
  phase: RolloutPhase;
  state: RolloutRunState;
  attempt: number;
  wave: number;
  step: number;
  awaitingApproval: boolean;
  message: string;
  affinityToken: string;
  startedBy: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface NewRun {
  meshId: string;
  namespace: string;
  name: string;
  rolloutRevision: number;
  document: Rollout;
  routeName: string;
  baseRoute: HTTPRoute | null;
  state: RolloutRunState;
  affinityToken: string;
  startedBy: string;
}

/** What a decision changes on the run row. */
export interface RunUpdate {
  state: RolloutRunState;
  awaitingApproval: boolean;
  message: string;
  /** The run ended now: the service is free for another run. */
  finishedAt?: Date | null;
  /** A retry makes an ended run active again. */
  reactivate?: boolean;
}

export interface StepRecord {
  attempt: number;
  wave: number;
  step: number;
  kind: string;
  traffic: Traffic[];
  routeRevision: number | null;
  enteredAt: Date;
  completedAt: Date | null;
}

export interface CheckRecord {
  id: string;
  attempt: number;
  wave: number;
  step: number;
  at: Date;
  windowFrom: Date | null;
  windowTo: Date | null;
  kind: string;
  name: string;
  cluster: string | null;
  verdict: string;
  mode: string;
  query: string;
  values: Record<string, unknown>;
  threshold: Record<string, unknown> | null;
  sampleCount: number;
  message: string;
}
export type NewCheck = Omit<CheckRecord, "id">;

export interface EventRecord {
  id: string;
  attempt: number;
  wave: number;
  step: number;
  at: Date;
  type: string;
  message: string;
  actor: string | null;
}
export type NewEvent = Omit<EventRecord, "id">;

export interface ApprovalRecord {
  id: string;
  attempt: number;
  wave: number;
  step: number;
  gate: string;
  approverId: string | null;
  approverName: string;
  at: Date;
  comment: string;
}
export type NewApproval = Omit<ApprovalRecord, "id" | "at"> & { at: Date };

const DATE_FIELDS = ["stepStartedAt", "lastCheckAt", "lastGateAt"] as const;

/** The stored JSON state with its dates revived. */
export function stateFromJson(json: unknown): RolloutRunState {
  const raw = json as Record<string, unknown> & { hold: { since: string } | null; pause: { since: string } | null };
  const state = { ...raw } as unknown as RolloutRunState;
  for (const f of DATE_FIELDS) (state as unknown as Record<string, unknown>)[f] = raw[f] === null || raw[f] === undefined ? null : new Date(raw[f] as string);
  state.hold = raw.hold ? ({ ...raw.hold, since: new Date(raw.hold.since) } as RolloutRunState["hold"]) : null;
  state.pause = raw.pause ? ({ ...raw.pause, since: new Date(raw.pause.since) } as RolloutRunState["pause"]) : null;
  return state;
}

const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;

type RunRow = Prisma.RolloutRunGetPayload<object>;

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    meshId: row.meshId,
    namespace: row.namespace,
    name: row.name,
    rolloutRevision: row.rolloutRevision,
    document: row.document as unknown as Rollout,
    service: row.service,
    stableVersion: row.stableVersion,
    canaryVersion: row.canaryVersion,
    routeName: row.routeName,
    baseRoute: (row.baseRoute ?? null) as unknown as HTTPRoute | null,
    active: row.activeService !== null,
    phase: FROM_STORED[row.phase],
    state: stateFromJson(row.state),
    attempt: row.attempt,
    wave: row.wave,
    step: row.step,
    awaitingApproval: row.awaitingApproval,
    message: row.message,
    affinityToken: row.affinityToken,
    startedBy: row.startedBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
  };
}

export class RolloutsRepository {
  constructor(private readonly db: DbClient) {}

  async create(run: NewRun): Promise<RunRecord> {
    const spec = run.document.spec;
    const row = await this.db.rolloutRun.create({
      data: {
        meshId: run.meshId,
        namespace: run.namespace,
        name: run.name,
        rolloutRevision: run.rolloutRevision,
        document: json(run.document),
        service: spec.service.name,
        stableVersion: spec.stable.version,
        canaryVersion: spec.canary.version,
        routeName: run.routeName,
        ...(run.baseRoute ? { baseRoute: json(run.baseRoute) } : {}),
        activeService: `${run.namespace}/${spec.service.name}`,
        phase: TO_STORED[run.state.phase],
        state: json(run.state),
        attempt: run.state.attempt,
        affinityToken: run.affinityToken,
        startedBy: run.startedBy,
      },
    });
    return toRecord(row);
  }

  async byId(id: string): Promise<RunRecord | null> {
    const row = await this.db.rolloutRun.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  /** The newest run of a Rollout. */
  async latest(meshId: string, namespace: string, name: string): Promise<RunRecord | null> {
    const row = await this.db.rolloutRun.findFirst({ where: { meshId, namespace, name }, orderBy: { createdAt: "desc" } });
    return row ? toRecord(row) : null;
  }

  /** The active run on a service, if any. */
  async activeOn(namespace: string, service: string): Promise<RunRecord | null> {
    const row = await this.db.rolloutRun.findUnique({ where: { activeService: `${namespace}/${service}` } });
    return row ? toRecord(row) : null;
  }

  /** Locks the run's row until the transaction ends, and reads it. */
  async lock(id: string): Promise<RunRecord | null> {
    await this.db.$queryRaw`SELECT id FROM "RolloutRun" WHERE id = ${id}::uuid FOR UPDATE`;
    return this.byId(id);
  }

  /** Ids of the active runs (the controller locks and reads each in turn). */
  async activeIds(meshId: string): Promise<string[]> {
    const rows = await this.db.rolloutRun.findMany({ where: { meshId, activeService: { not: null } }, select: { id: true }, orderBy: { createdAt: "asc" } });
    return rows.map((r) => r.id);
  }

  /** The active runs driving routes among `routes` (`namespace/name`), for refusing manual edits. */
  async owningRoutes(meshId: string, routes: readonly { namespace: string; name: string }[]): Promise<RunRecord[]> {
    if (routes.length === 0) return [];
    const rows = await this.db.rolloutRun.findMany({ where: { meshId, activeService: { not: null }, OR: routes.map((r) => ({ namespace: r.namespace, routeName: r.name })) } });
    return rows.map(toRecord);
  }

  async list(meshId: string, filter: { namespaces?: readonly string[] | undefined; active?: boolean | undefined; limit: number }): Promise<RunRecord[]> {
    const rows = await this.db.rolloutRun.findMany({
      where: {
        meshId,
        ...(filter.namespaces ? { namespace: { in: [...filter.namespaces] } } : {}),
        ...(filter.active === true ? { activeService: { not: null } } : filter.active === false ? { activeService: null } : {}),
      },
      orderBy: [{ awaitingApproval: "desc" }, { finishedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
      take: filter.limit,
    });
    return rows.map(toRecord);
  }

  async update(id: string, update: RunUpdate): Promise<RunRecord> {
    const { state } = update;
    const run = await this.db.rolloutRun.findUniqueOrThrow({ where: { id }, select: { namespace: true, service: true } });
    const row = await this.db.rolloutRun.update({
      where: { id },
      data: {
        state: json(state),
        phase: TO_STORED[state.phase],
        attempt: state.attempt,
        wave: state.wave,
        step: state.step,
        awaitingApproval: update.awaitingApproval,
        message: update.message,
        ...(update.finishedAt !== undefined ? { finishedAt: update.finishedAt } : {}),
        ...(update.finishedAt ? { activeService: null } : {}),
        ...(update.reactivate ? { activeService: `${run.namespace}/${run.service}`, finishedAt: null } : {}),
      },
    });
    return toRecord(row);
  }

  /** Records an entered step once: true when it was new (a replayed step is not recorded twice). */
  async enterStep(runId: string, step: Omit<StepRecord, "completedAt">): Promise<boolean> {
    const found = await this.db.rolloutStepRecord.findUnique({ where: { runId_attempt_wave_step: { runId, attempt: step.attempt, wave: step.wave, step: step.step } } });
    if (found) {
      // A wave retried after onFailure: Pause enters its steps again: same key, the new traffic.
      await this.db.rolloutStepRecord.update({ where: { id: found.id }, data: { traffic: json(step.traffic), routeRevision: step.routeRevision, enteredAt: step.enteredAt, completedAt: null } });
      return false;
    }
    await this.db.rolloutStepRecord.create({ data: { runId, attempt: step.attempt, wave: step.wave, step: step.step, kind: step.kind, traffic: json(step.traffic), routeRevision: step.routeRevision, enteredAt: step.enteredAt } });
    return true;
  }

  async completeStep(runId: string, key: { attempt: number; wave: number; step: number }, at: Date): Promise<void> {
    await this.db.rolloutStepRecord.updateMany({ where: { runId, ...key, completedAt: null }, data: { completedAt: at } });
  }

  async steps(runId: string): Promise<StepRecord[]> {
    const rows = await this.db.rolloutStepRecord.findMany({ where: { runId }, orderBy: [{ attempt: "asc" }, { wave: "asc" }, { step: "asc" }] });
    return rows.map((r) => ({ attempt: r.attempt, wave: r.wave, step: r.step, kind: r.kind, traffic: r.traffic as unknown as Traffic[], routeRevision: r.routeRevision, enteredAt: r.enteredAt, completedAt: r.completedAt }));
  }

  async addChecks(runId: string, checks: readonly NewCheck[]): Promise<void> {
    if (checks.length === 0) return;
    await this.db.rolloutCheck.createMany({
      data: checks.map((c) => ({ ...c, runId, values: json(c.values), threshold: c.threshold === null ? undefined : json(c.threshold) })),
    });
  }

  async checks(runId: string, limit: number): Promise<CheckRecord[]> {
    const rows = await this.db.rolloutCheck.findMany({ where: { runId }, orderBy: { id: "desc" }, take: limit });
    return rows.map((r) => ({ ...r, id: r.id.toString(), values: r.values as Record<string, unknown>, threshold: (r.threshold ?? null) as Record<string, unknown> | null }));
  }

  async addEvents(runId: string, events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.rolloutEvent.createMany({ data: events.map((e) => ({ ...e, runId })) });
  }

  async events(runId: string, limit: number): Promise<EventRecord[]> {
    const rows = await this.db.rolloutEvent.findMany({ where: { runId }, orderBy: { id: "desc" }, take: limit });
    return rows.map((r) => ({ id: r.id.toString(), attempt: r.attempt, wave: r.wave, step: r.step, at: r.at, type: r.type, message: r.message, actor: r.actor }));
  }

  async addApproval(runId: string, approval: NewApproval): Promise<void> {
    await this.db.rolloutApproval.create({ data: { ...approval, runId } });
  }

  async approvals(runId: string): Promise<ApprovalRecord[]> {
    const rows = await this.db.rolloutApproval.findMany({ where: { runId }, orderBy: { at: "asc" } });
    return rows.map(({ runId: _r, ...r }) => r);
  }
}
