// What the API answers about rollouts (rollouts.list / rollouts.get): stored
// runs mapped to views the dashboard and the CLI show as they are.
import {
  awaitingApproval,
  canaryShare,
  describeStep,
  planOf,
  weightTimeline,
  type Rollout,
  type RolloutPhase,
  type RolloutPlan,
  type RolloutRunState,
  type TimelineSegment,
  type Traffic,
} from "@weft/mesh-model";
import type { ApprovalRecord, CheckRecord, EventRecord, RunRecord, StepRecord } from "./rollouts.repository.ts";

/** One run in the rollouts list. */
export interface RolloutRunSummary {
  id: string;
  namespace: string;
  /** Name of the Rollout resource. */
  name: string;
  /** The Rollout revision the run executes. */
  rolloutRevision: number;
  service: string;
  stableVersion: string;
  canaryVersion: string;
  /** The HTTPRoute the run drives (in `namespace`). */
  routeName: string;
  phase: RolloutPhase;
  /** The run has not ended (it owns its route). */
  active: boolean;
  attempt: number;
  /** 0-based wave and step; `waves`/`steps` are the counts. */
  wave: number;
  waves: number;
  step: number;
  steps: number;
  /** "step 2/5 (20 %)", with "wave 1/2, " in front when there are waves. */
  stepLabel: string;
  /** The canary's share of live requests in the current wave now (null for an A/B match: only matching requests). */
  canaryWeight: number | null;
  /** An operator's approval is awaited (approve or promote releases it). */
  awaitingApproval: boolean;
  /** Why it holds, is paused or ended. */
  message: string;
  /** Failed checks in this attempt, and the threshold that rolls it back. */
  failedChecks: number;
  threshold: number;
  startedBy: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** Traffic of one cluster (or, `cluster: null`, of every cluster the rollout does not name). */
export interface ClusterWeight {
  cluster: string | null;
  wave: number;
  traffic: Traffic;
  /** The canary's share of live requests (null for an A/B match). */
  canaryWeight: number | null;
}

/** One run with everything the rollout page shows. */
export interface RolloutRunDetail {
  run: RolloutRunSummary;
  /** The Rollout document the run executes (its revision, defaults filled in). */
  document: Rollout;
  /** The controller's stored state. */
  state: RolloutRunState;
  /** The steps and waves the controller walks, and the weight-over-time preview. */
  plan: RolloutPlan;
  timeline: TimelineSegment[];
  /** Per cluster: the traffic now. */
  clusters: ClusterWeight[];
  /** Every applied step (one per attempt, wave and step), with the route revision that applied it. */
  steps: StepRecord[];
  /** Judged checks, newest first (at most 500): query, values, threshold, sample count, verdict. */
  checks: CheckRecord[];
  /** The timeline of the run, newest first (at most 500). */
  events: EventRecord[];
  /** Manual gates released, with the approver's identity. */
  approvals: ApprovalRecord[];
}

export function stepLabelOf(plan: RolloutPlan, state: Pick<RolloutRunState, "wave" | "step">): string {
  const step = plan.steps[state.step];
  const waves = plan.waves.length > 1 ? `wave ${state.wave + 1}/${plan.waves.length}, ` : "";
  return `${waves}step ${state.step + 1}/${plan.steps.length}${step ? ` (${describeStep(step)})` : ""}`;
}

export function summaryOf(run: RunRecord): RolloutRunSummary {
  const spec = run.document.spec;
  const plan = planOf(spec);
  const traffic = run.state.traffic?.[run.state.wave] ?? { mode: "stable" };
  return {
    id: run.id,
    namespace: run.namespace,
    name: run.name,
    rolloutRevision: run.rolloutRevision,
    service: run.service,
    stableVersion: run.stableVersion,
    canaryVersion: run.canaryVersion,
    routeName: run.routeName,
    phase: run.phase,
    active: run.active,
    attempt: run.attempt,
    wave: run.wave,
    waves: plan.waves.length,
    step: run.step,
    steps: plan.steps.length,
    stepLabel: stepLabelOf(plan, run.state),
    canaryWeight: canaryShare(traffic),
    awaitingApproval: run.awaitingApproval,
    message: run.message,
    failedChecks: run.state.failed,
    threshold: spec.analysis.threshold,
    startedBy: run.startedBy,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
  };
}

/** Per-cluster traffic: each wave's clusters, and `null` for the clusters no wave names (they stay on stable). */
export function clusterWeights(plan: RolloutPlan, state: RolloutRunState): ClusterWeight[] {
  const out: ClusterWeight[] = [];
  plan.waves.forEach((wave, w) => {
    const traffic = state.traffic?.[w] ?? { mode: "stable" };
    for (const cluster of wave.clusters ?? [null]) out.push({ cluster, wave: w, traffic, canaryWeight: canaryShare(traffic) });
  });
  if (plan.waves.every((w) => w.clusters !== null)) out.push({ cluster: null, wave: -1, traffic: { mode: "stable" }, canaryWeight: 0 });
  return out;
}

export function detailOf(run: RunRecord, rows: { steps: StepRecord[]; checks: CheckRecord[]; events: EventRecord[]; approvals: ApprovalRecord[] }): RolloutRunDetail {
  const plan = planOf(run.document.spec);
  return {
    run: summaryOf(run),
    document: run.document,
    state: run.state,
    plan,
    timeline: weightTimeline(plan, (run.document.spec.strategy.blueGreen?.previewMatches?.length ?? 0) > 0),
    clusters: clusterWeights(plan, run.state),
    ...rows,
  };
}

/** Whether the run waits for an operator (stored on the row so the list can sort by it). */
export function waitsForApproval(run: Pick<RunRecord, "document">, state: RolloutRunState): boolean {
  return awaitingApproval(run.document.spec, planOf(run.document.spec), state);
}
