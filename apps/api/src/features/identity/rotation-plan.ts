// The staged root rotation's decisions, pure: the rotation's state and what
// the controller observed in, the next state and the actions to take out.
// The controller (rotation.controller.ts) only reads, calls this and writes.
import type { ClusterProgress, RotationProgress, RotationStep } from "./identity.schema.ts";

/** The parts of a rotation the plan decides on. */
export interface RotationState {
  step: RotationStep;
  paused: boolean;
  /** Bundle version every active cluster must acknowledge before the step may end. */
  awaitBundleVersion: bigint | null;
  /**
   * Set once an operator reversed the rotation: from/to are swapped and the
   * same steps carry every cluster back to the old root; the last step ends
   * in REVERSED rather than COMPLETED.
   */
  reversedAt?: Date | null;
}

/** One active cluster as the controller saw it. */
export interface ClusterObservation {
  cluster: string;
  /** Cluster.trustBundleVersion: the bundle every one of its proxies runs. */
  bundleVersion: bigint | null;
  /** It holds a non-revoked intermediate signed by the rotation's new authority. */
  hasNewIntermediate: boolean;
  /** Its last reported workload certificates: how many, and how many chain to the new root. */
  certificates: { total: number; migrated: number };
}

/**
 * What the controller does after deciding:
 * - `activate-new`: the new authority signs (ACTIVE), the old one drains (DRAINING);
 * - `retire-old`: the old authority leaves every bundle (RETIRED);
 * Both change what clusters trust, so both bump Mesh.trustBundleVersion and the
 * next step awaits that version.
 */
export type RotationAction = "activate-new" | "retire-old";

export interface RotationDecision {
  step: RotationStep;
  /** Actions to apply, in order, in the same transaction as the new step. */
  actions: RotationAction[];
  /** True when the step awaits the bundle version the actions' bump produces. */
  awaitNewBundle: boolean;
  /** The step finished the rotation. */
  completed: boolean;
  /** Progress of the step the rotation is in afterwards (as observed now). */
  progress: Omit<RotationProgress, "computedAt">;
}

/** Steps that still wait for clusters (the others are terminal). */
export const OPEN_STEPS: readonly RotationStep[] = ["ADD_ROOT", "ISSUE_INTERMEDIATES", "MIGRATE_WORKLOADS", "REMOVE_OLD_ROOT"];

/** Steps a rotation may be reversed from: the old root is still in every bundle. */
export const REVERSIBLE_STEPS: readonly RotationStep[] = ["ADD_ROOT", "ISSUE_INTERMEDIATES", "MIGRATE_WORKLOADS"];

function percent(c: ClusterObservation["certificates"]): number {
  return c.total === 0 ? 100 : Math.floor((c.migrated / c.total) * 1000) / 10;
}

/** Whether `cluster` no longer blocks `step`. */
export function clusterDone(step: RotationStep, awaitBundleVersion: bigint | null, cluster: ClusterObservation): boolean {
  switch (step) {
    case "ADD_ROOT":
    case "REMOVE_OLD_ROOT":
      return awaitBundleVersion === null || (cluster.bundleVersion !== null && cluster.bundleVersion >= awaitBundleVersion);
    case "ISSUE_INTERMEDIATES":
      return cluster.hasNewIntermediate;
    case "MIGRATE_WORKLOADS":
      // A cluster with no workloads has nothing to migrate.
      return cluster.certificates.migrated === cluster.certificates.total;
    default:
      return true;
  }
}

function progressOf(step: RotationStep, awaitBundleVersion: bigint | null, clusters: readonly ClusterObservation[]): Omit<RotationProgress, "computedAt"> {
  const rows: ClusterProgress[] = [...clusters]
    .sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0))
    .map((c) => ({
      cluster: c.cluster,
      done: clusterDone(step, awaitBundleVersion, c),
      bundleVersion: c.bundleVersion === null ? null : c.bundleVersion.toString(),
      hasNewIntermediate: c.hasNewIntermediate,
      certificates: { total: c.certificates.total, migrated: c.certificates.migrated, percent: percent(c.certificates) },
    }));
  return { clusters: rows, waitingFor: rows.filter((r) => !r.done).map((r) => r.cluster) };
}

const NEXT: Partial<Record<RotationStep, { step: RotationStep; actions: RotationAction[]; awaitNewBundle: boolean }>> = {
  ADD_ROOT: { step: "ISSUE_INTERMEDIATES", actions: ["activate-new"], awaitNewBundle: true },
  ISSUE_INTERMEDIATES: { step: "MIGRATE_WORKLOADS", actions: [], awaitNewBundle: false },
  MIGRATE_WORKLOADS: { step: "REMOVE_OLD_ROOT", actions: ["retire-old"], awaitNewBundle: true },
  REMOVE_OLD_ROOT: { step: "COMPLETED", actions: [], awaitNewBundle: false },
};

/**
 * One controller tick's decision: a running rotation whose every active
 * cluster is done with the current step moves one step on (never more per
 * tick, so each step's effects are written before the next is judged). A
 * paused or finished rotation only gets fresh progress.
 */
export function planRotation(state: RotationState, clusters: readonly ClusterObservation[]): RotationDecision {
  const here = progressOf(state.step, state.awaitBundleVersion, clusters);
  const next = NEXT[state.step];
  if (state.paused || !next || here.waitingFor.length > 0) return { step: state.step, actions: [], awaitNewBundle: false, completed: false, progress: here };
  // The new step's own progress; a step awaiting a fresh bundle waits for everyone by definition.
  const progress = next.awaitNewBundle
    ? { clusters: here.clusters.map((c) => ({ ...c, done: false })), waitingFor: here.clusters.map((c) => c.cluster) }
    : progressOf(next.step, null, clusters);
  const step = next.step === "COMPLETED" && state.reversedAt ? "REVERSED" : next.step;
  return { step, actions: next.actions, awaitNewBundle: next.awaitNewBundle, completed: step === "COMPLETED" || step === "REVERSED", progress };
}
