// The staged root rotation's step logic, pure: state + observations in, next step and actions out.
import { describe, expect, it } from "vitest";
import { planRotation, type ClusterObservation, type RotationState } from "../src/features/identity/rotation-plan.ts";

const cluster = (name: string, over: Partial<ClusterObservation> = {}): ClusterObservation => ({
  cluster: name,
  bundleVersion: 5n,
  hasNewIntermediate: true,
  certificates: { total: 4, migrated: 4 },
  ...over,
});
const state = (step: RotationState["step"], over: Partial<RotationState> = {}): RotationState => ({ step, paused: false, awaitBundleVersion: 5n, ...over });

describe("planRotation", () => {
  it.each([
    ["ADD_ROOT waits for a cluster still on an older bundle", state("ADD_ROOT"), [cluster("east"), cluster("west", { bundleVersion: 4n })], "ADD_ROOT", [], ["west"]],
    ["ADD_ROOT waits for a cluster that never acknowledged", state("ADD_ROOT"), [cluster("east", { bundleVersion: null })], "ADD_ROOT", [], ["east"]],
    ["ADD_ROOT activates the new CA once every cluster runs the bundle", state("ADD_ROOT"), [cluster("east"), cluster("west", { bundleVersion: 6n })], "ISSUE_INTERMEDIATES", ["activate-new"], ["east", "west"]],
    ["ISSUE_INTERMEDIATES waits for intermediates under the new CA", state("ISSUE_INTERMEDIATES"), [cluster("east"), cluster("west", { hasNewIntermediate: false })], "ISSUE_INTERMEDIATES", [], ["west"]],
    ["ISSUE_INTERMEDIATES moves on without a bundle change", state("ISSUE_INTERMEDIATES"), [cluster("east"), cluster("west", { certificates: { total: 2, migrated: 1 } })], "MIGRATE_WORKLOADS", [], ["west"]],
    ["MIGRATE_WORKLOADS waits for every certificate", state("MIGRATE_WORKLOADS"), [cluster("east", { certificates: { total: 3, migrated: 2 } })], "MIGRATE_WORKLOADS", [], ["east"]],
    ["MIGRATE_WORKLOADS: a cluster without workloads has nothing to migrate", state("MIGRATE_WORKLOADS"), [cluster("east", { certificates: { total: 0, migrated: 0 } })], "REMOVE_OLD_ROOT", ["retire-old"], ["east"]],
    ["REMOVE_OLD_ROOT completes once every cluster runs the bundle without the old root", state("REMOVE_OLD_ROOT"), [cluster("east")], "COMPLETED", [], []],
    ["a paused rotation does not move", state("ADD_ROOT", { paused: true }), [cluster("east")], "ADD_ROOT", [], []],
    ["a finished rotation does not move", state("COMPLETED"), [cluster("east", { bundleVersion: 1n })], "COMPLETED", [], []],
    ["with no active cluster, nothing blocks", state("ADD_ROOT"), [], "ISSUE_INTERMEDIATES", ["activate-new"], []],
  ] as const)("%s", (_name, current, clusters, step, actions, waitingFor) => {
    const decision = planRotation(current, clusters);
    expect(decision.step).toBe(step);
    expect(decision.actions).toEqual(actions);
    expect(decision.progress.waitingFor).toEqual(waitingFor);
    expect(decision.completed).toBe(step === "COMPLETED" && current.step !== "COMPLETED");
  });

  it("reports migration progress per cluster as a percentage", () => {
    const decision = planRotation(state("MIGRATE_WORKLOADS"), [cluster("west", { certificates: { total: 3, migrated: 1 } }), cluster("east", { certificates: { total: 0, migrated: 0 } })]);
    expect(decision.progress.clusters.map((c) => [c.cluster, c.certificates.percent, c.done])).toEqual([
      ["east", 100, true],
      ["west", 33.3, false],
    ]);
  });

  it("steps that publish a new bundle await it", () => {
    expect(planRotation(state("ADD_ROOT"), [cluster("east")]).awaitNewBundle).toBe(true);
    expect(planRotation(state("MIGRATE_WORKLOADS"), [cluster("east")]).awaitNewBundle).toBe(true);
    expect(planRotation(state("ISSUE_INTERMEDIATES"), [cluster("east")]).awaitNewBundle).toBe(false);
  });
});
