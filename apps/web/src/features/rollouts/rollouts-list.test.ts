import { describe, expect, it } from "vitest";
import { filterRollouts, phaseBadge, sortRollouts, type RolloutListItem } from "./rollouts-list.ts";

const item = (name: string, phase: string, extra: Partial<RolloutListItem> = {}): RolloutListItem => ({ namespace: "shop", name, service: name, phase, awaitingApproval: false, clusters: [], updatedAt: new Date(1000), finishedAt: null, ...extra });

describe("the rollouts list", () => {
  it("puts the ones waiting for an approval first, then paused, running, finished (newest first)", () => {
    const items = [
      item("done-old", "Succeeded", { finishedAt: new Date(10) }),
      item("running", "Progressing"),
      item("gate", "Progressing", { awaitingApproval: true, namespace: "payments" }),
      item("done-new", "RolledBack", { finishedAt: new Date(500) }),
      item("paused", "Paused"),
    ];
    expect(sortRollouts(items).map((r) => r.name)).toEqual(["gate", "paused", "running", "done-new", "done-old"]);
  });

  it.each([
    ["namespace", { namespace: "payments" }, ["b"]],
    ["cluster (a rollout over every cluster is in each)", { cluster: "west" }, ["a", "c"]],
    ["search", { search: "PAY" }, ["b"]],
    ["active only", { active: true }, ["a", "b"]],
  ])("filters by %s", (_name, filter, names) => {
    const items = [item("a", "Progressing"), item("b", "Paused", { namespace: "payments", clusters: ["east"] }), item("c", "Succeeded")];
    expect(filterRollouts(items, filter).map((r) => r.name)).toEqual(names);
  });

  it("says 'waiting for approval' before the phase", () => {
    expect(phaseBadge("WaitingPromotion", true)).toEqual({ tone: "warn", label: "waiting for approval" });
    expect(phaseBadge("RolledBack", false)).toEqual({ tone: "bad", label: "rolled back" });
  });
});
