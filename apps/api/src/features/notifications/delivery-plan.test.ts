import { describe, expect, it } from "vitest";
import { afterAttempt, backoffMs, judgeStatus, routes } from "./delivery-plan.ts";

describe("routing", () => {
  const all = { enabled: true, severities: [], namespaces: [] };
  it.each<[string, { enabled: boolean; severities: string[]; namespaces: string[] }, { severity: "page" | "ticket" | "info"; namespace: string | null }, boolean]>([
    ["everything to an unfiltered channel", all, { severity: "page", namespace: "shop" }, true],
    ["nothing to a disabled channel", { ...all, enabled: false }, { severity: "page", namespace: "shop" }, false],
    ["pages only", { ...all, severities: ["page"] }, { severity: "ticket", namespace: "shop" }, false],
    ["its namespaces", { ...all, namespaces: ["shop"] }, { severity: "page", namespace: "shop" }, true],
    ["not another namespace", { ...all, namespaces: ["shop"] }, { severity: "page", namespace: "billing" }, false],
    ["mesh-wide events skip namespace-filtered channels", { ...all, namespaces: ["shop"] }, { severity: "page", namespace: null }, false],
    ["mesh-wide events reach unfiltered channels", all, { severity: "info", namespace: null }, true],
  ])("%s", (_name, channel, event, expected) => expect(routes(channel, event)).toBe(expected));
});

describe("retries", () => {
  const policy = { baseBackoffMs: 1000, maxBackoffMs: 60_000 };
  it.each([
    [200, true, false],
    [204, true, false],
    [500, false, true],
    [503, false, true],
    [429, false, true],
    [408, false, true],
    [404, false, false],
    [401, false, false],
  ])("status %s: delivered %s, retryable %s", (status, ok, retryable) => {
    const outcome = judgeStatus(status);
    expect(outcome.ok).toBe(ok);
    if (!outcome.ok) expect(outcome.retryable).toBe(retryable);
  });

  it("backs off exponentially up to a cap", () => {
    expect([1, 2, 3, 4, 8, 20].map((a) => backoffMs(a, 1000, 60_000))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000]);
  });

  it.each<[string, number, Parameters<typeof afterAttempt>[2], ReturnType<typeof afterAttempt>]>([
    ["delivered", 1, { ok: true, status: 200 }, { status: "DELIVERED" }],
    ["retried after a 500", 2, { ok: false, retryable: true, status: 500, error: "the receiver answered 500" }, { status: "PENDING", nextAttemptAt: 10_000 + 2000 }],
    ["retried after a timeout", 1, { ok: false, retryable: true, status: null, error: "timed out after 500 ms" }, { status: "PENDING", nextAttemptAt: 10_000 + 1000 }],
    ["dead after the last attempt", 8, { ok: false, retryable: true, status: 500, error: "the receiver answered 500" }, { status: "DEAD", reason: "the receiver answered 500; gave up after 8 attempts" }],
    ["dead at once on a 404", 1, { ok: false, retryable: false, status: 404, error: "the receiver answered 404" }, { status: "DEAD", reason: "the receiver answered 404; not retried (the same request would fail again)" }],
  ])("%s", (_name, attempts, outcome, expected) => expect(afterAttempt(attempts, 8, outcome, 10_000, policy)).toEqual(expected));
});
