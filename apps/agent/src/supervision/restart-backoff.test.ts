import { describe, expect, it } from "vitest";
import { nextAttempt, restartDelay, type BackoffPolicy } from "./restart-backoff.ts";

const policy: BackoffPolicy = { initialMs: 100, maxMs: 5_000, multiplier: 2, jitter: 0.2, stableAfterMs: 10_000 };

describe("restartDelay", () => {
  it.each([
    [1, 0.5, 100],
    [2, 0.5, 200],
    [3, 0.5, 400],
    [6, 0.5, 3_200],
    [7, 0.5, 5_000], // capped
    [40, 0.5, 5_000], // no overflow
    [1, 0, 80], // -20 %
    [1, 0.999999, 120], // +20 %
    [7, 0.999999, 5_000], // jitter never exceeds the cap
  ])("attempt %i with random %f waits %i ms", (attempt, random, expected) => {
    expect(restartDelay(attempt, policy, () => random)).toBe(expected);
  });
});

describe("nextAttempt", () => {
  it.each([
    [3, 50, 4],
    [3, 9_999, 4],
    [5, 10_000, 1],
  ])("after attempt %i and a run of %i ms comes attempt %i", (previous, uptime, expected) => {
    expect(nextAttempt(previous, uptime, policy)).toBe(expected);
  });
});
