import { describe, expect, it } from "vitest";
import { formatRolloutCheck, newEvents } from "./rollout-view.ts";

const event = (id: string, type: string) => ({ id, attempt: 1, wave: 0, step: 0, at: new Date("2026-12-06T10:00:00Z"), type, message: type, actor: null });

describe("rollout status --watch", () => {
  it("prints each event once, oldest first, however the pages overlap", () => {
    const first = newEvents({ events: [event("2", "step-entered"), event("1", "started")] }, 0n);
    expect(first.events.map((e) => e.id)).toEqual(["1", "2"]);
    const second = newEvents({ events: [event("4", "promoted"), event("3", "analysis-passed"), event("2", "step-entered")] }, first.lastId);
    expect(second.events.map((e) => e.id)).toEqual(["3", "4"]);
    expect(newEvents({ events: [event("4", "promoted")] }, second.lastId).events).toEqual([]);
  });

  it("shows a metric verdict with its value, threshold, stable value and sample count", () => {
    const check = { id: "1", attempt: 1, wave: 0, step: 0, at: new Date(), windowFrom: null, windowTo: null, kind: "metric", name: "success-rate", cluster: "west", verdict: "fail", mode: "Blocking", query: "q", values: { value: 95, stableValue: 100 }, threshold: { op: ">=", value: 99, unit: "%" }, sampleCount: 120, message: "" };
    expect(formatRolloutCheck(check)).toBe("FAIL    success-rate in west: 95 % (>= 99; stable 100; n=120)");
  });
});
