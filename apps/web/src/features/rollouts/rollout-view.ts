// What the rollout page and list show, independent of how the manager
// shapes its answers: use-rollouts.ts maps the API's output onto these.
import type { RolloutEventType, RolloutPhase, RolloutRunState, RolloutSpec } from "@weft/mesh-model";
import type { RolloutListItem } from "./rollouts-list.ts";
import type { StoredCheck } from "./verdict-rows.ts";

export interface RolloutEventView {
  id: string;
  at: Date;
  type: RolloutEventType;
  message: string;
  /** An operator's name; null for the controller. */
  by: string | null;
  wave: number;
  step: number;
}

export interface RolloutDetailView {
  namespace: string;
  name: string;
  spec: RolloutSpec;
  state: Pick<RolloutRunState, "phase" | "attempt" | "wave" | "step" | "entered" | "passed" | "failed" | "hold" | "pause" | "traffic" | "outcome" | "stepStartedAt">;
  awaitingApproval: boolean;
  startedAt: Date;
  finishedAt: Date | null;
  /** Clusters the service runs in (a rollout over every cluster covers each of them). */
  clusters: string[];
  /** Oldest first. */
  events: RolloutEventView[];
  checks: StoredCheck[];
}

export type { RolloutListItem, RolloutPhase };

/** The operations an operator may ask for in a phase (the manager decides; this only hides buttons that would fail). */
export function allowedOperations(phase: RolloutPhase, awaitingApproval: boolean): { pause: boolean; resume: boolean; promote: boolean; approve: boolean; abort: boolean; retry: boolean } {
  const terminal = phase === "Succeeded" || phase === "RolledBack" || phase === "Aborted";
  return {
    pause: !terminal && phase !== "Paused",
    resume: phase === "Paused",
    approve: awaitingApproval,
    promote: !terminal,
    abort: !terminal,
    retry: phase === "RolledBack" || phase === "Aborted",
  };
}
