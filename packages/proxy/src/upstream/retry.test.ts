import { RetryPolicySchema, UNSENT_RETRY_POLICY } from "@weft/mesh-model/proxy-config";
import { describe, expect, it } from "vitest";
import { backoffDelayMs, isRetriableFailure, isRetriableStatus, replaysSentRequests, RetryBudget, type AttemptFailure } from "./retry.ts";

const policy = (retryOn: string[], statusCodes: number[] = []) => RetryPolicySchema.parse({ retryOn, statusCodes });

describe("replaysSentRequests (whether the body must be buffered)", () => {
  it.each([
    ["no policy", undefined, false],
    ["the default (connect failures and refused streams)", UNSENT_RETRY_POLICY, false],
    ["refused streams only (nothing was processed)", policy(["refused-stream"]), false],
    ["one attempt, whatever it retries", RetryPolicySchema.parse({ maxAttempts: 1, retryOn: ["5xx"] }), false],
    ["resets", policy(["connect-failure", "reset"]), true],
    ["gateway errors (a 503 answer comes after the request)", policy(["gateway-error"]), true],
    ["listed statuses", policy(["connect-failure"], [429]), true],
    ["gRPC statuses", RetryPolicySchema.parse({ retryOn: ["connect-failure"], grpcStatusCodes: [14] }), true],
  ])("%s → %s", (_name, p, expected) => {
    expect(replaysSentRequests(p)).toBe(expected);
  });
});

describe("isRetriableStatus", () => {
  it.each([
    [["5xx"], [], 500, true],
    [["5xx"], [], 503, true],
    [["5xx"], [], 429, false],
    [["gateway-error"], [], 502, true],
    [["gateway-error"], [], 504, true],
    [["gateway-error"], [], 500, false],
    [[], [409], 409, true],
    [["reset", "connect-failure"], [], 503, false],
  ])("retryOn %o statusCodes %o: %i → %s", (on, codes, status, expected) => {
    expect(isRetriableStatus(status, policy(on, codes))).toBe(expected);
  });
});

describe("isRetriableFailure", () => {
  it.each<[string[], AttemptFailure, boolean]>([
    [["connect-failure"], "connect-failure", true],
    [["reset"], "connect-failure", false],
    [["reset"], "reset", true],
    [["connect-failure"], "reset", false],
    [["gateway-error"], "timeout", true],
    [["gateway-error"], "connect-failure", true],
    [["gateway-error"], "reset", false],
    [["5xx"], "reset", true],
    [["5xx"], "timeout", true],
    [[], "timeout", false],
    [["connect-failure", "refused-stream"], "refused-stream", true],
    [["connect-failure", "refused-stream"], "reset", false],
    [["refused-stream"], "connect-failure", false],
    [["connect-failure"], "refused-stream", false],
    [["reset"], "refused-stream", true],
    [["5xx"], "refused-stream", true],
    [["gateway-error"], "refused-stream", false],
    [[], "refused-stream", false],
  ])("retryOn %o, %s → %s", (on, failure, expected) => {
    expect(isRetriableFailure(failure, policy(on))).toBe(expected);
  });
});

describe("backoffDelayMs", () => {
  const backoff = { baseMs: 25, maxMs: 250 };
  it.each([
    [1, 0.999, 24],
    [2, 0.999, 49],
    [3, 0.999, 99],
    [5, 0.999, 249],
    [10, 0.999, 249],
    [3, 0, 0],
    [3, 0.5, 50],
  ])("retry %i with random %f waits %i ms", (retry, r, expected) => {
    expect(backoffDelayMs(retry, backoff, () => r)).toBe(expected);
  });
});

describe("RetryBudget", () => {
  function budget(spec: { ratio: number; minRetriesPerSecond: number; windowMs: number }) {
    let now = 0;
    const b = new RetryBudget(spec, () => now);
    return { b, advance: (ms: number) => (now += ms) };
  }
  const drain = (b: RetryBudget) => {
    let n = 0;
    while (b.tryRetry() && n < 10_000) n++;
    return n;
  };

  it.each([
    ["20% of 100 requests", { ratio: 0.2, minRetriesPerSecond: 0, windowMs: 10_000 }, 100, 20],
    ["floor of 10/s over 10 s with no traffic", { ratio: 0.2, minRetriesPerSecond: 10, windowMs: 10_000 }, 0, 100],
    ["ratio plus floor", { ratio: 0.2, minRetriesPerSecond: 10, windowMs: 10_000 }, 1000, 300],
    ["nothing without traffic or floor", { ratio: 0.2, minRetriesPerSecond: 0, windowMs: 10_000 }, 0, 0],
  ])("%s", (_name, spec, requests, expected) => {
    const { b } = budget(spec);
    for (let i = 0; i < requests; i++) b.recordRequest();
    expect(drain(b)).toBe(expected);
  });

  it("forgets requests and retries that left the window", () => {
    const { b, advance } = budget({ ratio: 0.5, minRetriesPerSecond: 0, windowMs: 1000 });
    for (let i = 0; i < 10; i++) b.recordRequest();
    expect(drain(b)).toBe(5);
    advance(1100);
    expect(b.tryRetry()).toBe(false);
    for (let i = 0; i < 4; i++) b.recordRequest();
    expect(drain(b)).toBe(2);
  });
});
