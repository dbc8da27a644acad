// The rollout controller: a leader-elected loop (controllers/leader-loop.ts).
// Each step locks every active run in turn, asks mesh-model's `dueChecks`
// what to measure, measures it, lets the pure `decide` choose, and writes
// the decision (route revision, step, checks, events, notifications, run
// state) in the same transaction — so a manager killed mid-step resumes
// from the stored step: an uncommitted step left nothing behind, a
// committed one is not applied again.
//
// Webhooks and the error-budget gate are asked outside the transaction (a
// hanging webhook must not hold the database; the embedded one has a single
// connection): when a run needs them the step starts the calls and skips
// the run; a later step finds the answers, as long as the run has not moved
// since (keyed by its row's update time), and decides with them.
import { dueChecks, errorBudgetOutcome, isTerminal, planOf, webhookOutcome, type ErrorBudgetCheck, type TickInput, type WebhookCheck, type WebhookType, decide } from "@weft/mesh-model";
import { CONTROLLER_LOCKS } from "../../controllers/controller-locks.ts";
import { LeaderLoop, type LeaderTick, type LeaderTickListener } from "../../controllers/leader-loop.ts";
import type { Logger } from "../../logger.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { MetricSource } from "../metrics/metric-source.ts";
import type { ErrorBudgetGate } from "../slo/error-budget-gate.ts";
import { askErrorBudget, callWebhooks, errorBudgetCheckRow, measureInterval, metricCheckRow, webhookCheckRow, type CheckPosition } from "./rollout-measurements.ts";
import type { RolloutRunWriter } from "./rollout-run-writer.ts";
import type { NewCheck, RunRecord } from "./rollouts.repository.ts";

/** Default controller period (WEFT_ROLLOUT_TICK). */
export const DEFAULT_ROLLOUT_TICK_MS = 5_000;

export interface RolloutControllerDeps {
  uow: UnitOfWork;
  writer: RolloutRunWriter;
  metricSourceIn: (tx: TransactionRepositories) => MetricSource;
  errorBudget: ErrorBudgetGate;
  audit: AuditService;
  log: Logger;
  now: () => Date;
  tickMs: number;
  /** Wakes the notification sender after a step queued something. */
  queued: () => void;
  /** The manager's outbound fetch (transport/outbound-fetch.ts): webhooks reach only where the egress policy allows. */
  fetch: typeof fetch;
  /** Told of each tick (the manager's metrics). */
  onTick?: LeaderTickListener;
}

/** What a step did to one run. */
export interface RunStepOutcome {
  runId: string;
  rollout: string;
  phaseBefore: string;
  phase: string;
  step: number;
  routeRevision: number | null;
  events: { type: string; message: string }[];
  /** The run ended in this step: post-rollout hooks are called after the commit. */
  ended: boolean;
}

export interface RolloutStepResult {
  runs: RunStepOutcome[];
  queued: number;
  /** Runs skipped this step while their webhooks or the error budget are asked. */
  waiting: number;
}

interface ExternalAnswers {
  key: string;
  done: boolean;
  webhooks: WebhookCheck[];
  errorBudget: ErrorBudgetCheck | null;
}

export class RolloutController {
  private readonly loop: LeaderLoop<RolloutStepResult>;
  private readonly external = new Map<string, ExternalAnswers>();

  constructor(private readonly deps: RolloutControllerDeps) {
    this.loop = new LeaderLoop(deps.uow, deps.log, {
      name: "rollout controller",
      lockKey: CONTROLLER_LOCKS.rollouts,
      intervalMs: deps.tickMs,
      step: (tx) => this.step(tx),
      afterCommit: (result) => this.afterCommit(result),
      onTick: deps.onTick,
    });
  }

  private async step(tx: TransactionRepositories): Promise<RolloutStepResult> {
    const result: RolloutStepResult = { runs: [], queued: 0, waiting: 0 };
    const mesh = await tx.mesh.get();
    if (!mesh) return result;
    const source = this.deps.metricSourceIn(tx);
    const active = await tx.rollouts.activeIds(mesh.id);
    for (const key of this.external.keys()) if (!active.includes(key)) this.external.delete(key);
    for (const id of active) {
      // Each run alone: a run that fails (a query, a constraint, a bug in one decision) rolls back only its own
      // writes, is recorded and retried next step; the other runs advance.
      const waiting = result.waiting;
      const queued = result.queued;
      const advanced = await tx.savepoints.isolated(async () => {
        const run = await tx.rollouts.lock(id);
        return run?.active ? this.advance(tx, source, run, result) : null;
      });
      if (advanced.ok) {
        if (advanced.value) result.runs.push(advanced.value);
        continue;
      }
      result.waiting = waiting;
      result.queued = queued;
      await this.recordFailure(tx, id, advanced.error);
    }
    return result;
  }

  /** A run the step could not advance: logged, and one event on the run (not one per tick) so its page says why it stands still. */
  private async recordFailure(tx: TransactionRepositories, runId: string, err: unknown): Promise<void> {
    const run = await tx.rollouts.byId(runId);
    const rollout = run ? `${run.namespace}/${run.name}` : runId;
    this.deps.log.warn({ err, rollout, run: runId }, "rollout controller could not advance a run; retrying next tick");
    if (!run) return;
    const message = `the controller could not advance the run: ${err instanceof Error ? err.message : String(err)} (retried every tick)`;
    const [last] = await tx.rollouts.events(runId, 1);
    if (last?.type === "controller-error" && last.message === message) return;
    await tx.rollouts.addEvents(runId, [{ attempt: run.state.attempt, wave: run.state.wave, step: run.state.step, at: this.deps.now(), type: "controller-error", message, actor: null }]);
  }

  /** One run: measure what is due, decide, write. Null when nothing changed (or the run waits for answers). */
  private async advance(tx: TransactionRepositories, source: MetricSource, run: RunRecord, result: RolloutStepResult): Promise<RunStepOutcome | null> {
    const now = this.deps.now();
    const spec = run.document.spec;
    const plan = planOf(spec);
    const due = dueChecks(spec, plan, run.state, now);
    const input: TickInput = { now };
    const position: CheckPosition = { attempt: run.state.attempt, wave: run.state.wave, step: run.state.step, at: now };
    const checks: NewCheck[] = [];
    if (due.webhooks.length > 0 || due.errorBudget) {
      const answers = this.answers(run, due.webhooks, due.errorBudget, plan.waves[run.state.wave]?.clusters ?? null, now);
      if (!answers) {
        result.waiting++;
        return null;
      }
      input.webhooks = answers.webhooks.map(webhookOutcome);
      checks.push(...answers.webhooks.map((w) => webhookCheckRow(w, position)));
      if (answers.errorBudget) {
        input.errorBudget = errorBudgetOutcome(answers.errorBudget);
        checks.push(errorBudgetCheckRow(answers.errorBudget, position));
      }
    }
    if (due.analysis) {
      const { verdict, window } = await measureInterval(source, run.document, due.analysis);
      input.analysis = verdict;
      checks.push(...verdict.checks.map((c) => metricCheckRow(c, window, position)));
    }
    const decision = decide(spec, plan, run.state, input);
    if (checks.length === 0 && decision.events.length === 0 && !decision.trafficChanged && JSON.stringify(decision.state) === JSON.stringify(run.state)) return null;
    const written = await this.deps.writer.write(tx, run, decision, { checks, now });
    result.queued += written.queued;
    return {
      runId: run.id,
      rollout: `${run.namespace}/${run.name}`,
      phaseBefore: run.phase,
      phase: written.run.phase,
      step: written.run.step,
      routeRevision: written.routeRevision,
      events: decision.events.map((e) => ({ type: e.type, message: e.message })),
      ended: isTerminal(written.run.phase) && !isTerminal(run.phase) && decision.callPostRollout,
    };
  }

  /** The webhook and error-budget answers for the run as it is now; starts asking when there are none yet. */
  private answers(run: RunRecord, webhooks: readonly WebhookType[], errorBudget: boolean, clusters: string[] | null, now: Date): ExternalAnswers | null {
    const key = `${run.updatedAt.getTime()}|${[...webhooks].sort().join(",")}|${errorBudget}`;
    const known = this.external.get(run.id);
    if (known?.key === key) {
      if (!known.done) return null;
      this.external.delete(run.id);
      return known;
    }
    const pending: ExternalAnswers = { key, done: false, webhooks: [], errorBudget: null };
    this.external.set(run.id, pending);
    void (async () => {
      try {
        pending.webhooks = await callWebhooks(run.document, webhooks, this.payload(run), this.deps.fetch);
        pending.errorBudget = errorBudget ? await askErrorBudget(this.deps.errorBudget, run.document, clusters, now) : null;
        pending.done = true;
        this.poke();
      } catch (err) {
        this.deps.log.warn({ err, rollout: `${run.namespace}/${run.name}` }, "rollout gate could not be asked; asking again next tick");
        // Only this round's entry: the run may have moved meanwhile and a newer round be in flight.
        if (this.external.get(run.id) === pending) this.external.delete(run.id);
      }
    })();
    return null;
  }

  private payload(run: RunRecord) {
    return { name: run.name, namespace: run.namespace, phase: run.phase, service: run.service, stableVersion: run.stableVersion, canaryVersion: run.canaryVersion, step: run.state.step, wave: run.state.wave };
  }

  private async afterCommit(result: RolloutStepResult): Promise<void> {
    if (result.queued > 0) this.deps.queued();
    // Each run's hooks alone: they are committed already, and one run's failing audit or hook must not skip the others'.
    for (const run of result.runs) {
      try {
        await this.afterRun(run);
      } catch (err) {
        this.deps.log.warn({ err, rollout: run.rollout, run: run.runId }, "rollout audit or post-rollout hooks failed after the step committed");
      }
    }
  }

  /** After the commit, one run: log its events, audit what moved, call post-rollout hooks when it ended. */
  private async afterRun(run: RunStepOutcome): Promise<void> {
    for (const e of run.events) this.deps.log.info({ rollout: run.rollout, run: run.runId, event: e.type }, `rollout ${run.rollout}: ${e.message}`);
    if (run.phase !== run.phaseBefore || run.routeRevision !== null)
      await this.deps.audit.record({
        actor: null,
        actorName: "rollout controller",
        action: `rollouts.${run.phase === run.phaseBefore ? "step" : run.phase.toLowerCase()}`,
        outcome: "SUCCESS",
        target: `Rollout/${run.rollout}`,
        namespace: run.rollout.split("/")[0],
        details: { runId: run.runId, from: run.phaseBefore, to: run.phase, step: run.step + 1, routeRevision: run.routeRevision, events: run.events.map((e) => e.message) },
      });
    if (run.ended) await this.postRollout(run.runId);
  }

  /** After a run ended: its post-rollout hooks (a failure is only recorded). */
  private async postRollout(runId: string): Promise<void> {
    const run = await this.deps.uow.run((tx) => tx.rollouts.byId(runId));
    if (!run || !(run.document.spec.analysis.webhooks ?? []).some((w) => w.type === "post-rollout")) return;
    const hooks = await callWebhooks(run.document, ["post-rollout"], this.payload(run), this.deps.fetch);
    const at: CheckPosition = { attempt: run.state.attempt, wave: run.state.wave, step: run.state.step, at: this.deps.now() };
    await this.deps.uow.run(async (tx) => {
      await tx.rollouts.addChecks(run.id, hooks.map((h) => webhookCheckRow(h, at)));
      await tx.rollouts.addEvents(run.id, hooks.filter((h) => h.verdict === "fail").map((h) => ({ ...at, type: "webhook-failed", message: `post-rollout webhook "${h.name}" failed: ${h.error} (recorded only)`, actor: null })));
    });
  }

  /** One controller pass now (tests call it instead of waiting for the timer). */
  tick(): Promise<LeaderTick<RolloutStepResult>> {
    return this.loop.tick();
  }

  /** A tick soon, after an operator's change or an answer that arrived (only once started). */
  poke(): void {
    this.loop.poke();
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
