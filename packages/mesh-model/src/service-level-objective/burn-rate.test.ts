import { describe, expect, it } from "vitest";
import type { AlertState } from "./alert-state.ts";
import {
  alertWindowsOf,
  budgetConsumedAtThreshold,
  budgetRemaining,
  burnRate,
  detectionTimeMs,
  errorBudget,
  maxBurnRate,
  resetTimeMs,
  timeToExhaustionMs,
  windowsToRead,
  type WindowCounts,
} from "./burn-rate.ts";
import { judgeSlo } from "./slo-judgement.ts";
import { sloWindowMs } from "./slo-window.ts";

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

const workbook = { objective: 99.9, window: "30d" as const, alerting: { enabled: true, preset: "workbook" as const, minimumEvents: 0 } };

/**
 * Steady traffic (`rps` requests a second, since forever) whose error ratio
 * is `errorRatio` between `from` and `until` and 0 otherwise: the exact
 * counts of any window ending at `now`.
 */
function incident(rps: number, errorRatio: number, from: number, until = Infinity) {
  return (windowMs: number, now: number): WindowCounts => {
    const overlap = Math.max(0, Math.min(now, until) - Math.max(now - windowMs, from));
    return { requests: (rps * windowMs) / S, bad: (rps * errorRatio * overlap) / S };
  };
}

/** Runs the evaluator's judgement every `stepMs` on an injected clock; the first time each alert reaches `state`. */
function simulate(counts: (windowMs: number, now: number) => WindowCounts, start: number, end: number, stepMs: number, state: AlertState["state"], spec = workbook, initial: Record<string, AlertState> = {}) {
  const reached: Record<string, number> = {};
  let previous = initial;
  const windows = windowsToRead(spec);
  for (let now = start; now <= end; now += stepMs) {
    const readings = Object.fromEntries(windows.map((w) => [w, counts(sloWindowMs(w), now)]));
    const judgement = judgeSlo(spec, readings, previous, now);
    previous = Object.fromEntries(judgement.alerts.map((a) => [a.window.name, a.state]));
    for (const a of judgement.alerts) if (a.transition?.to === state && reached[a.window.name] === undefined) reached[a.window.name] = now;
  }
  return { reached, last: previous };
}

describe("the SRE workbook's table 5-8 (99.9 % over 30 days)", () => {
  const pairs = alertWindowsOf(workbook);

  it.each([
    // severity, long window, short window, burn rate, error budget consumed when it fires at the threshold
    ["page", "1h", "5m", 14.4, 0.02],
    ["page", "6h", "30m", 6, 0.05],
    ["ticket", "3d", "6h", 1, 0.1],
  ] as const)("%s: %s with %s at %s× fires after %s of the budget", (severity, long, short, rate, consumed) => {
    const pair = pairs.find((p) => p.name === `${long}/${short}`);
    expect(pair).toMatchObject({ severity, burnRate: rate, longMs: sloWindowMs(long), shortMs: sloWindowMs(short) });
    expect(budgetConsumedAtThreshold(pair!, 30 * D)).toBeCloseTo(consumed, 10);
  });

  // Detection time = (1 − SLO) / error ratio × long window × burn rate (the
  // workbook's formula); "never" when the error ratio is at or under the threshold.
  it.each([
    ["1h/5m", 1, 51.84 * S],
    ["1h/5m", 0.1, 518.4 * S],
    ["1h/5m", 0.02, 43.2 * MIN],
    ["1h/5m", 0.0144, null],
    ["6h/30m", 1, 129.6 * S],
    ["6h/30m", 0.01, 3.6 * H],
    ["6h/30m", 0.006, null],
    ["3d/6h", 1, 259.2 * S],
    ["3d/6h", 0.002, 1.5 * D],
    ["3d/6h", 0.001, null],
  ] as const)("%s at %s errors is detected after %s ms on an injected clock", (name, errorRatio, expected) => {
    const pair = pairs.find((p) => p.name === name)!;
    expect(detectionTimeMs(pair, 99.9, errorRatio)).toEqual(expected === null ? null : expect.closeTo(expected, 6));
    // The evaluator's own judgement, run every step on a simulated clock:
    // it fires in the step that crosses the detection time, never before.
    const start = 100 * D;
    const step = pair.longMs >= D ? MIN : pair.longMs > H ? 10 * S : S;
    const horizon = expected === null ? 2 * pair.longMs : expected + 2 * step;
    const { reached } = simulate(incident(10, errorRatio, start), start, start + horizon, step, "firing");
    if (expected === null) {
      expect(reached[name]).toBeUndefined();
      return;
    }
    const detected = reached[name]! - start;
    expect(detected).toBeGreaterThan(expected - 1e-6);
    expect(detected).toBeLessThanOrEqual(expected + step);
    // Budget consumed when it fired: the table's column, whatever the error ratio (up to one step of errors).
    const consumed = (errorRatio * detected) / (errorBudget(99.9) * 30 * D);
    expect(consumed).toBeGreaterThanOrEqual(budgetConsumedAtThreshold(pair, 30 * D) - 1e-9);
    expect(consumed).toBeLessThanOrEqual(budgetConsumedAtThreshold(pair, 30 * D) + (errorRatio * step) / (errorBudget(99.9) * 30 * D));
  });

  it.each([
    ["1h/5m", 1],
    ["6h/30m", 0.05],
    ["3d/6h", 0.01],
  ] as const)("%s at %s errors resolves one reset time after the errors stop (the short window clears)", (name, errorRatio) => {
    const pair = pairs.find((p) => p.name === name)!;
    const start = 100 * D;
    const end = start + pair.longMs; // the incident lasts one long window: long past detection
    const step = pair.longMs >= D ? MIN : pair.longMs > H ? 10 * S : S;
    const { reached } = simulate(incident(10, errorRatio, start, end), start, end + pair.shortMs + 2 * step, step, "resolved");
    const reset = resetTimeMs(pair, 99.9, errorRatio);
    expect(reached[name]! - end).toBeGreaterThan(reset - 1e-6);
    expect(reached[name]! - end).toBeLessThanOrEqual(reset + step);
  });

  it("a 14-day SLO is judged over 14 days of counts without waiting 14 days", () => {
    const spec = { ...workbook, window: "14d" as const };
    const start = 100 * D;
    // 0.2 % errors for the whole window: the budget is overspent twice.
    const counts = incident(10, 0.002, start - 14 * D);
    const judgement = judgeSlo(spec, Object.fromEntries(windowsToRead(spec).map((w) => [w, counts(sloWindowMs(w), start)])), {}, start);
    expect(judgement.sli).toBeCloseTo(0.998, 12);
    expect(judgement.budgetRemaining).toBeCloseTo(-1, 9);
    expect(judgement.burnRates["14d"]).toBeCloseTo(2, 9);
    expect(judgement.exhaustsInMs).toBe(0);
    expect(judgement.alerts.map((a) => [a.window.name, a.state.state])).toEqual([
      ["1h/5m", "inactive"],
      ["6h/30m", "inactive"],
      ["3d/6h", "firing"],
    ]);
  });
});

describe("budget and burn", () => {
  it.each([
    [{ requests: 1000, bad: 1 }, 99.9, 1, 0],
    [{ requests: 1000, bad: 0 }, 99.9, 0, 1],
    [{ requests: 100, bad: 3 }, 99, 3, -2],
    [{ requests: 0, bad: 0 }, 99.9, null, null],
  ])("%o at %s %% burns %s× and leaves %s of the budget", (counts, objective, rate, left) => {
    expect(burnRate(counts, objective)).toEqual(rate === null ? null : expect.closeTo(rate, 9));
    expect(budgetRemaining(counts, objective)).toEqual(left === null ? null : expect.closeTo(left, 9));
  });

  it.each([
    [99.9, 1000],
    [99, 100],
    [90, 10],
  ])("at %s %% the highest possible burn is %s×", (objective, max) => expect(maxBurnRate(objective)).toBeCloseTo(max, 9));

  it.each([
    [0.5, 2, 30 * D, 7.5 * D],
    [1, 1, 30 * D, 30 * D],
    [0, 5, 30 * D, 0],
    [-0.2, 5, 30 * D, 0],
    [0.5, 0, 30 * D, null],
    [0.5, null, 30 * D, null],
  ])("%s of the budget left at %s× over %s ms runs out in %s ms", (remaining, rate, window, expected) => expect(timeToExhaustionMs(remaining, rate, window)).toBe(expected));

  it("lists each window once, longest first", () => {
    expect(windowsToRead(workbook)).toEqual(["30d", "3d", "6h", "1h", "30m", "5m"]);
    expect(windowsToRead({ ...workbook, alerting: { ...workbook.alerting, preset: "sloth" } })).toEqual(["30d", "3d", "1d", "6h", "2h", "1h", "30m", "5m"]);
  });
});
