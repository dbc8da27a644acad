// The rollout controller's decisions, pure (like identity/rotation-plan.ts):
// the run's stored state, the latest check results and the clock in; the
// next state, the events to record and the notifications to send out. The
// controller loop only asks `dueChecks` what to measure, measures it, calls
// `decide` and writes the result (the route when `traffic` changed) in one
// transaction — so a manager killed mid-step resumes from the stored step:
// no step is applied twice, none is skipped.
//
// Steps are entered through gates (pre-rollout hooks for the first one,
// confirm-traffic-increase hooks before more canary traffic, manual
// approval, confirm-promotion hooks and the error budget before promotion).
// An entered step is judged every interval until it is complete; failed
// checks accumulate until `threshold`, then the rollout rolls back (or
// pauses: shadow PauseOnFailure, waves with onFailure Pause).
import type { IntervalVerdict } from "./rollout-analysis.ts";
import type { RolloutSpec, WebhookType } from "./rollout.schema.ts";
import { describeStep, increasesCanaryTraffic, type RolloutPlan, type RolloutStep, sameTraffic, type Traffic, trafficAt } from "./rollout-steps.ts";
import { durationMs } from "../common/duration.ts";

export const ROLLOUT_PHASES = ["Initializing", "Progressing", "Paused", "WaitingPromotion", "Promoting", "Succeeded", "RolledBack", "Aborted"] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];
export const TERMINAL_PHASES: readonly RolloutPhase[] = ["Succeeded", "RolledBack", "Aborted"];

/** Why a step holds without failing: it waits for data, a confirm hook or the error budget. */
export type HoldReason = "no-data" | "confirm-traffic-increase" | "confirm-promotion" | "error-budget";
/** Why a rollout is paused: an operator, a failure under shadow PauseOnFailure, or a failed wave with onFailure Pause. */
export type PauseReason = "operator" | "failure" | "wave-failure";

/** Everything the controller keeps about a run between ticks. */
export interface RolloutRunState {
  phase: RolloutPhase;
  /** 1 for the first attempt; each retry adds one. */
  attempt: number;
  wave: number;
  /** Index into the plan's steps. */
  step: number;
  /** The step's traffic is applied: its entry gates passed. */
  entered: boolean;
  /** When the current step was entered (or, not entered yet, when the wait for it began). */
  stepStartedAt: Date;
  /** End of the last judged window; the next window starts here. */
  lastCheckAt: Date | null;
  /** When the entry gates of the current step were last asked (hooks are retried once per interval). */
  lastGateAt: Date | null;
  /** Passing intervals at the current step. */
  passed: number;
  /** Failed checks in this attempt (rollback at the threshold). */
  failed: number;
  hold: { reason: HoldReason; since: Date; detail: string } | null;
  pause: { reason: PauseReason; since: Date; detail: string; resumeTo: RolloutPhase } | null;
  /** An operator approved the current gate (an approval step, or a manual promotion). */
  approved: boolean;
  /** Each wave's traffic as last decided; null until the first decision of the run. */
  traffic: Traffic[] | null;
  /** Why the run ended (terminal phases). */
  outcome: string | null;
}

/** What a webhook call came to. */
export interface WebhookOutcome {
  name: string;
  type: WebhookType;
  /** A 2xx answer within the timeout (after retries). */
  ok: boolean;
  status: number | null;
  attempts: number;
  error: string | null;
}

export interface ErrorBudgetOutcome {
  verdict: "pass" | "fail" | "no-slo";
  reason: string;
}

/** What the loop measured this tick: only what `dueChecks` asked for. */
export interface TickInput {
  now: Date;
  analysis?: IntervalVerdict;
  webhooks?: readonly WebhookOutcome[];
  errorBudget?: ErrorBudgetOutcome;
}

/** What the loop should measure before deciding. */
export interface DueChecks {
  /**
   * Judge this window of the current wave's clusters (null: every cluster).
   * `mirror`: the canary gets only mirrored copies, which the proxies count
   * apart (as the service's `-shadow` twin): judge those, on their own.
   */
  analysis: { from: Date; to: Date; clusters: string[] | null; mirror: boolean } | null;
  /** Call the configured webhooks of these types. */
  webhooks: WebhookType[];
  /** Ask the error-budget gate. */
  errorBudget: boolean;
}

export type RolloutEventType =
  | "started"
  | "step-entered"
  | "step-completed"
  | "wave-completed"
  | "analysis-passed"
  | "analysis-failed"
  | "no-data"
  | "data-resumed"
  | "hold"
  | "waiting-approval"
  | "approved"
  | "webhook-failed"
  | "paused"
  | "resumed"
  | "promoted"
  | "succeeded"
  | "rolled-back"
  | "aborted"
  | "retried"
  /** The controller could not advance the run this step (recorded by the manager; the run is retried next step). */
  | "controller-error";

export interface RolloutEvent {
  type: RolloutEventType;
  message: string;
  wave: number;
  step: number;
  /** Who caused it: an operator's name, or null for the controller. */
  by: string | null;
}

/** A notification for the channels; the API adds namespace, links and ids. */
export interface NotificationDraft {
  /** Unique within the run's attempt: the same decision replayed yields the same key (delivered once). */
  key: string;
  type: "rollout.rolled-back" | "rollout.paused" | "rollout.waiting-approval" | "rollout.no-data" | "rollout.succeeded" | "rollout.aborted";
  severity: "page" | "ticket" | "info";
  title: string;
  summary: string;
}

export interface RolloutDecision {
  state: RolloutRunState;
  events: RolloutEvent[];
  notifications: NotificationDraft[];
  /** The run ended: call the post-rollout hooks (their failure is only recorded). */
  callPostRollout: boolean;
  /** Traffic differs from the state's before: the route must be written (not in shadow RecordOnly). */
  trafficChanged: boolean;
}

/** An operator's request. */
export type RolloutOperation =
  | { op: "pause"; by: string }
  | { op: "resume"; by: string }
  /** Next step (approves a gate, skips the rest of a step, overrides a refusing confirm hook); `full`: the canary takes every cluster now. */
  | { op: "promote"; by: string; full: boolean }
  | { op: "abort"; by: string; reason?: string | undefined }
  | { op: "retry"; by: string };

/** An operation the run's phase does not allow. */
export class RolloutOperationError extends Error {
  override readonly name = "RolloutOperationError";
}

/** The state a new run (or a retry) starts in. */
export function initialRunState(now: Date, attempt = 1, traffic: Traffic[] | null = null): RolloutRunState {
  return {
    phase: "Initializing",
    attempt,
    wave: 0,
    step: 0,
    entered: false,
    stepStartedAt: now,
    lastCheckAt: null,
    lastGateAt: null,
    passed: 0,
    failed: 0,
    hold: null,
    pause: null,
    approved: false,
    traffic,
    outcome: null,
  };
}

export function isTerminal(phase: RolloutPhase): boolean {
  return TERMINAL_PHASES.includes(phase);
}

function hooksOf(spec: RolloutSpec, type: WebhookType): boolean {
  return (spec.analysis.webhooks ?? []).some((w) => w.type === type);
}

function hasPreviewMatches(spec: RolloutSpec): boolean {
  return (spec.strategy.blueGreen?.previewMatches?.length ?? 0) > 0;
}

function stepAt(plan: RolloutPlan, index: number): RolloutStep {
  const step = plan.steps[index];
  if (!step) throw new RangeError(`the plan has no step ${index}`);
  return step;
}

function stableTraffic(plan: RolloutPlan): Traffic[] {
  return plan.waves.map(() => ({ mode: "stable" }));
}

function currentTraffic(plan: RolloutPlan, state: RolloutRunState): Traffic[] {
  return state.traffic ?? stableTraffic(plan);
}

/** The gates entering the current (not entered) step needs. */
function entryGates(spec: RolloutSpec, plan: RolloutPlan, state: RolloutRunState): { webhooks: WebhookType[]; errorBudget: boolean; manual: boolean } {
  const step = stepAt(plan, state.step);
  const webhooks: WebhookType[] = [];
  const first = state.wave === 0 && state.step === 0 && state.phase === "Initializing";
  if (first && hooksOf(spec, "pre-rollout")) webhooks.push("pre-rollout");
  if (step.kind === "promote") {
    if (hooksOf(spec, "confirm-promotion")) webhooks.push("confirm-promotion");
    return { webhooks, errorBudget: spec.analysis.errorBudgetGate, manual: spec.promotion === "Manual" };
  }
  const from = currentTraffic(plan, state)[state.wave] ?? { mode: "stable" };
  if (hooksOf(spec, "confirm-traffic-increase") && increasesCanaryTraffic(from, trafficAt(plan, state.step, hasPreviewMatches(spec)))) webhooks.push("confirm-traffic-increase");
  return { webhooks, errorBudget: false, manual: false };
}

/**
 * What to measure now. Nothing for paused or finished runs. The analysis
 * window runs from the last judged one to now (one interval long at most,
 * so a manager that was down judges only recent traffic), and only while
 * the current wave's canary gets traffic or copies. Entry gates are asked
 * at once, and again once per interval while they refuse.
 */
export function dueChecks(spec: RolloutSpec, plan: RolloutPlan, state: RolloutRunState, now: Date): DueChecks {
  const none: DueChecks = { analysis: null, webhooks: [], errorBudget: false };
  if (isTerminal(state.phase) || state.phase === "Paused") return none;
  const webhooks = new Set<WebhookType>();
  let analysis: DueChecks["analysis"] = null;
  const traffic = currentTraffic(plan, state)[state.wave];
  if (traffic && traffic.mode !== "stable") {
    const start = state.lastCheckAt ?? state.stepStartedAt;
    if (now.getTime() - start.getTime() >= plan.intervalMs) {
      const from = now.getTime() - start.getTime() > 2 * plan.intervalMs ? new Date(now.getTime() - plan.intervalMs) : start;
      analysis = { from, to: now, clusters: plan.waves[state.wave]?.clusters ?? null, mirror: traffic.mode === "mirror" };
      if (hooksOf(spec, "rollout")) webhooks.add("rollout");
      if (hooksOf(spec, "rollback")) webhooks.add("rollback");
    }
  }
  let errorBudget = false;
  if (!state.entered && (state.lastGateAt === null || now.getTime() - state.lastGateAt.getTime() >= plan.intervalMs)) {
    const gates = entryGates(spec, plan, state);
    // A manual promotion waits for the approval first: nothing to ask before it.
    if (!gates.manual || state.approved) {
      for (const w of gates.webhooks) webhooks.add(w);
      errorBudget = gates.errorBudget;
    }
  }
  return { analysis, webhooks: [...webhooks], errorBudget };
}

/** Builds a decision step by step; each method is one rule of the state machine. */
class Decider {
  readonly events: RolloutEvent[] = [];
  readonly notifications: NotificationDraft[] = [];
  callPostRollout = false;
  readonly s: RolloutRunState;
  private readonly before: Traffic[] | null;

  constructor(
    readonly spec: RolloutSpec,
    readonly plan: RolloutPlan,
    state: RolloutRunState,
    readonly now: Date,
  ) {
    this.before = state.traffic;
    this.s = { ...state, traffic: state.traffic ? [...state.traffic] : null };
  }

  get traffic(): Traffic[] {
    this.s.traffic ??= stableTraffic(this.plan);
    return this.s.traffic;
  }

  event(type: RolloutEventType, message: string, by: string | null = null): void {
    this.events.push({ type, message, wave: this.s.wave, step: this.s.step, by });
  }

  notify(draft: Omit<NotificationDraft, "key"> & { key?: string }): void {
    this.notifications.push({ ...draft, key: draft.key ?? `${draft.type}:${this.s.wave}:${this.s.step}` });
  }

  stepLabel(index = this.s.step): string {
    const waves = this.plan.waves.length > 1 ? `wave ${this.s.wave + 1}/${this.plan.waves.length}, ` : "";
    return `${waves}step ${index + 1}/${this.plan.steps.length} (${describeStep(stepAt(this.plan, index))})`;
  }

  result(): RolloutDecision {
    const after = this.s.traffic;
    const changed = after !== null && (this.before === null || after.length !== this.before.length || after.some((t, i) => !sameTraffic(t, this.before?.[i] as Traffic)));
    return { state: this.s, events: this.events, notifications: this.notifications, callPostRollout: this.callPostRollout, trafficChanged: changed };
  }

  /** Ends the run. */
  finish(phase: "Succeeded" | "RolledBack" | "Aborted", outcome: string): void {
    this.s.phase = phase;
    this.s.outcome = outcome;
    this.s.hold = null;
    this.s.pause = null;
    this.s.traffic = this.plan.waves.map(() => (phase === "Succeeded" ? { mode: "canary" } : { mode: "stable" }));
    this.callPostRollout = true;
  }

  /**
   * The rollout failed (threshold reached, a rollback hook, the deadline):
   * roll back; or, in shadow PauseOnFailure, pause where it is; or, with
   * waves and onFailure Pause, send the failing wave back to stable and pause.
   */
  fail(reason: string): void {
    const shadow = this.spec.shadow?.mode;
    if (shadow === "PauseOnFailure") {
      this.s.pause = { reason: "failure", since: this.now, detail: reason, resumeTo: this.s.phase };
      this.s.phase = "Paused";
      this.event("paused", `paused instead of rolling back (shadow PauseOnFailure): ${reason}`);
      this.notify({ type: "rollout.paused", severity: "ticket", title: "paused after failing its analysis", summary: `${this.stepLabel()}: ${reason}. Shadow mode PauseOnFailure: traffic stays as it is until an operator resumes or aborts.` });
      return;
    }
    if (this.spec.waves?.onFailure === "Pause" && this.plan.waves.length > 1 && shadow !== "RecordOnly") {
      this.traffic[this.s.wave] = { mode: "stable" };
      this.s.pause = { reason: "wave-failure", since: this.now, detail: reason, resumeTo: "Progressing" };
      this.s.phase = "Paused";
      this.s.hold = null;
      const clusters = this.plan.waves[this.s.wave]?.clusters?.join(", ") ?? "every cluster";
      this.event("paused", `wave ${this.s.wave + 1} (${clusters}) failed and is back on stable; earlier waves keep the canary (onFailure: Pause): ${reason}`);
      this.notify({ type: "rollout.paused", severity: "ticket", title: `wave ${this.s.wave + 1} failed; the rollout is paused`, summary: `${this.stepLabel()}: ${reason}. ${clusters} went back to stable; resume retries the wave, abort sends every cluster back to stable.` });
      return;
    }
    const shadowed = shadow === "RecordOnly";
    const at = this.stepLabel();
    this.finish("RolledBack", shadowed ? `would have rolled back at ${at} (shadow RecordOnly): ${reason}` : `rolled back at ${at}: ${reason}`);
    this.event("rolled-back", this.s.outcome ?? reason);
    this.notify({
      type: "rollout.rolled-back",
      severity: shadowed ? "info" : "ticket",
      title: shadowed ? "would have rolled back (shadow mode)" : "rolled back",
      summary: `${this.s.outcome}. ${shadowed ? "No traffic had moved." : "Every cluster sends all traffic to the stable version again."}`,
      key: "rollout.rolled-back",
    });
  }

  /** Counts a failed check; true when the run failed because of it. */
  countFailure(reason: string): boolean {
    this.s.failed++;
    this.event("analysis-failed", `failed check ${this.s.failed}/${this.spec.analysis.threshold}: ${reason}`);
    if (this.s.failed < this.spec.analysis.threshold) return false;
    this.fail(`${this.s.failed} failed checks (threshold ${this.spec.analysis.threshold}); last: ${reason}`);
    return true;
  }

  setHold(reason: HoldReason, detail: string): void {
    if (this.s.hold?.reason === reason) {
      this.s.hold = { ...this.s.hold, detail };
      return;
    }
    this.s.hold = { reason, since: this.now, detail };
    this.event(reason === "no-data" ? "no-data" : "hold", `holding: ${detail}`);
    if (reason === "no-data")
      this.notify({ type: "rollout.no-data", severity: "info", title: "holding: not enough traffic to judge", summary: `${this.stepLabel()}: ${detail}. The step neither passes nor fails until traffic returns.` });
  }

  clearHold(...reasons: HoldReason[]): void {
    if (this.s.hold && reasons.includes(this.s.hold.reason)) {
      if (this.s.hold.reason === "no-data") this.event("data-resumed", "enough traffic again: the step is judged");
      this.s.hold = null;
    }
  }

  /** Applies an interval's result. Returns false when the run ended or paused. */
  applyAnalysis(verdict: IntervalVerdict, webhooks: readonly WebhookOutcome[]): boolean {
    this.s.lastCheckAt = this.now;
    const rollback = webhooks.find((w) => w.type === "rollback" && w.ok);
    if (rollback) {
      this.fail(`the rollback webhook "${rollback.name}" asked for it (HTTP ${rollback.status})`);
      return false;
    }
    const hookFailures = webhooks.filter((w) => w.type === "rollout" && !w.ok);
    for (const w of hookFailures) this.event("webhook-failed", `rollout webhook "${w.name}" failed: ${w.error ?? `HTTP ${w.status}`}`);
    if (verdict.verdict === "fail" || hookFailures.length > 0) {
      const reasons = [...(verdict.verdict === "fail" ? [verdict.reason] : []), ...hookFailures.map((w) => `webhook ${w.name}: ${w.error ?? `HTTP ${w.status}`}`)];
      return !this.countFailure(reasons.join("; "));
    }
    if (verdict.verdict === "no-data") {
      this.setHold("no-data", verdict.reason.replace(/^no data: /, ""));
      return true;
    }
    this.clearHold("no-data");
    this.s.passed++;
    this.event("analysis-passed", `interval passed (${verdict.canaryRequests} canary requests): ${verdict.reason}`);
    return true;
  }

  /** Applies the current step's entry gates. Returns true when the step may be entered now. */
  applyGates(input: TickInput): boolean {
    const gates = entryGates(this.spec, this.plan, this.s);
    if (gates.manual && !this.s.approved) return false;
    const results = input.webhooks ?? [];
    const asked = gates.webhooks.every((type) => results.some((r) => r.type === type)) && (!gates.errorBudget || input.errorBudget !== undefined);
    if (!asked) return gates.webhooks.length === 0 && !gates.errorBudget;
    this.s.lastGateAt = this.now;
    const failed = results.filter((r) => gates.webhooks.includes(r.type) && !r.ok);
    for (const w of failed) this.event("webhook-failed", `${w.type} webhook "${w.name}" refused: ${w.error ?? `HTTP ${w.status}`}`);
    const pre = failed.filter((w) => w.type === "pre-rollout");
    if (pre.length > 0) {
      this.countFailure(`pre-rollout webhook ${pre.map((w) => w.name).join(", ")} failed`);
      return false;
    }
    const confirm = failed.find((w) => w.type === "confirm-traffic-increase" || w.type === "confirm-promotion");
    if (confirm) {
      this.setHold(confirm.type as HoldReason, `${confirm.type} webhook "${confirm.name}" answered ${confirm.error ?? `HTTP ${confirm.status}`}`);
      return false;
    }
    if (gates.errorBudget && input.errorBudget) {
      if (input.errorBudget.verdict === "fail") {
        this.setHold("error-budget", `the error budget refuses promotion: ${input.errorBudget.reason}`);
        return false;
      }
      if (input.errorBudget.verdict === "no-slo") this.event("hold", `error-budget gate: ${input.errorBudget.reason} (not blocking)`);
    }
    return true;
  }

  /** Enters the current step: its traffic is applied now. */
  enter(by: string | null = null): void {
    const step = stepAt(this.plan, this.s.step);
    this.clearHold("confirm-traffic-increase", "confirm-promotion", "error-budget");
    this.s.entered = true;
    this.s.stepStartedAt = this.now;
    this.s.lastCheckAt = this.now;
    this.s.lastGateAt = null;
    this.s.passed = 0;
    this.s.approved = false;
    this.traffic[this.s.wave] = trafficAt(this.plan, this.s.step, hasPreviewMatches(this.spec));
    this.s.phase = step.kind === "promote" ? "Promoting" : "Progressing";
    this.event(step.kind === "promote" ? "promoted" : "step-entered", `${this.stepLabel()} entered${by ? ` by ${by}` : ""}`, by);
    if (step.kind === "approval")
      this.notify({ type: "rollout.waiting-approval", severity: "info", title: "waiting for approval", summary: `${this.stepLabel()}${step.reason ? `: ${step.reason}` : ""}. Approve (promote) in the dashboard or with weft rollout promote.` });
  }

  /** Whether the entered current step is done. */
  complete(): boolean {
    const step = stepAt(this.plan, this.s.step);
    switch (step.kind) {
      case "weight":
      case "promote":
        return this.s.passed >= 1;
      case "pause":
        return this.now.getTime() - this.s.stepStartedAt.getTime() >= step.durationMs;
      case "approval":
        return this.s.approved;
      case "mirror":
      case "match":
      case "preview":
        return this.s.passed >= step.iterations;
    }
  }

  /** Moves past the current step: the next step (not entered yet), the next wave, or success. */
  advance(by: string | null = null): void {
    this.event("step-completed", `${this.stepLabel()} completed${by ? ` (promoted by ${by})` : ""}`, by);
    if (this.s.step < this.plan.steps.length - 1) {
      this.s.step++;
    } else if (this.s.wave < this.plan.waves.length - 1) {
      this.event("wave-completed", `wave ${this.s.wave + 1} (${this.plan.waves[this.s.wave]?.clusters?.join(", ") ?? "every cluster"}) runs the canary`);
      this.s.wave++;
      this.s.step = 0;
    } else {
      this.finish("Succeeded", `promoted: ${this.spec.canary.version} takes all traffic`);
      this.event("succeeded", this.s.outcome ?? "succeeded", by);
      this.notify({ type: "rollout.succeeded", severity: "info", title: "promoted", summary: `${this.spec.canary.version} now takes all of ${this.spec.service.name}'s traffic.`, key: "rollout.succeeded" });
      return;
    }
    this.s.entered = false;
    this.s.passed = 0;
    this.s.approved = false;
    this.s.lastGateAt = null;
    this.s.stepStartedAt = this.now;
    const next = stepAt(this.plan, this.s.step);
    this.s.phase = next.kind === "promote" ? "WaitingPromotion" : "Progressing";
    if (next.kind === "promote" && this.spec.promotion === "Manual")
      this.notify({ type: "rollout.waiting-approval", severity: "info", title: "waiting for approval to promote", summary: `${this.stepLabel()}: promotion is manual. Approve (promote) in the dashboard or with weft rollout promote.` });
  }

  /** Fails the run when it has held longer than the progress deadline. */
  checkDeadline(): void {
    const deadline = this.spec.analysis.progressDeadline;
    if (!deadline || !this.s.hold || isTerminal(this.s.phase) || this.s.phase === "Paused") return;
    const held = this.now.getTime() - this.s.hold.since.getTime();
    if (held >= durationMs(deadline)) this.fail(`the progress deadline (${deadline}) passed while holding: ${this.s.hold.detail}`);
  }
}

/**
 * One controller tick. `input` carries exactly what `dueChecks` asked for
 * (measured after it). Order: the interval's verdict (failures may end the
 * run), the entry gates of a step not entered yet, the completion of an
 * entered step (advancing, and entering the next one at once when it has no
 * gates), then the progress deadline. One step is entered per tick at most,
 * so every step's traffic is written before the next is judged.
 */
export function decide(spec: RolloutSpec, plan: RolloutPlan, state: RolloutRunState, input: TickInput): RolloutDecision {
  const d = new Decider(spec, plan, state, input.now);
  if (isTerminal(state.phase) || state.phase === "Paused") return d.result();
  void d.traffic; // the first decision of a run pins every wave to stable
  if (input.analysis && !d.applyAnalysis(input.analysis, input.webhooks ?? [])) return d.result();
  if (!d.s.entered) {
    if (d.applyGates(input)) d.enter();
    else {
      d.checkDeadline();
      return d.result();
    }
    if (isTerminal(d.s.phase)) return d.result();
  } else if (d.complete()) {
    d.advance();
    if (isTerminal(d.s.phase)) return d.result();
    const gates = entryGates(spec, plan, d.s);
    if (gates.webhooks.length === 0 && !gates.errorBudget && !gates.manual) d.enter();
  }
  d.checkDeadline();
  return d.result();
}

/**
 * Applies an operator's request. Throws {@link RolloutOperationError} when
 * the phase does not allow it (the API answers CONFLICT with the message).
 */
export function applyOperation(spec: RolloutSpec, plan: RolloutPlan, state: RolloutRunState, operation: RolloutOperation, now: Date): RolloutDecision {
  const d = new Decider(spec, plan, state, now);
  const { by } = operation;
  const terminal = isTerminal(state.phase);
  switch (operation.op) {
    case "pause":
      if (terminal || state.phase === "Paused") throw new RolloutOperationError(`the rollout is ${state.phase}: only a running rollout can be paused`);
      d.s.pause = { reason: "operator", since: now, detail: `paused by ${by}`, resumeTo: state.phase };
      d.s.phase = "Paused";
      d.event("paused", `paused by ${by}`, by);
      break;
    case "resume": {
      if (state.phase !== "Paused" || !state.pause) throw new RolloutOperationError(`the rollout is ${state.phase}: only a paused rollout can be resumed`);
      const pause = state.pause;
      d.s.pause = null;
      d.s.hold = null;
      d.s.lastCheckAt = now;
      if (pause.reason === "wave-failure") {
        d.s.step = 0;
        d.s.entered = false;
        d.s.passed = 0;
        d.s.failed = 0;
        d.s.approved = false;
        d.s.lastGateAt = null;
        d.s.stepStartedAt = now;
        d.s.phase = "Progressing";
        d.event("resumed", `resumed by ${by}: wave ${state.wave + 1} starts again from its first step`, by);
      } else {
        if (pause.reason === "failure") d.s.failed = 0;
        d.s.phase = pause.resumeTo;
        d.event("resumed", `resumed by ${by}${pause.reason === "failure" ? " (failed checks reset)" : ""}`, by);
      }
      break;
    }
    case "promote":
      if (terminal) throw new RolloutOperationError(`the rollout is ${state.phase}: there is nothing to promote`);
      if (state.phase === "Paused" && !operation.full) throw new RolloutOperationError("the rollout is paused: resume it first, or promote it fully");
      d.event("approved", operation.full ? `${by} promoted the canary to every cluster` : `${by} approved ${d.stepLabel()}`, by);
      if (operation.full) {
        d.finish("Succeeded", `promoted fully by ${by}: ${spec.canary.version} takes all traffic`);
        d.event("succeeded", d.s.outcome ?? "succeeded", by);
        d.notify({ type: "rollout.succeeded", severity: "info", title: "promoted", summary: `${by} promoted ${spec.canary.version} to every cluster.`, key: "rollout.succeeded" });
      } else if (!state.entered && awaitingApproval(spec, plan, state)) {
        // Approving a manual promotion: the promotion's other gates (confirm hooks, error budget) still apply.
        d.s.approved = true;
        d.s.lastGateAt = null;
      } else if (!state.entered) {
        // Gates refusing (a confirm hook, the error budget): the operator overrides them.
        d.s.approved = true;
        d.enter(by);
      } else {
        d.advance(by);
        if (!isTerminal(d.s.phase)) {
          const gates = entryGates(spec, plan, d.s);
          if (gates.webhooks.length === 0 && !gates.errorBudget && !gates.manual) d.enter();
        }
      }
      break;
    case "abort":
      if (terminal) throw new RolloutOperationError(`the rollout is already ${state.phase}`);
      d.finish("Aborted", `aborted by ${by}${operation.reason ? `: ${operation.reason}` : ""}; every cluster is back on ${spec.stable.version}`);
      d.event("aborted", d.s.outcome ?? "aborted", by);
      d.notify({ type: "rollout.aborted", severity: "info", title: "aborted", summary: d.s.outcome ?? "aborted", key: "rollout.aborted" });
      break;
    case "retry": {
      if (state.phase !== "RolledBack" && state.phase !== "Aborted") throw new RolloutOperationError(`the rollout is ${state.phase}: only a rolled back or aborted rollout can be retried`);
      const fresh = initialRunState(now, state.attempt + 1, state.traffic);
      Object.assign(d.s, fresh);
      d.event("retried", `attempt ${fresh.attempt} started by ${by}`, by);
      break;
    }
  }
  return d.result();
}

/** The run waits for an operator's approval: an entered approval step, or a manual promotion. */
export function awaitingApproval(spec: RolloutSpec, plan: RolloutPlan, state: RolloutRunState): boolean {
  if (isTerminal(state.phase) || state.phase === "Paused") return false;
  const step = plan.steps[state.step];
  if (!step) return false;
  if (step.kind === "approval") return state.entered && !state.approved;
  return step.kind === "promote" && !state.entered && spec.promotion === "Manual" && !state.approved;
}
