// The SLO evaluator: a leader-elected loop (controllers/leader-loop.ts). Each
// step reads every live ServiceLevelObjective and the stored alert states,
// reads the counts of every window through the metric source (inside the
// step's transaction), judges with mesh-model's judgeSlo (the one copy of
// the burn-rate maths), and writes statuses, alert states, alert history,
// tickets and queued notifications in the same transaction: a restarted or
// other replica resumes from exactly what was committed.
import { judgeSlo, type AlertState, type AlertStateName, type ServiceLevelObjective } from "@weft/mesh-model";
import { CONTROLLER_LOCKS } from "../../controllers/controller-locks.ts";
import { LeaderLoop, type LeaderTick } from "../../controllers/leader-loop.ts";
import type { Logger } from "../../logger.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { MetricSource } from "../metrics/metric-source.ts";
import type { NotificationsService } from "../notifications/notifications.service.ts";
import type { TicketsService } from "../tickets/tickets.service.ts";
import { sloTicketTitle } from "../tickets/tickets.service.ts";
import type { TicketSlo } from "../tickets/ticket-context.ts";
import type { TicketContextBuilder } from "../tickets/ticket-context.ts";
import { incidentChanges, incidentEvent, type SloRef } from "./slo-evaluation.ts";
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
    for (const row of slos) {
      const slo = row.document as ServiceLevelObjective;
      await this.evaluate(tx, source, slo, { resourceId: row.id, revision: row.revision }, stored.filter((a) => a.resourceId === row.id), now, result);
      result.evaluated++;
    }
    // Alerts of deleted SLOs stop firing (their tickets resolve).
    const live = new Set(slos.map((s) => s.id));
    for (const a of stored) if (!live.has(a.resourceId) && (a.state === "FIRING" || a.state === "PENDING")) await this.retire(tx, a, now, "the SLO was deleted", result);
    return result;
  }

  // Long because it is the evaluator's one pass over an SLO: read, judge, and write every consequence in order; each consequence is a call.
  private async evaluate(tx: TransactionRepositories, source: MetricSource, slo: ServiceLevelObjective, row: { resourceId: string; revision: number }, stored: SloAlertRecord[], now: Date, result: SloStepResult): Promise<void> {
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
      for (const a of stored) if (a.scope === scope && !current.has(a.pair) && (a.state === "FIRING" || a.state === "PENDING")) await this.retire(tx, a, now, slo.spec.alerting.enabled ? `the ${a.pair} window pair was removed from the SLO` : "alerting was turned off", result);
    }
  }

  /** Ends an alert that is no longer evaluated: resolved (its ticket resolves), history kept. */
  private async retire(tx: TransactionRepositories, a: SloAlertRecord, now: Date, reason: string, result: SloStepResult): Promise<void> {
    const to: StoredAlertState = a.state === "FIRING" ? "RESOLVED" : "INACTIVE";
    const { id: _id, ...fields } = a;
    await tx.slo.saveAlert({ ...fields, state: to, since: now });
    await tx.slo.addEvent(a.id, { at: now, from: a.state, to, longBurn: a.longBurn, shortBurn: a.shortBurn, budgetRemaining: null, exhaustsAt: null, reason });
    if (to === "RESOLVED" && a.severity === "ticket") await this.deps.tickets.resolveIn(tx, `slo:${a.resourceId}:${a.scope}:${a.pair}`, now, reason);
    result.transitions.push({ slo: a.resourceId, scope: a.scope, pair: a.pair, from: a.state.toLowerCase(), to: to.toLowerCase(), reason });
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
