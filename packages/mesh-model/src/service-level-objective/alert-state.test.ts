import { describe, expect, it } from "vitest";
import { alertCondition, stepAlert, type AlertReading, type AlertRule, type AlertState } from "./alert-state.ts";

const rule: AlertRule = { longWindow: "1h", shortWindow: "5m", burnRate: 14.4, forMs: 0, minimumEvents: 0 };
const hot: AlertReading = { long: { burn: 20, requests: 3600 }, short: { burn: 30, requests: 300 } };
const cold: AlertReading = { long: { burn: 2, requests: 3600 }, short: { burn: 1, requests: 300 } };
const T = 1_000_000;

describe("the alert state machine", () => {
  it.each<[string, AlertState, AlertRule, AlertReading, number, AlertState["state"], boolean]>([
    ["stays inactive while cold", { state: "inactive", since: 0 }, rule, cold, T, "inactive", false],
    ["fires at once without `for`", { state: "inactive", since: 0 }, rule, hot, T, "firing", true],
    ["goes pending with `for`", { state: "inactive", since: 0 }, { ...rule, forMs: 120_000 }, hot, T, "pending", true],
    ["stays pending until `for` has passed", { state: "pending", since: T - 60_000 }, { ...rule, forMs: 120_000 }, hot, T, "pending", false],
    ["fires once `for` has passed", { state: "pending", since: T - 120_000 }, { ...rule, forMs: 120_000 }, hot, T, "firing", true],
    ["drops back to inactive from pending when it cools", { state: "pending", since: T - 60_000 }, { ...rule, forMs: 120_000 }, cold, T, "inactive", true],
    ["keeps firing while hot", { state: "firing", since: T - 60_000, firedAt: T - 60_000 }, rule, hot, T, "firing", false],
    ["resolves when it cools", { state: "firing", since: T - 60_000, firedAt: T - 60_000 }, rule, cold, T, "resolved", true],
    ["stays resolved while cold", { state: "resolved", since: T - 60_000, firedAt: T - 120_000 }, rule, cold, T, "resolved", false],
    ["fires again from resolved", { state: "resolved", since: T - 60_000, firedAt: T - 120_000 }, rule, hot, T, "firing", true],
    ["needs both windows: a hot long window alone is a past problem", { state: "firing", since: 0, firedAt: 0 }, rule, { long: hot.long, short: cold.short }, T, "resolved", true],
    ["needs both windows: a hot short window alone is a blip", { state: "inactive", since: 0 }, rule, { long: cold.long, short: hot.short }, T, "inactive", false],
    ["no data never fires", { state: "inactive", since: 0 }, rule, { long: { burn: null, requests: 0 }, short: { burn: null, requests: 0 } }, T, "inactive", false],
    ["the minimum-event guard holds a hot alert with too few requests", { state: "inactive", since: 0 }, { ...rule, minimumEvents: 5000 }, hot, T, "inactive", false],
  ])("%s", (_name, previous, r, reading, now, state, changed) => {
    const { next, transition } = stepAlert(previous, r, reading, now);
    expect(next.state).toBe(state);
    expect(transition !== null).toBe(changed);
    if (transition) {
      expect(transition).toMatchObject({ from: previous.state, to: state });
      expect(next.since).toBe(now);
    }
  });

  it("remembers when the alert fired, through resolution", () => {
    const fired = stepAlert({ state: "inactive", since: 0 }, rule, hot, T).next;
    expect(fired.firedAt).toBe(T);
    const resolved = stepAlert(fired, rule, cold, T + 60_000).next;
    expect(resolved).toEqual({ state: "resolved", since: T + 60_000, firedAt: T });
  });

  it("is strictly over the threshold, as the exported Prometheus rules (`>`)", () => {
    expect(alertCondition(rule, { long: { burn: 14.4, requests: 10 }, short: { burn: 14.4, requests: 1 } }).met).toBe(false);
  });

  it("says why with both burn rates (users must tell which window paged them)", () => {
    expect(alertCondition(rule, hot).reason).toBe("burning 20× over 1h, 30× over 5m (threshold 14.4×)");
    expect(alertCondition({ ...rule, minimumEvents: 5000 }, hot).reason).toMatch(/^only 3600 requests in 1h \(minimum 5000\)/);
  });
});
