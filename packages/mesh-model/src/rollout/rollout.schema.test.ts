import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";
import { RolloutSchema } from "./rollout.schema.ts";

const base = { service: { name: "catalog" }, stable: { version: "v1" }, canary: { version: "v2" } };
const rollout = (spec: Record<string, unknown>) => doc("Rollout", { ...base, strategy: { canary: { stepWeight: 20 } }, ...spec });
const canary = (c: Record<string, unknown>) => rollout({ strategy: { canary: c } });
const analysis = (a: Record<string, unknown>) => rollout({ analysis: a });

describe("Rollout schema: valid documents", () => {
  it.each([
    ["stepWeight alone", canary({ stepWeight: 10 })],
    ["stepWeight up to maxWeight", canary({ stepWeight: 10, maxWeight: 50 })],
    ["explicit steps with a pause and a gate", canary({ steps: [{ setWeight: 5 }, { pause: { duration: "1m" } }, { setWeight: 50 }, { approval: { reason: "check the dashboards" } }, { setWeight: 100 }] })],
    ["A/B by header and cookie", rollout({ strategy: { abTesting: { matches: [{ headers: [{ name: "x-canary", value: "insider" }] }, { cookies: [{ name: "canary", value: "always" }] }], iterations: 5 } } })],
    ["blue-green after a mirror phase", rollout({ strategy: { blueGreen: { previewIterations: 3, previewMatches: [{ headers: [{ name: "x-preview", value: "1" }] }] }, mirror: { percent: 50, iterations: 2 } } })],
    ["two waves over two clusters", rollout({ clusters: ["east", "west"], waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }], onFailure: "Pause" } })],
    ["waves without spec.clusters", rollout({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }] } })],
    [
      "every analysis field",
      analysis({
        interval: "30s",
        threshold: 3,
        minRequests: 100,
        metrics: [
          { name: "success", type: "SuccessRate", min: 99.5, maxDropVsStable: 0.5 },
          { name: "p99", type: "LatencyP99", max: "500ms", maxIncreaseVsStable: 20, mode: "Advisory" },
          { name: "p95", type: "LatencyP95", max: "200ms" },
        ],
        webhooks: [{ name: "smoke", type: "pre-rollout", url: "https://ci.example/smoke", timeout: "10s", retries: 1, metadata: { suite: "smoke" } }],
        errorBudgetGate: true,
        progressDeadline: "30m",
      }),
    ],
    ["session affinity and manual promotion in shadow mode", rollout({ sessionAffinity: { cookieName: "sticky", maxAge: "1h" }, promotion: "Manual", shadow: { mode: "PauseOnFailure" } })],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it("fills the defaults: a 1m interval, threshold 5, 50 requests, a success-rate check", () => {
    const parsed = RolloutSchema.parse(rollout({}));
    expect(parsed.spec.analysis).toEqual({
      interval: "1m",
      threshold: 5,
      minRequests: 50,
      metrics: [{ name: "success-rate", type: "SuccessRate", min: 99, maxDropVsStable: 1, mode: "Blocking" }],
      errorBudgetGate: false,
    });
    expect(parsed.spec.promotion).toBe("Automatic");
  });
});

describe("Rollout schema: bad input is refused at its path", () => {
  it.each<[string, unknown, string[]]>([
    ["a weight above 100", canary({ steps: [{ setWeight: 150 }, { setWeight: 100 }] }), ["spec.strategy.canary.steps[0].setWeight: too_big"]],
    ["a negative weight", canary({ steps: [{ setWeight: -5 }, { setWeight: 100 }] }), ["spec.strategy.canary.steps[0].setWeight: too_small"]],
    ["a fractional weight", canary({ steps: [{ setWeight: 12.5 }, { setWeight: 100 }] }), ["spec.strategy.canary.steps[0].setWeight: invalid_type"]],
    ["steps that never reach 100", canary({ steps: [{ setWeight: 10 }, { setWeight: 50 }] }), ["spec.strategy.canary.steps: never_promotes"]],
    ["steps without any weight", canary({ steps: [{ pause: { duration: "1m" } }] }), ["spec.strategy.canary.steps: never_promotes"]],
    ["a step after the promotion", canary({ steps: [{ setWeight: 100 }, { pause: { duration: "1m" } }, { setWeight: 100 }] }), ["spec.strategy.canary.steps[1]: steps_after_promotion"]],
    ["a step doing two things", canary({ steps: [{ setWeight: 10, pause: { duration: "1m" } }, { setWeight: 100 }] }), ["spec.strategy.canary.steps[0]: invalid_step"]],
    ["stepWeight above maxWeight", canary({ stepWeight: 60, maxWeight: 50 }), ["spec.strategy.canary.stepWeight: invalid_strategy"]],
    ["neither steps nor stepWeight", canary({}), ["spec.strategy.canary: invalid_strategy"]],
    ["two strategies", rollout({ strategy: { canary: { stepWeight: 10 }, blueGreen: {} } }), ["spec.strategy: invalid_strategy"]],
    ["the canary is the stable version", rollout({ canary: { version: "v1" } }), ["spec.canary.version: same_version"]],
    ["an A/B match without conditions", rollout({ strategy: { abTesting: { matches: [{}], iterations: 1 } } }), ["spec.strategy.abTesting.matches[0]: empty_match"]],
    ["a cookie value with a semicolon", rollout({ strategy: { abTesting: { matches: [{ cookies: [{ name: "c", value: "a;b" }] }], iterations: 1 } } }), ["spec.strategy.abTesting.matches[0].cookies[0].value: invalid_format"]],
    ["a cluster in two waves", rollout({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["east"] }] } }), ["spec.waves.groups[1].clusters[0]: duplicate"]],
    ["a wave cluster missing from spec.clusters", rollout({ clusters: ["east"], waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }] } }), ["spec.waves.groups[1].clusters[0]: unknown_cluster"]],
    ["a cluster in no wave", rollout({ clusters: ["east", "west"], waves: { groups: [{ clusters: ["east"] }] } }), ["spec.clusters[1]: cluster_without_wave"]],
    ["session affinity on A/B", rollout({ strategy: { abTesting: { matches: [{ headers: [{ name: "x", value: "1" }] }], iterations: 1 } }, sessionAffinity: {} }), ["spec.sessionAffinity: invalid_affinity"]],
    ["an interval under a second", analysis({ interval: "500ms" }), ["spec.analysis.interval: duration_out_of_range"]],
    ["a threshold of 0", analysis({ threshold: 0 }), ["spec.analysis.threshold: too_small"]],
    ["a success rate above 100", analysis({ metrics: [{ name: "s", type: "SuccessRate", min: 101 }] }), ["spec.analysis.metrics[0].min: too_big"]],
    ["an unknown metric type", analysis({ metrics: [{ name: "s", type: "ErrorRate", min: 1 }] }), ["spec.analysis.metrics[0].type: invalid_value"]],
    ["two metrics with one name", analysis({ metrics: [{ name: "s", type: "SuccessRate", min: 99 }, { name: "s", type: "LatencyP99", max: "1s" }] }), ["spec.analysis.metrics[1].name: duplicate"]],
    ["a webhook of an unknown type", analysis({ webhooks: [{ name: "w", type: "event", url: "http://x.example/" }] }), ["spec.analysis.webhooks[0].type: invalid_value"]],
    ["a webhook that is not http", analysis({ webhooks: [{ name: "w", type: "rollout", url: "ftp://x.example/" }] }), ["spec.analysis.webhooks[0].url: invalid_format"]],
    ["a deadline shorter than the interval", analysis({ interval: "1m", progressDeadline: "30s" }), ["spec.analysis.progressDeadline: invalid_deadline"]],
    ["an unknown field", rollout({ canaryVersion: "v2" }), ["spec.canaryVersion: unknown_field"]],
  ])("refuses %s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });
});
