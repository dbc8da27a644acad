import { describe, expect, it } from "vitest";
import { backoffDelayMs, decideLogin, DEFAULT_LOGIN_POLICY, type LoginThrottleState } from "./login-throttle.ts";

const now = new Date("2026-12-06T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms);
const none = { failures: 0, lastFailureAt: null };
const state = (over: Partial<LoginThrottleState>): LoginThrottleState => ({ source: none, account: none, pair: none, knownSourceAt: null, ...over });
const brief = (s: LoginThrottleState) => {
  const d = decideLogin(s, DEFAULT_LOGIN_POLICY, now);
  return d.allowed ? "allowed" : `wait ${Math.round(d.retryAfterMs / 1000)}s (${d.limitedBy})`;
};

describe("backoffDelayMs", () => {
  it.each<[number, number]>([
    [0, 0],
    [4, 0],
    [5, 1_000],
    [6, 2_000],
    [10, 32_000],
    [15, 900_000],
    [1000, 900_000],
  ])("%i failures of a pair wait %i ms", (failures, expected) => {
    expect(backoffDelayMs(failures, DEFAULT_LOGIN_POLICY.pair)).toBe(expected);
  });
});

describe("decideLogin", () => {
  it.each<[string, LoginThrottleState, string]>([
    ["no failures", state({}), "allowed"],
    ["four wrong passwords from one address", state({ pair: { failures: 4, lastFailureAt: ago(0) } }), "allowed"],
    ["six wrong passwords from one address, just now", state({ pair: { failures: 6, lastFailureAt: ago(0) } }), "wait 2s (pair)"],
    ["six wrong passwords, the delay over", state({ pair: { failures: 6, lastFailureAt: ago(3_000) } }), "allowed"],
    ["failures older than the window are forgotten", state({ pair: { failures: 50, lastFailureAt: ago(16 * 60_000) } }), "allowed"],
    ["a spraying address", state({ source: { failures: 25, lastFailureAt: ago(1_000) } }), "wait 31s (source)"],
    ["distributed guessing slows a new address", state({ account: { failures: 14, lastFailureAt: ago(0) } }), "wait 16s (account)"],
    ["distributed guessing cannot lock out an address that signed in before", state({ account: { failures: 500, lastFailureAt: ago(0) }, knownSourceAt: ago(86_400_000) }), "allowed"],
    ["a known address is still limited by its own failures", state({ account: { failures: 500, lastFailureAt: ago(0) }, pair: { failures: 7, lastFailureAt: ago(0) }, knownSourceAt: ago(60_000) }), "wait 4s (pair)"],
    ["a source known long ago is a stranger again", state({ account: { failures: 11, lastFailureAt: ago(0) }, knownSourceAt: ago(31 * 86_400_000) }), "wait 2s (account)"],
    ["the account-wide delay is capped at 5 minutes", state({ account: { failures: 1000, lastFailureAt: ago(0) } }), "wait 300s (account)"],
    ["the longest wait wins", state({ pair: { failures: 6, lastFailureAt: ago(0) }, source: { failures: 22, lastFailureAt: ago(0) } }), "wait 4s (source)"],
  ])("%s: %s", (_name, s, expected) => {
    expect(brief(s)).toBe(expected);
  });
});
