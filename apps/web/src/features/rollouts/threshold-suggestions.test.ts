import { describe, expect, it } from "vitest";
import { suggestThresholds } from "./threshold-suggestions.ts";

describe("suggestThresholds", () => {
  it.each([
    ["a perfect stable: half a point of room", { requests: 3000, errors: 0, p99Ms: 40 }, 99.5, 60],
    ["stable at 99.8 %: twice its errors, at least half a point more", { requests: 5000, errors: 10, p99Ms: 120 }, 99.3, 180],
    ["stable at 97 %: twice its errors", { requests: 1000, errors: 30, p99Ms: 12 }, 94, 40],
    ["a very bad stable: never below 90 %", { requests: 1000, errors: 200, p99Ms: null }, 90, null],
  ])("%s", (_name, b, successRateMin, p99MaxMs) => {
    const s = suggestThresholds({ version: "v1", windowMinutes: 60, p95Ms: null, ...b });
    expect([s.successRateMin, s.p99MaxMs]).toEqual([successRateMin, p99MaxMs]);
    expect(s.explanation).toMatch(/^pre-filled from the last 60 min of v1: \d+ requests/);
  });

  it("keeps the defaults and says why when stable had no traffic", () => {
    expect(suggestThresholds({ version: "v1", windowMinutes: 60, requests: 0, errors: 0, p95Ms: null, p99Ms: null })).toEqual({
      successRateMin: 99,
      p99MaxMs: null,
      weak: true,
      explanation: "no traffic to v1 in the last hour: defaults (success ≥ 99 %)",
    });
  });

  it("flags a baseline of few requests", () => {
    expect(suggestThresholds({ version: "v1", windowMinutes: 60, requests: 20, errors: 0, p95Ms: 5, p99Ms: 9 }).weak).toBe(true);
  });
});
