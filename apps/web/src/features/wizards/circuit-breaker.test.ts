import { describe, expect, it } from "vitest";
import { BREAKER_FIELDS, breakerDraftOf, breakerEffect, brokenPolicy, NEW_BREAKER, type BreakerDraft } from "./circuit-breaker.ts";
import type { PolicyDoc } from "./service-traffic-policy.ts";
import { WizardIssues } from "./wizard-issues.ts";

const stored = (): PolicyDoc => ({
  apiVersion: "weft.io/v1alpha1",
  kind: "TrafficPolicy",
  metadata: { name: "checkout-traffic", namespace: "shop" },
  spec: { targetRef: { name: "checkout" }, retries: { attempts: 2 }, outlierDetection: { consecutive5xx: 3, successRate: { minimumHosts: 3 } } },
});

describe("circuit breaking wizard", () => {
  it("reopens a stored policy with its values and the schema's defaults for the rest", () => {
    expect(breakerDraftOf(stored())).toEqual({ ...NEW_BREAKER, limits: false, consecutive5xx: 3 });
    expect(breakerDraftOf(null)).toEqual(NEW_BREAKER);
  });

  it("writes limits and outlier detection, keeping the policy's other settings and the outlier fields the form does not show", () => {
    const d: BreakerDraft = { ...breakerDraftOf(stored()), limits: true, maxConnections: 50, maxPendingRequests: 10, maxRequests: 100, maxRetries: 2, consecutiveGatewayErrors: 2, baseEjectionTime: "1m" };
    const out = brokenPolicy(stored(), d);
    expect(out.spec).toEqual({
      targetRef: { name: "checkout" },
      retries: { attempts: 2 },
      outlierDetection: { consecutive5xx: 3, successRate: { minimumHosts: 3 }, consecutiveGatewayErrors: 2, interval: "10s", baseEjectionTime: "1m", maxEjectionTime: "300s", maxEjectionPercent: 10 },
      circuitBreaker: { maxConnections: 50, maxPendingRequests: 10, maxRequests: 100, maxRetries: 2 },
    });
    expect(breakerDraftOf(out)).toEqual(d);
    expect(WizardIssues.of(out, BREAKER_FIELDS).ok).toBe(true);
    expect(brokenPolicy(out, { ...d, limits: false, outlier: false }).spec).toEqual({ targetRef: { name: "checkout" }, retries: { attempts: 2 } });
  });

  it.each([
    ["no connections", { maxConnections: 0 }, "spec.circuitBreaker.maxConnections", "must be between 1 and 2147483647"],
    ["an empty limit", { maxRequests: Number.NaN }, "spec.circuitBreaker.maxRequests", /^expected number/],
    ["a share over 100 %", { maxEjectionPercent: 101 }, "spec.outlierDetection.maxEjectionPercent", "must be between 0 and 100"],
    ["a longest ejection shorter than the first", { baseEjectionTime: "5m", maxEjectionTime: "1m" }, "spec.outlierDetection.maxEjectionTime", "must not be shorter than baseEjectionTime"],
    ["an interval of zero", { interval: "0s" }, "spec.outlierDetection.interval", "must be at least 1ms"],
  ])("refuses %s at its field with the schema's message", (_name, change, field, message) => {
    const issues = WizardIssues.of(brokenPolicy(stored(), { ...NEW_BREAKER, ...change }), BREAKER_FIELDS);
    expect(issues.at(field)).toMatch(message);
    expect(issues.unplaced()).toEqual([]);
  });

  it("says what it does", () => {
    expect(breakerEffect({ ...NEW_BREAKER, maxConnections: 50, maxRequests: 100, maxPendingRequests: 10, maxRetries: 2, consecutiveGatewayErrors: 2, maxEjectionTime: "300s" }, "shop/checkout")).toEqual([
      "Each calling proxy keeps at most 50 connections and 100 requests in flight to shop/checkout, with 10 more waiting for a connection and 2 retries at once; beyond that a call fails at once with 503 (flag UO) instead of queueing.",
      "An endpoint answering 5 5xx in a row or 2 502/503/504 in a row is taken out of load balancing for 30s, longer each time it happens again (at most 5m); decisions every 10s, and never more than 10 % of the endpoints at once.",
    ]);
    expect(breakerEffect({ ...NEW_BREAKER, limits: false, outlier: false }, "shop/checkout")).toEqual([
      "No limits of its own: the proxy's defaults apply to calls to shop/checkout (1024 connections, 1024 requests in flight, 1024 waiting, 3 retries at once).",
      "No outlier detection: a failing endpoint keeps its share of the calls until health checks or discovery remove it.",
    ]);
  });
});
