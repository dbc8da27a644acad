// Writes one decision of a run (the controller's tick or an operator's
// operation) inside the caller's unit of work: the route through the same
// change path as a person's edit (a revision authored "rollout controller",
// its message naming the rollout and the step), the entered and completed
// steps (one row per attempt, wave and step: a replayed step is not recorded
// twice), the checks, the events, the notifications, and the run row. Either
// all of it commits or none of it.
import {
  isTerminal,
  planOf,
  rolloutRoute,
  RolloutRouteError,
  ValidationError,
  type NotificationDraft,
  type RolloutDecision,
  type RolloutPlan,
} from "@weft/mesh-model";
import { dashboardLink } from "../../dashboard-link.ts";
import { DomainError } from "../../errors.ts";
import type { TransactionRepositories } from "../../unit-of-work.ts";
import type { NotificationEvent } from "../notifications/notifier.ts";
import type { ResourcesService } from "../resources/resources.service.ts";
import type { NewCheck, RunRecord } from "./rollouts.repository.ts";
import { stepLabelOf, waitsForApproval } from "./rollout-views.ts";

/** The author of every route revision a rollout writes. */
export const ROLLOUT_AUTHOR = { id: null, name: "rollout controller" } as const;

/** Hands queued notifications to the channels inside the unit of work. */
export interface NotificationQueue {
  enqueueIn(tx: Pick<TransactionRepositories, "notifications">, event: NotificationEvent): Promise<number>;
}

export interface WriteOptions {
  checks?: readonly NewCheck[];
  now: Date;
  /** A retry makes the ended run active again. */
  reactivate?: boolean;
}

export interface WriteResult {
  run: RunRecord;
  /** Route revision written (null: none). */
  routeRevision: number | null;
  queued: number;
}

export class RolloutRunWriter {
  constructor(
    private readonly resources: ResourcesService,
    private readonly notifications: NotificationQueue,
    private readonly dashboardUrl: string,
  ) {}

  async write(tx: TransactionRepositories, run: RunRecord, decision: RolloutDecision, options: WriteOptions): Promise<WriteResult> {
    const { now } = options;
    const plan = planOf(run.document.spec);
    let state = decision.state;
    const events = [...decision.events];
    let notifications = decision.notifications;
    let routeRevision: number | null = null;
    // An ending run writes the route's clean form even when its traffic stays (a promotion: canary before and after).
    const ending = isTerminal(state.phase) && !isTerminal(run.state.phase);
    if ((decision.trafficChanged || ending) && run.document.spec.shadow?.mode !== "RecordOnly") {
      try {
        routeRevision = await this.writeRoute(tx, run, decision, plan);
      } catch (err) {
        // A route the change path refuses (an analyzer blocking, the route's limits): the run pauses where it was, saying why.
        if (!(err instanceof RolloutRouteError || err instanceof ValidationError || err instanceof DomainError)) throw err;
        const detail = `the route could not be written: ${err.message}`;
        state = { ...run.state, phase: "Paused", pause: { reason: "failure", since: now, detail, resumeTo: isTerminal(run.state.phase) || run.state.phase === "Paused" ? "Progressing" : run.state.phase } };
        events.length = 0;
        events.push({ type: "paused", message: `paused: ${detail}`, wave: run.state.wave, step: run.state.step, by: null });
        notifications = [{ key: `rollout.paused:route:${run.state.wave}:${run.state.step}`, type: "rollout.paused", severity: "ticket", title: "paused: its route could not be written", summary: detail }];
      }
    }
    for (const e of events) {
      const key = { attempt: state.attempt, wave: e.wave, step: e.step };
      if (e.type === "step-entered" || e.type === "promoted") {
        const step = plan.steps[e.step];
        await tx.rollouts.enterStep(run.id, { ...key, kind: step?.kind ?? "unknown", traffic: state.traffic ?? [], routeRevision, enteredAt: now });
      } else if (e.type === "step-completed") await tx.rollouts.completeStep(run.id, key, now);
    }
    await tx.rollouts.addEvents(run.id, events.map((e) => ({ attempt: state.attempt, wave: e.wave, step: e.step, at: now, type: e.type, message: e.message, actor: e.by })));
    await tx.rollouts.addChecks(run.id, options.checks ?? []);
    let queued = 0;
    for (const draft of notifications) queued += await this.notifications.enqueueIn(tx, this.event(run, state.attempt, draft, now));
    const terminal = isTerminal(state.phase);
    const message = state.outcome ?? state.pause?.detail ?? state.hold?.detail ?? "";
    const updated = await tx.rollouts.update(run.id, {
      state,
      awaitingApproval: waitsForApproval(run, state),
      message,
      ...(terminal && !isTerminal(run.state.phase) ? { finishedAt: now } : {}),
      ...(options.reactivate ? { reactivate: true } : {}),
    });
    return { run: updated, routeRevision, queued };
  }

  /** The route for the decided traffic, through the change path; its new revision, or null when it did not change. */
  private async writeRoute(tx: TransactionRepositories, run: RunRecord, decision: RolloutDecision, plan: RolloutPlan): Promise<number | null> {
    const { state } = decision;
    const route = rolloutRoute({ rollout: run.document, base: run.baseRoute, plan, traffic: state.traffic ?? [], final: isTerminal(state.phase), affinityToken: run.affinityToken });
    const what = isTerminal(state.phase) ? (state.outcome ?? state.phase) : (decision.events.find((e) => e.type === "step-entered" || e.type === "promoted")?.message ?? `${stepLabelOf(plan, state)}: ${state.phase}`);
    const result = await this.resources.execute(tx, ROLLOUT_AUTHOR, [{ op: "apply", resource: route }], { dryRun: false, message: `rollout ${run.namespace}/${run.name}: ${what}`, rolloutRunId: run.id });
    const change = result.value.changes[0];
    if (!change || change.action === "unchanged") return null;
    return (change.fromRevision ?? 0) + 1;
  }

  private event(run: RunRecord, attempt: number, draft: NotificationDraft, now: Date): NotificationEvent {
    const url = dashboardLink(this.dashboardUrl, "/rollouts/detail", { namespace: run.namespace, name: run.name });
    return {
      id: `rollout:${run.id}:${attempt}:${draft.key}`,
      type: draft.type,
      severity: draft.severity,
      namespace: run.namespace,
      title: `Rollout ${run.namespace}/${run.name} (${run.service} ${run.stableVersion} → ${run.canaryVersion}): ${draft.title}`,
      summary: draft.summary,
      dedupKey: `rollout:${run.id}`,
      action: "trigger",
      links: [{ label: "Rollout", url }],
      data: { runId: run.id, namespace: run.namespace, rollout: run.name, service: run.service, stableVersion: run.stableVersion, canaryVersion: run.canaryVersion, attempt },
      occurredAt: now,
    };
  }
}
