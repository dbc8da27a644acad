import type { RolloutCheck } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { verdictCounts, verdictRows, type StoredCheck } from "./verdict-rows.ts";

const metric: RolloutCheck = {
  kind: "metric",
  name: "success-rate",
  type: "SuccessRate",
  mode: "Blocking",
  cluster: "west",
  verdict: "fail",
  value: 95,
  stableValue: 99.9,
  threshold: { op: ">=", value: 99, unit: "%" },
  samples: { canary: 200, stable: 1800 },
  comparison: { limit: 1, unit: "points", difference: -4.9, effectSize: -0.31, verdict: "fail" },
  warnings: [],
  reason: "95 % misses >= 99 %",
};
const webhook: RolloutCheck = { kind: "webhook", name: "smoke", type: "rollout", url: "http://ci/smoke", verdict: "fail", status: null, attempts: 3, durationMs: 3000, error: "timed out after 1s", reason: "timed out" };
const stored = (id: string, at: number, check: RolloutCheck, step = 0): StoredCheck => ({ id, at: new Date(at), attempt: 1, wave: 0, step, windowFrom: null, windowTo: null, query: "q", check });

describe("verdictRows", () => {
  it("shows the numbers each check judged, newest first", () => {
    const rows = verdictRows([stored("1", 1000, metric), stored("2", 2000, webhook, 1)], { waves: 1, attempts: 1 });
    expect(rows.map((r) => [r.where, r.check, r.scope, r.verdict, r.numbers, r.effectSize])).toEqual([
      ["step 2", "smoke (rollout webhook)", "—", "fail", "timed out after 1s after 3 attempts", null],
      ["step 1", "success-rate", "west", "fail", "95 % (≥ 99 %, -4.9 points vs stable; n=200/1800)", -0.31],
    ]);
    expect(verdictCounts(rows)).toEqual({ pass: 0, fail: 2, "no-data": 0, "no-slo": 0 });
  });

  it("names the wave and attempt when there are several", () => {
    const [row] = verdictRows([{ ...stored("1", 1, metric), attempt: 2, wave: 1 }], { waves: 2, attempts: 2 });
    expect(row?.where).toBe("attempt 2 · step 1 · wave 2");
  });
});
