import { describe, expect, it } from "vitest";
import { make } from "../testing/fixtures.ts";
import { describeStep, increasesCanaryTraffic, planOf, stepWeights, trafficAt, weightTimeline, type Traffic } from "./rollout-steps.ts";

type SpecInput = Parameters<typeof make<"Rollout">>[2];
const spec = (extra: Partial<SpecInput>) => make("Rollout", "catalog", { service: { name: "catalog" }, stable: { version: "v1" }, canary: { version: "v2" }, strategy: { canary: { stepWeight: 25 } }, ...extra }).spec;

describe("planOf", () => {
  it.each([
    ["stepWeight 25", spec({}), ["25 %", "50 %", "75 %", "promote (100 %)"]],
    ["stepWeight 30 up to 70", spec({ strategy: { canary: { stepWeight: 30, maxWeight: 70 } } }), ["30 %", "60 %", "promote (100 %)"]],
    ["stepWeight 50 up to 100", spec({ strategy: { canary: { stepWeight: 50 } } }), ["50 %", "promote (100 %)"]],
    [
      "explicit steps",
      spec({ strategy: { canary: { steps: [{ setWeight: 10 }, { pause: { duration: "90s" } }, { approval: {} }, { setWeight: 100 }] } } }),
      ["10 %", "pause 1m30s", "approval", "promote (100 %)"],
    ],
    ["A/B", spec({ strategy: { abTesting: { matches: [{ headers: [{ name: "x-canary", value: "1" }] }], iterations: 3 } } }), ["A/B ×3", "promote (100 %)"]],
    ["blue-green after a mirror phase", spec({ strategy: { blueGreen: { previewIterations: 2 }, mirror: { percent: 50, iterations: 2 } } }), ["mirror 50 % ×2", "preview ×2", "promote (100 %)"]],
  ])("%s", (_name, s, expected) => {
    expect(planOf(s).steps.map(describeStep)).toEqual(expected);
  });

  it.each([
    ["no clusters: one wave, every cluster", spec({}), [null]],
    ["clusters: one wave of them", spec({ clusters: ["east", "west"] }), [["east", "west"]]],
    ["waves", spec({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west", "north"] }] } }), [["east"], ["west", "north"]]],
  ])("waves with %s", (_name, s, expected) => {
    expect(planOf(s).waves.map((w) => w.clusters)).toEqual(expected);
  });

  it("stepWeights never repeats 100 (the promotion is its own step)", () => {
    expect(stepWeights(20)).toEqual([20, 40, 60, 80]);
    expect(stepWeights(100)).toEqual([]);
  });
});

describe("trafficAt", () => {
  const plan = planOf(spec({ strategy: { canary: { steps: [{ pause: { duration: "1m" } }, { setWeight: 10 }, { approval: {} }, { setWeight: 100 }] }, mirror: { percent: 20, iterations: 1 } } }));
  it.each<[number, Traffic]>([
    [0, { mode: "mirror", percent: 20 }],
    [1, { mode: "mirror", percent: 20 }],
    [2, { mode: "weighted", weight: 10 }],
    [3, { mode: "weighted", weight: 10 }],
    [4, { mode: "canary" }],
  ])("step %i", (index, expected) => {
    expect(trafficAt(plan, index, false)).toEqual(expected);
  });

  it("a blue-green preview sends only previewMatches to the canary, or nothing", () => {
    const bg = planOf(spec({ strategy: { blueGreen: {} } }));
    expect(trafficAt(bg, 0, false)).toEqual({ mode: "stable" });
    expect(trafficAt(bg, 0, true)).toEqual({ mode: "match" });
  });
});

describe("increasesCanaryTraffic", () => {
  it.each<[Traffic, Traffic, boolean]>([
    [{ mode: "stable" }, { mode: "weighted", weight: 10 }, true],
    [{ mode: "weighted", weight: 10 }, { mode: "weighted", weight: 10 }, false],
    [{ mode: "weighted", weight: 50 }, { mode: "weighted", weight: 20 }, false],
    [{ mode: "mirror", percent: 100 }, { mode: "weighted", weight: 5 }, true],
    [{ mode: "stable" }, { mode: "mirror", percent: 100 }, false],
    [{ mode: "stable" }, { mode: "match" }, true],
    [{ mode: "weighted", weight: 90 }, { mode: "canary" }, true],
  ])("%j → %j: %s", (from, to, expected) => {
    expect(increasesCanaryTraffic(from, to)).toBe(expected);
  });
});

describe("weightTimeline (the wizard's preview)", () => {
  it("draws every step of every wave, intervals passing at once", () => {
    const plan = planOf(spec({ analysis: { interval: "30s" }, strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: "2m" } }, { approval: {} }, { setWeight: 100 }] } }, waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }] } }));
    expect(weightTimeline(plan).map((s) => [s.wave, s.kind, s.fromMs / 1000, s.toMs / 1000, s.weight, s.gate])).toEqual([
      [0, "weight", 0, 30, 20, false],
      [0, "pause", 30, 150, 20, false],
      [0, "approval", 150, 150, 20, true],
      [0, "promote", 150, 180, 100, false],
      [1, "weight", 180, 210, 20, false],
      [1, "pause", 210, 330, 20, false],
      [1, "approval", 330, 330, 20, true],
      [1, "promote", 330, 360, 100, false],
    ]);
  });

  it("shows mirror copies apart from live weight, and A/B without a fixed share", () => {
    const plan = planOf(spec({ analysis: { interval: "1m" }, strategy: { abTesting: { matches: [{ headers: [{ name: "x", value: "1" }] }], iterations: 2 }, mirror: { percent: 100, iterations: 1 } } }));
    expect(weightTimeline(plan).map((s) => [s.kind, s.toMs - s.fromMs, s.weight, s.mirrorPercent])).toEqual([
      ["mirror", 60_000, 0, 100],
      ["match", 120_000, null, null],
      ["promote", 60_000, 100, null],
    ]);
  });
});
