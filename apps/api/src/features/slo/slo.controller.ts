// The SLO evaluator: a leader-elected loop (controllers/leader-loop.ts). Each
// step reads every live ServiceLevelObjective and the stored alert states,
// reads the counts of every window through the metric source (inside the
// step's transaction), judges with mesh-model's judgeSlo (the one copy of
// the burn-rate maths), and writes statuses, alert states, alert history,
// tickets and queued notifications in the same transaction: a restarted or
// other replica resumes from exactly what was committed.
import { judgeSlo, type AlertState, type AlertStateName, type ServiceLevelObjective } from "@weft/mesh-model";
import { CONTROLLER_LOCKS } from "../../controllers/controller-locks.ts";
import { LeaderLoop, type LeaderTick, type LeaderTickListener } from "../../controllers/leader-loop.ts";
import type { Logger } from "../../logger.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { MetricSource } from "../metrics/metric-source.ts";
import type { NotificationsService } from "../notifications/notifications.service.ts";
import type { TicketsService } from "../tickets/tickets.service.ts";
import { sloTicketTitle } from "../tickets/tickets.service.ts";
import type { TicketSlo } from "../tickets/ticket-context.ts";
import type { TicketContextBuilder } from "../tickets/ticket-context.ts";
import { dashboardLink } from "../../dashboard-link.ts";
import { incidentChanges, incidentEvent, retiredIncidentEvent, type SloRef } from "./slo-evaluation.ts";
import { readSlo, serviceOfSlo } from "./slo-readings.ts";
import type { SloAlertRecord, StoredAlertState } from "./slo.repository.ts";
import { describeIndicator, sloLinks } from "./slo-links.ts";

export const DEFAULT_SLO_TICK_MS = 30_000;

export interface SloStepResult {
  evaluated: number;
  transitions: { slo: string; scope: string; pair: string; from: string; to: string; reason: string }[];
  queued: number;
  ticketsOpened: number;
}

/** A firing alert this step stopped evaluating, and why. */
interface Retired {
  alert: SloAlertRecord;
  reason: string;
}

const toStored = (s: AlertStateName): StoredAlertState => s.toUpperCase() as StoredAlertState;
const fromStored = (s: StoredAlertState): AlertStateName => s.toLowerCase() as AlertStateName;

export interface SloControllerDeps {
  uow: UnitOfWork;
  metricSourceIn: (tx: TransactionRepositories) => MetricSource;
  notifications: NotificationsService;
  tickets: TicketsService;
  contexts: TicketContextBuilder;
  dashboardUrl: string;
  log: Logger;
  now: () => Date;
  tickMs: number;
  /** Wakes the notification sender after a step queued something. */
  queued: () => void;
  /** Told of each tick (the manager's metrics). */
  onTick?: LeaderTickListener;
}

export class SloController {
  private readonly loop: LeaderLoop<SloStepResult>;

  constructor(private readonly deps: SloControllerDeps) {
    this.loop = new LeaderLoop(deps.uow, deps.log, {
      name: "SLO evaluator",
      lockKey: CONTROLLER_LOCKS.slo,
      intervalMs: deps.tickMs,
      step: (tx) => this.step(tx),
      afterCommit: async (r) => {
        if (r.queued > 0) deps.queued();
        for (const t of r.transitions) deps.log.info({ slo: t.slo, scope: t.scope || undefined, pair: t.pair, from: t.from, to: t.to }, `SLO alert ${t.to}: ${t.reason}`);
      },
      onTick: deps.onTick,
    });
  }

  private async step(tx: TransactionRepositories): Promise<SloStepResult> {
    const now = this.deps.now();
    const mesh = await tx.mesh.get();
    const result: SloStepResult = { evaluated: 0, transitions: [], queued: 0, ticketsOpened: 0 };
    if (!mesh) return result;
    const slos = (await tx.resources.list(mesh.id, { kind: "ServiceLevelObjective" })).filter((r) => r.document?.kind === "ServiceLevelObjective");
    const stored = await tx.slo.alerts();
    const source = this.deps.metricSourceIn(tx);
    const retired: Retired[] = [];
    for (const row of slos) {
      const slo = row.document as ServiceLevelObjective;
      await this.evaluate(tx, source, slo, { resourceId: row.id, revision: row.revision }, stored.filter((a) => a.resourceId === row.id), now, result, retired);
      result.evaluated++;
    }
    // Alerts of deleted SLOs stop firing (their tickets resolve).
    const live = new Set(slos.map((s) => s.id));
    for (const a of stored) if (!live.has(a.resourceId) && (a.state === "FIRING" || a.state === "PENDING")) await this.retire(tx, a, now, "the SLO was deleted", result, retired);
    await this.resolveRetired(tx, mesh.id, slos, retired, now, result);
    return result;
  }

  /**
   * The channels' side of retired alerts: per SLO, scope and severity, the
   * incident resolves once none of that severity still fires (the one
   * notification per incident incidentChanges would have sent). A deleted
   * SLO's name comes from its resource row (kept, marked deleted).
   */
  private async resolveRetired(tx: TransactionRepositories, meshId: string, live: { id: string; document: unknown }[], retired: Retired[], now: Date, result: SloStepResult): Promise<void> {
    const groups = new Map<string, Retired[]>();
    for (const r of retired) {
      const key = JSON.stringify([r.alert.resourceId, r.alert.scope, r.alert.severity]);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    if (groups.size === 0) return;
    const resources = new Map((await tx.resources.list(meshId, { kind: "ServiceLevelObjective", includeDeleted: true })).map((r) => [r.id, r]));
    for (const group of groups.values()) {
      const { resourceId, scope, severity } = (group[0] as Retired).alert;
      const stillFiring = (await tx.slo.alerts([resourceId])).some((a) => a.scope === scope && a.severity === severity && a.state === "FIRING");
      const resource = resources.get(resourceId);
      if (stillFiring || !resource) continue;
      const doc = live.find((s) => s.id === resourceId)?.document as ServiceLevelObjective | undefined;
      const ref = { resourceId, namespace: doc?.metadata.namespace ?? (resource.namespace || "default"), name: resource.name };
      const links = doc ? sloLinks(this.deps.dashboardUrl, doc) : [{ label: "SLOs in Weft", url: dashboardLink(this.deps.dashboardUrl, "/slos") }];
      const startedAt = Math.min(...group.map((r) => r.alert.firedAt?.getTime() ?? 0));
      result.queued += await this.deps.notifications.enqueueIn(tx, retiredIncidentEvent(ref, scope, severity, startedAt, (group[0] as Retired).reason, now.getTime(), links));
    }
  }

  // Long because it is the evaluator's one pass over an SLO: read, judge, and write every consequence in order; each consequence is a call.
  private async evaluate(tx: TransactionRepositories, source: MetricSource, slo: ServiceLevelObjective, row: { resourceId: string; revision: number }, stored: SloAlertRecord[], now: Date, result: SloStepResult, retired: Retired[]): Promise<void> {
    const namespace = slo.metadata.namespace ?? "default";
    const ref: SloRef = { resourceId: row.resourceId, namespace, name: slo.metadata.name, service: serviceOfSlo(slo) };
    const { counts, queries, coveredFrom } = await readSlo(source, slo, now);
    await tx.slo.pruneStatuses(row.resourceId, [...counts.keys()]);
    for (const [scope, windows] of counts) {
      const before = new Map(stored.filter((a) => a.scope === scope).map((a) => [a.pair, { state: fromStored(a.state), since: a.since.getTime(), ...(a.firedAt ? { firedAt: a.firedAt.getTime() } : {}) } satisfies AlertState]));
      const judgement = judgeSlo(slo.spec, windows, Object.fromEntries(before), now.getTime());
      const exhaustsAt = judgement.exhaustsInMs === null ? null : new Date(now.getTime() + judgement.exhaustsInMs);
      await tx.slo.saveStatus({
        resourceId: row.resourceId,
        scope,
        revision: row.revision,
        evaluatedAt: now,
        sli: judgement.sli,
        requests: judgement.requests,
        bad: judgement.bad,
        budgetRemaining: judgement.budgetRemaining,
        burnRates: judgement.burnRates,
        exhaustsAt,
        source: source.kind,
        queries,
        coveredFrom,
      });
      const sloContext: TicketSlo = {
        namespace,
        name: slo.metadata.name,
        objective: slo.spec.objective,
        window: slo.spec.window,
        indicator: describeIndicator(slo),
        sli: judgement.sli,
        budgetRemaining: judgement.budgetRemaining,
        burnRates: judgement.burnRates,
        exhaustsAt: exhaustsAt?.toISOString() ?? null,
        alert: null,
      };
      const links = sloLinks(this.deps.dashboardUrl, slo);
      for (const alert of judgement.alerts) {
        const id = await tx.slo.saveAlert({ resourceId: row.resourceId, scope, pair: alert.window.name, severity: alert.window.severity, state: toStored(alert.state.state), since: new Date(alert.state.since), firedAt: alert.state.firedAt !== undefined ? new Date(alert.state.firedAt) : null, threshold: alert.window.burnRate, longBurn: alert.longBurn, shortBurn: alert.shortBurn });
        if (!alert.transition) continue;
        await tx.slo.addEvent(id, { at: now, from: toStored(alert.transition.from), to: toStored(alert.transition.to), longBurn: alert.longBurn, shortBurn: alert.shortBurn, budgetRemaining: judgement.budgetRemaining, exhaustsAt, reason: alert.transition.reason });
        result.transitions.push({ slo: `${namespace}/${slo.metadata.name}`, scope, pair: alert.window.name, from: alert.transition.from, to: alert.transition.to, reason: alert.transition.reason });
        // Tickets: one per SLO, scope and ticket-severity pair; recovery resolves it.
        if (alert.window.severity !== "ticket") continue;
        const dedupKey = `slo:${row.resourceId}:${scope}:${alert.window.name}`;
        if (alert.transition.to === "firing") {
          const { opened } = await this.deps.tickets.fireIn(tx, {
            dedupKey,
            source: "slo",
            severity: alert.window.severity,
            title: sloTicketTitle(ref, scope, alert.window.name, alert.longBurn, alert.window.burnRate),
            namespace,
            service: ref.service.name,
            sloResourceId: row.resourceId,
            at: now,
            reason: alert.transition.reason,
            context: (t) =>
              this.deps.contexts.build(t, {
                at: now,
                service: ref.service,
                slo: { ...sloContext, alert: { pair: alert.window.name, severity: alert.window.severity, longWindow: alert.window.longWindow, shortWindow: alert.window.shortWindow, longBurn: alert.longBurn, shortBurn: alert.shortBurn, threshold: alert.window.burnRate } },
                lookbackMs: alert.window.longMs,
                links,
              }),
          });
          if (opened) result.ticketsOpened++;
        } else if (alert.transition.to === "resolved") await this.deps.tickets.resolveIn(tx, dedupKey, now, alert.transition.reason);
      }
      for (const incident of incidentChanges(before, judgement)) result.queued += await this.deps.notifications.enqueueIn(tx, incidentEvent(slo, ref, scope, incident, judgement, now.getTime(), links));
      // Pairs no longer configured (windows edited, alerting turned off) stop firing.
      const current = new Set(judgement.alerts.map((a) => a.window.name));
      for (const a of stored) if (a.scope === scope && !current.has(a.pair) && (a.state === "FIRING" || a.state === "PENDING")) await this.retire(tx, a, now, slo.spec.alerting.enabled ? `the ${a.pair} window pair was removed from the SLO` : "alerting was turned off", result, retired);
    }
  }

  /** Ends an alert that is no longer evaluated: resolved (its ticket resolves), history kept. */
  private async retire(tx: TransactionRepositories, a: SloAlertRecord, now: Date, reason: string, result: SloStepResult, retired: Retired[]): Promise<void> {
    const to: StoredAlertState = a.state === "FIRING" ? "RESOLVED" : "INACTIVE";
    const { id: _id, ...fields } = a;
    await tx.slo.saveAlert({ ...fields, state: to, since: now });
    await tx.slo.addEvent(a.id, { at: now, from: a.state, to, longBurn: a.longBurn, shortBurn: a.shortBurn, budgetRemaining: null, exhaustsAt: null, reason });
    if (to === "RESOLVED" && a.severity === "ticket") await this.deps.tickets.resolveIn(tx, `slo:${a.resourceId}:${a.scope}:${a.pair}`, now, reason);
    result.transitions.push({ slo: a.resourceId, scope: a.scope, pair: a.pair, from: a.state.toLowerCase(), to: to.toLowerCase(), reason });
    if (a.state === "FIRING") retired.push({ alert: a, reason });
  }

  tick(): Promise<LeaderTick<SloStepResult>> {
    return this.loop.tick();
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
