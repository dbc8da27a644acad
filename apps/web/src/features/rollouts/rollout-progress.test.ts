import { describe, expect, it } from "vitest";
import { clusterProgress } from "./rollout-progress.ts";

describe("clusterProgress", () => {
  it("gives each cluster its wave's traffic", () => {
    const plan = { waves: [{ clusters: ["east"] }, { clusters: ["west"] }] };
    expect(clusterProgress(plan, [{ mode: "canary" }, { mode: "weighted", weight: 20 }], 1, ["west", "east", "north"])).toEqual([
      { cluster: "east", wave: 0, weight: 100, mode: "canary", current: false },
      { cluster: "north", wave: -1, weight: 0, mode: "stable", current: false },
      { cluster: "west", wave: 1, weight: 20, mode: "weighted", current: true },
    ]);
  });

  it("a rollout over every cluster moves them together", () => {
    expect(clusterProgress({ waves: [{ clusters: null }] }, [{ mode: "match" }], 0, ["east", "west"]).map((c) => [c.cluster, c.weight, c.mode])).toEqual([
      ["east", null, "match"],
      ["west", null, "match"],
    ]);
  });
});
