import { RolloutSchema } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { draftToDocument, initialDraft, parseWeights, validateDraft, type RolloutDraft } from "./rollout-draft.ts";

const draft = (over: Partial<RolloutDraft> = {}): RolloutDraft => ({ ...initialDraft("shop", "catalog", "v1", "v2"), ...over });

describe("draftToDocument", () => {
  it("makes a valid canary rollout from the defaults: 10/25/50, then promotion", () => {
    const doc = RolloutSchema.parse(draftToDocument(draft()));
    expect(doc.spec.strategy.canary?.steps).toEqual([{ setWeight: 10 }, { setWeight: 25 }, { setWeight: 50 }, { setWeight: 100 }]);
    expect(doc.spec.analysis.metrics).toEqual([{ name: "success-rate", type: "SuccessRate", min: 99, maxDropVsStable: 1, mode: "Blocking" }]);
    expect(doc.spec.clusters).toBeUndefined();
  });

  it.each<[string, Partial<RolloutDraft>, (d: ReturnType<typeof RolloutSchema.parse>) => unknown, unknown]>([
    ["a gate before promotion", { approvalBeforePromotion: true }, (d) => d.spec.strategy.canary?.steps?.at(-2), { approval: { reason: "check the canary before promotion" } }],
    ["waves, one per cluster", { clusters: ["east", "west"], waves: true, onWaveFailure: "Pause" }, (d) => d.spec.waves, { groups: [{ clusters: ["east"] }, { clusters: ["west"] }], onFailure: "Pause" }],
    ["A/B by header and cookie", { strategy: "abTesting", abCookie: { name: "beta", value: "yes" }, iterations: 3 }, (d) => d.spec.strategy.abTesting, { matches: [{ headers: [{ type: "Exact", name: "x-canary", value: "always" }] }, { cookies: [{ name: "beta", value: "yes" }] }], iterations: 3 }],
    ["a latency check from the baseline", { p99MaxMs: 80, p99MaxIncrease: 50, latencyAdvisory: true }, (d) => d.spec.analysis.metrics[1], { name: "latency-p99", type: "LatencyP99", max: "80ms", maxIncreaseVsStable: 50, mode: "Advisory" }],
    ["a mirror phase first", { mirror: { enabled: true, percent: 50, iterations: 2 } }, (d) => d.spec.strategy.mirror, { percent: 50, iterations: 2 }],
    ["shadow mode", { shadow: "RecordOnly" }, (d) => d.spec.shadow, { mode: "RecordOnly" }],
  ])("%s", (_name, over, pick, expected) => {
    expect(pick(RolloutSchema.parse(draftToDocument(draft(over))))).toEqual(expected);
  });
});

describe("validateDraft names the field of every problem", () => {
  it.each<[string, Partial<RolloutDraft>, string[]]>([
    ["a valid draft", {}, []],
    ["no canary version chosen", { canary: "" }, ["spec.canary.version"]],
    ["the canary is the stable version", { canary: "v1" }, ["spec.canary.version"]],
    ["a weight above 100", { weights: [10, 150] }, ["spec.strategy.canary.steps[1].setWeight"]],
    ["a weight that is not a number", { weights: [10, Number.NaN] }, ["spec.strategy.canary.steps[1].setWeight"]],
    ["a bad interval", { interval: "soon" }, ["spec.analysis.interval"]],
  ])("%s", (_name, over, paths) => {
    expect([...new Set(validateDraft(draft(over)).map((i) => i.path))]).toEqual(paths);
  });
});

it("parseWeights reads a list as typed", () => {
  expect(parseWeights("5, 20 50")).toEqual([5, 20, 50]);
  expect(parseWeights("5, x")).toEqual([5, Number.NaN]);
});
