import { describe, expect, it } from "vitest";
import { make } from "../testing/fixtures.ts";
import type { IntervalVerdict } from "./rollout-analysis.ts";
import {
  applyOperation,
  awaitingApproval,
  decide,
  dueChecks,
  initialRunState,
  RolloutOperationError,
  type ErrorBudgetOutcome,
  type RolloutDecision,
  type RolloutOperation,
  type RolloutRunState,
} from "./rollout-plan.ts";
import { planOf, type Traffic } from "./rollout-steps.ts";
import type { RolloutSpec, WebhookType } from "./rollout.schema.ts";

type SpecInput = Parameters<typeof make<"Rollout">>[2];
const T0 = Date.parse("2026-03-01T12:00:00Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const hook = (name: string, type: WebhookType) => ({ name, type, url: `http://hooks.test/${name}` });
const spec = (extra: Partial<SpecInput> = {}) =>
  make("Rollout", "catalog", { service: { name: "catalog" }, stable: { version: "v1" }, canary: { version: "v2" }, strategy: { canary: { stepWeight: 50 } }, ...extra, analysis: { interval: "1m", threshold: 2, ...extra.analysis } }).spec;

/** A scripted tick: the time, the interval's verdict if one is due, webhook answers by type (default 200), the error budget. */
interface Tick {
  t: number;
  verdict?: IntervalVerdict["verdict"];
  hooks?: Partial<Record<WebhookType, number>>;
  budget?: ErrorBudgetOutcome["verdict"];
  op?: RolloutOperation;
}

interface Seen {
  t: number;
  phase: string;
  step: number;
  wave: number;
  traffic: string;
  asked: string;
  changed: boolean;
  events: string[];
  notifications: string[];
}

const show = (traffic: Traffic[] | null) =>
  (traffic ?? []).map((x) => (x.mode === "weighted" ? `${x.weight}` : x.mode === "mirror" ? `mirror${x.percent}` : x.mode)).join(",");
const verdictOf = (verdict: IntervalVerdict["verdict"]): IntervalVerdict => ({ verdict, checks: [], canaryRequests: verdict === "no-data" ? 3 : 500, reason: verdict === "no-data" ? "no data: 3 canary requests in the interval, fewer than 50" : `scripted ${verdict}` });

/** Runs the controller's read–decide–write loop over scripted ticks, as the manager does. */
function drive(s: RolloutSpec, ticks: Tick[], start: RolloutRunState = initialRunState(at(0))): { seen: Seen[]; state: RolloutRunState } {
  const plan = planOf(s);
  let state = start;
  const seen: Seen[] = [];
  for (const tick of ticks) {
    const now = at(tick.t);
    let d: RolloutDecision;
    let asked = "";
    if (tick.op) {
      d = applyOperation(s, plan, state, tick.op, now);
      asked = `op ${tick.op.op}`;
    } else {
      const due = dueChecks(s, plan, state, now);
      asked = [due.analysis ? `analysis ${(due.analysis.from.getTime() - T0) / 1000}-${(due.analysis.to.getTime() - T0) / 1000}` : "", ...due.webhooks, due.errorBudget ? "budget" : ""].filter(Boolean).join(" ");
      const webhooks = due.webhooks.flatMap((type) =>
        (s.analysis.webhooks ?? [])
          .filter((w) => w.type === type)
          .map((w) => {
            const status = tick.hooks?.[type] ?? 200;
            return { name: w.name, type, ok: status >= 200 && status < 300, status, attempts: 1, error: null };
          }),
      );
      d = decide(s, plan, state, {
        now,
        ...(due.analysis ? { analysis: verdictOf(tick.verdict ?? "pass") } : {}),
        ...(webhooks.length ? { webhooks } : {}),
        ...(due.errorBudget ? { errorBudget: { verdict: tick.budget ?? "pass", reason: tick.budget === "fail" ? "burning 16× over 1h" : "within budget" } } : {}),
      });
    }
    state = d.state;
    seen.push({ t: tick.t, phase: state.phase, step: state.step, wave: state.wave, traffic: show(state.traffic), asked, changed: d.trafficChanged, events: d.events.map((e) => e.type), notifications: d.notifications.map((n) => n.type) });
  }
  return { seen, state };
}

const line = (x: Seen) => `${x.t}s ${x.phase} w${x.wave}s${x.step} [${x.traffic}]${x.changed ? " write" : ""}${x.asked ? ` (${x.asked})` : ""}`;

describe("decide: a rollout walked tick by tick", () => {
  it.each<[string, RolloutSpec, Tick[], string[]]>([
    [
      "a healthy canary promotes through every step",
      spec(),
      [{ t: 0 }, { t: 30 }, { t: 60 }, { t: 120 }],
      ["0s Progressing w0s0 [50] write", "30s Progressing w0s0 [50]", "60s Promoting w0s1 [canary] write (analysis 0-60)", "120s Succeeded w0s1 [canary] (analysis 60-120)"],
    ],
    [
      "a failing canary rolls back at the threshold (2 failed checks)",
      spec(),
      [{ t: 0 }, { t: 60, verdict: "fail" }, { t: 120, verdict: "fail" }],
      ["0s Progressing w0s0 [50] write", "60s Progressing w0s0 [50] (analysis 0-60)", "120s RolledBack w0s0 [stable] write (analysis 60-120)"],
    ],
    [
      "too little traffic holds the step: never promotes, never fails",
      spec(),
      [{ t: 0 }, { t: 60, verdict: "no-data" }, { t: 120, verdict: "no-data" }, { t: 180, verdict: "no-data" }, { t: 240 }],
      [
        "0s Progressing w0s0 [50] write",
        "60s Progressing w0s0 [50] (analysis 0-60)",
        "120s Progressing w0s0 [50] (analysis 60-120)",
        "180s Progressing w0s0 [50] (analysis 120-180)",
        "240s Promoting w0s1 [canary] write (analysis 180-240)",
      ],
    ],
    [
      "a pre-rollout hook failing counts as a failed check, then rolls back",
      spec({ analysis: { webhooks: [hook("smoke", "pre-rollout")] } }),
      [{ t: 0, hooks: { "pre-rollout": 500 } }, { t: 30 }, { t: 60, hooks: { "pre-rollout": 500 } }],
      ["0s Initializing w0s0 [stable] write (pre-rollout)", "30s Initializing w0s0 [stable]", "60s RolledBack w0s0 [stable] (pre-rollout)"],
    ],
    [
      "a confirm-traffic-increase hook answering 500 holds the step until it answers 200",
      spec({ analysis: { webhooks: [hook("gate", "confirm-traffic-increase")] } }),
      [{ t: 0, hooks: { "confirm-traffic-increase": 500 } }, { t: 60, hooks: { "confirm-traffic-increase": 500 } }, { t: 120 }],
      ["0s Initializing w0s0 [stable] write (confirm-traffic-increase)", "60s Initializing w0s0 [stable] (confirm-traffic-increase)", "120s Progressing w0s0 [50] write (confirm-traffic-increase)"],
    ],
    [
      "a rollback hook answering 2xx rolls back at once",
      spec({ analysis: { webhooks: [hook("kill-switch", "rollback")] } }),
      [{ t: 0, hooks: { rollback: 404 } }, { t: 60, hooks: { rollback: 404 } }, { t: 90 }, { t: 120, hooks: { rollback: 200 } }],
      ["0s Progressing w0s0 [50] write", "60s Promoting w0s1 [canary] write (analysis 0-60 rollback)", "90s Promoting w0s1 [canary]", "120s RolledBack w0s1 [stable] write (analysis 60-120 rollback)"],
    ],
    [
      "a rollout hook failing counts as a failed check even when the metrics pass",
      spec({ analysis: { webhooks: [hook("load", "rollout")] } }),
      [{ t: 0 }, { t: 60, hooks: { rollout: 503 } }, { t: 120, hooks: { rollout: 503 } }],
      ["0s Progressing w0s0 [50] write", "60s Progressing w0s0 [50] (analysis 0-60 rollout)", "120s RolledBack w0s0 [stable] write (analysis 60-120 rollout)"],
    ],
    [
      "confirm-promotion and the error budget hold the promotion, analysis continues",
      spec({ analysis: { webhooks: [hook("release", "confirm-promotion")], errorBudgetGate: true } }),
      [{ t: 0 }, { t: 60 }, { t: 61, hooks: { "confirm-promotion": 500 } }, { t: 121, budget: "fail" }, { t: 181 }, { t: 241 }],
      [
        "0s Progressing w0s0 [50] write",
        "60s WaitingPromotion w0s1 [50] (analysis 0-60)",
        "61s WaitingPromotion w0s1 [50] (confirm-promotion budget)",
        "121s WaitingPromotion w0s1 [50] (analysis 60-121 confirm-promotion budget)",
        "181s Promoting w0s1 [canary] write (analysis 121-181 confirm-promotion budget)",
        "241s Succeeded w0s1 [canary] (analysis 181-241)",
      ],
    ],
    [
      "waves: east to 100 % first, then west",
      spec({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }] } }),
      [{ t: 0 }, { t: 60 }, { t: 120 }, { t: 180 }, { t: 240 }],
      [
        "0s Progressing w0s0 [50,stable] write",
        "60s Promoting w0s1 [canary,stable] write (analysis 0-60)",
        "120s Progressing w1s0 [canary,50] write (analysis 60-120)",
        "180s Promoting w1s1 [canary,canary] write (analysis 120-180)",
        "240s Succeeded w1s1 [canary,canary] (analysis 180-240)",
      ],
    ],
    [
      "waves with onFailure Pause stop at the failing wave, which goes back to stable",
      spec({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }], onFailure: "Pause" } }),
      [{ t: 0 }, { t: 60 }, { t: 120 }, { t: 180, verdict: "fail" }, { t: 240, verdict: "fail" }, { t: 300 }],
      [
        "0s Progressing w0s0 [50,stable] write",
        "60s Promoting w0s1 [canary,stable] write (analysis 0-60)",
        "120s Progressing w1s0 [canary,50] write (analysis 60-120)",
        "180s Progressing w1s0 [canary,50] (analysis 120-180)",
        "240s Paused w1s0 [canary,stable] write (analysis 180-240)",
        "300s Paused w1s0 [canary,stable]",
      ],
    ],
    [
      "waves with onFailure RollbackAll restore every cluster",
      spec({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }], onFailure: "RollbackAll" } }),
      [{ t: 0 }, { t: 60 }, { t: 120 }, { t: 180, verdict: "fail" }, { t: 240, verdict: "fail" }],
      [
        "0s Progressing w0s0 [50,stable] write",
        "60s Promoting w0s1 [canary,stable] write (analysis 0-60)",
        "120s Progressing w1s0 [canary,50] write (analysis 60-120)",
        "180s Progressing w1s0 [canary,50] (analysis 120-180)",
        "240s RolledBack w1s0 [stable,stable] write (analysis 180-240)",
      ],
    ],
    [
      "a pause step holds its weight for its duration, failures still count",
      spec({ strategy: { canary: { steps: [{ setWeight: 10 }, { pause: { duration: "3m" } }, { setWeight: 100 }] } } }),
      [{ t: 0 }, { t: 60 }, { t: 120 }, { t: 180, verdict: "fail" }, { t: 240 }, { t: 300 }],
      [
        "0s Progressing w0s0 [10] write",
        "60s Progressing w0s1 [10] (analysis 0-60)",
        "120s Progressing w0s1 [10] (analysis 60-120)",
        "180s Progressing w0s1 [10] (analysis 120-180)",
        "240s Promoting w0s2 [canary] write (analysis 180-240)",
        "300s Succeeded w0s2 [canary] (analysis 240-300)",
      ],
    ],
    [
      "A/B: matching requests go to the canary for N intervals, then it is promoted",
      spec({ strategy: { abTesting: { matches: [{ headers: [{ name: "x-canary", value: "1" }] }], iterations: 2 } } }),
      [{ t: 0 }, { t: 60 }, { t: 120 }, { t: 180 }],
      ["0s Progressing w0s0 [match] write", "60s Progressing w0s0 [match] (analysis 0-60)", "120s Promoting w0s1 [canary] write (analysis 60-120)", "180s Succeeded w0s1 [canary] (analysis 120-180)"],
    ],
    [
      "a mirror phase before any live traffic",
      spec({ strategy: { canary: { stepWeight: 50 }, mirror: { percent: 100, iterations: 1 } } }),
      [{ t: 0 }, { t: 60 }, { t: 120 }],
      ["0s Progressing w0s0 [mirror100] write", "60s Progressing w0s1 [50] write (analysis 0-60)", "120s Promoting w0s2 [canary] write (analysis 60-120)"],
    ],
    [
      "shadow RecordOnly records what would have happened",
      spec({ shadow: { mode: "RecordOnly" } }),
      [{ t: 0 }, { t: 60, verdict: "fail" }, { t: 120, verdict: "fail" }],
      ["0s Progressing w0s0 [50] write", "60s Progressing w0s0 [50] (analysis 0-60)", "120s RolledBack w0s0 [stable] write (analysis 60-120)"],
    ],
    [
      "shadow PauseOnFailure pauses where it is",
      spec({ shadow: { mode: "PauseOnFailure" } }),
      [{ t: 0 }, { t: 60, verdict: "fail" }, { t: 120, verdict: "fail" }, { t: 180 }],
      ["0s Progressing w0s0 [50] write", "60s Progressing w0s0 [50] (analysis 0-60)", "120s Paused w0s0 [50] (analysis 60-120)", "180s Paused w0s0 [50]"],
    ],
    [
      "a hold longer than the progress deadline rolls back",
      spec({ analysis: { progressDeadline: "2m" } }),
      [{ t: 0 }, { t: 60, verdict: "no-data" }, { t: 120, verdict: "no-data" }, { t: 180, verdict: "no-data" }],
      ["0s Progressing w0s0 [50] write", "60s Progressing w0s0 [50] (analysis 0-60)", "120s Progressing w0s0 [50] (analysis 60-120)", "180s RolledBack w0s0 [stable] write (analysis 120-180)"],
    ],
  ])("%s", (_name, s, ticks, expected) => {
    expect(drive(s, ticks).seen.map(line)).toEqual(expected);
  });

  it("notifies on holding for data, on waiting for an approval and on a rollback — once each", () => {
    const { seen } = drive(spec({ promotion: "Manual" }), [{ t: 0 }, { t: 60, verdict: "no-data" }, { t: 120, verdict: "no-data" }, { t: 180 }, { t: 240, verdict: "fail" }, { t: 300, verdict: "fail" }]);
    expect(seen.flatMap((s) => s.notifications)).toEqual(["rollout.no-data", "rollout.waiting-approval", "rollout.rolled-back"]);
  });

  it("judges only the last interval after a long outage of the manager", () => {
    const plan = planOf(spec());
    const state = decide(spec(), plan, initialRunState(at(0)), { now: at(0) }).state;
    expect(dueChecks(spec(), plan, state, at(3600)).analysis).toEqual({ from: at(3540), to: at(3600), clusters: null, mirror: false });
  });

  it("replays to the same decision from the same stored state (a restarted manager neither repeats nor skips a step)", () => {
    const s = spec({ strategy: { canary: { stepWeight: 25 } } });
    const plan = planOf(s);
    const { state } = drive(s, [{ t: 0 }, { t: 60 }]);
    expect([state.step, state.entered, show(state.traffic)]).toEqual([1, true, "50"]);
    // Deciding again before the next interval is due changes nothing and writes nothing.
    const again = decide(s, plan, state, { now: at(90) });
    expect(again.state).toEqual(state);
    expect(again.trafficChanged).toBe(false);
    // The same tick decided twice from the same stored state gives the same result.
    const input = { now: at(120), analysis: verdictOf("pass") };
    expect(decide(s, plan, state, input)).toEqual(decide(s, plan, state, input));
  });
});

describe("applyOperation", () => {
  const running = () => drive(spec({ strategy: { canary: { stepWeight: 25 } } }), [{ t: 0 }, { t: 60 }]).state;

  it.each<[string, RolloutSpec, Tick[], string[]]>([
    [
      "pause stops judging, resume carries on from the same step",
      spec(),
      [{ t: 0 }, { t: 10, op: { op: "pause", by: "ana" } }, { t: 120 }, { t: 130, op: { op: "resume", by: "ana" } }, { t: 190 }],
      ["0s Progressing w0s0 [50] write", "10s Paused w0s0 [50] (op pause)", "120s Paused w0s0 [50]", "130s Progressing w0s0 [50] (op resume)", "190s Promoting w0s1 [canary] write (analysis 130-190)"],
    ],
    [
      "promote skips the rest of a step",
      spec(),
      [{ t: 0 }, { t: 10, op: { op: "promote", by: "ana", full: false } }],
      ["0s Progressing w0s0 [50] write", "10s Promoting w0s1 [canary] write (op promote)"],
    ],
    [
      "promote approves a gate",
      spec({ strategy: { canary: { steps: [{ setWeight: 20 }, { approval: { reason: "look at the dashboards" } }, { setWeight: 100 }] } } }),
      [{ t: 0 }, { t: 60 }, { t: 120 }, { t: 130, op: { op: "promote", by: "ana", full: false } }],
      ["0s Progressing w0s0 [20] write", "60s Progressing w0s1 [20] (analysis 0-60)", "120s Progressing w0s1 [20] (analysis 60-120)", "130s Promoting w0s2 [canary] write (op promote)"],
    ],
    [
      "promote approves a manual promotion; its hooks still apply",
      spec({ promotion: "Manual", analysis: { webhooks: [hook("release", "confirm-promotion")] } }),
      [{ t: 0 }, { t: 60 }, { t: 61 }, { t: 70, op: { op: "promote", by: "ana", full: false } }, { t: 71, hooks: { "confirm-promotion": 500 } }, { t: 131 }],
      [
        "0s Progressing w0s0 [50] write",
        "60s WaitingPromotion w0s1 [50] (analysis 0-60)",
        "61s WaitingPromotion w0s1 [50]",
        "70s WaitingPromotion w0s1 [50] (op promote)",
        "71s WaitingPromotion w0s1 [50] (confirm-promotion)",
        "131s Promoting w0s1 [canary] write (analysis 60-131 confirm-promotion)",
      ],
    ],
    [
      "promote full: the canary takes every cluster now",
      spec({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }] } }),
      [{ t: 0 }, { t: 10, op: { op: "promote", by: "ana", full: true } }],
      ["0s Progressing w0s0 [50,stable] write", "10s Succeeded w0s0 [canary,canary] write (op promote)"],
    ],
    [
      "abort sends everything back to stable at once, retry starts a new attempt",
      spec(),
      [{ t: 0 }, { t: 10, op: { op: "abort", by: "ana", reason: "wrong build" } }, { t: 20, op: { op: "retry", by: "ana" } }, { t: 21 }],
      ["0s Progressing w0s0 [50] write", "10s Aborted w0s0 [stable] write (op abort)", "20s Initializing w0s0 [stable] (op retry)", "21s Progressing w0s0 [50] write"],
    ],
    [
      "resuming a wave paused by a failure retries the wave from its first step",
      spec({ waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }], onFailure: "Pause" } }),
      [{ t: 0 }, { t: 60 }, { t: 120 }, { t: 180, verdict: "fail" }, { t: 240, verdict: "fail" }, { t: 250, op: { op: "resume", by: "ana" } }, { t: 251 }],
      [
        "0s Progressing w0s0 [50,stable] write",
        "60s Promoting w0s1 [canary,stable] write (analysis 0-60)",
        "120s Progressing w1s0 [canary,50] write (analysis 60-120)",
        "180s Progressing w1s0 [canary,50] (analysis 120-180)",
        "240s Paused w1s0 [canary,stable] write (analysis 180-240)",
        "250s Progressing w1s0 [canary,stable] (op resume)",
        "251s Progressing w1s0 [canary,50] write",
      ],
    ],
  ])("%s", (_name, s, ticks, expected) => {
    expect(drive(s, ticks).seen.map(line)).toEqual(expected);
  });

  it.each<[string, RolloutOperation, string]>([
    ["resume a running rollout", { op: "resume", by: "ana" }, "only a paused rollout can be resumed"],
    ["retry a running rollout", { op: "retry", by: "ana" }, "only a rolled back or aborted rollout can be retried"],
  ])("refuses to %s", (_name, op, message) => {
    const s = spec({ strategy: { canary: { stepWeight: 25 } } });
    expect(() => applyOperation(s, planOf(s), running(), op, at(90))).toThrow(new RolloutOperationError(`the rollout is Progressing: ${message}`));
  });

  it.each<[string, RolloutOperation]>([
    ["pause", { op: "pause", by: "ana" }],
    ["promote", { op: "promote", by: "ana", full: false }],
    ["abort", { op: "abort", by: "ana" }],
  ])("refuses to %s a finished rollout", (_name, op) => {
    const s = spec();
    const done = drive(s, [{ t: 0 }, { t: 60 }, { t: 120 }]).state;
    expect(done.phase).toBe("Succeeded");
    expect(() => applyOperation(s, planOf(s), done, op, at(200))).toThrow(RolloutOperationError);
  });

  it("records who acted in the events", () => {
    const s = spec();
    const d = applyOperation(s, planOf(s), drive(s, [{ t: 0 }]).state, { op: "abort", by: "ana" }, at(5));
    expect(d.events.map((e) => [e.type, e.by])).toEqual([["aborted", "ana"]]);
    expect(d.callPostRollout).toBe(true);
  });
});

describe("awaitingApproval (the rollouts list puts these first)", () => {
  it.each<[string, RolloutSpec, Tick[], boolean]>([
    ["an entered approval step", spec({ strategy: { canary: { steps: [{ setWeight: 20 }, { approval: {} }, { setWeight: 100 }] } } }), [{ t: 0 }, { t: 60 }], true],
    ["a manual promotion", spec({ promotion: "Manual" }), [{ t: 0 }, { t: 60 }], true],
    ["an automatic promotion", spec(), [{ t: 0 }, { t: 30 }], false],
  ])("%s: %s", (_name, s, ticks, expected) => {
    expect(awaitingApproval(s, planOf(s), drive(s, ticks).state)).toBe(expected);
  });
});
