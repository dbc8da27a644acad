import { describe, expect, it } from "vitest";
import { comparisonColumns, stepMarkers } from "./comparison-series.ts";

const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 15, minute));
const p = (minute: number, requests: number, errorPercent: number, p99: number | null) => ({ at: at(minute), requests, errorPercent, p99 });

describe("comparisonColumns", () => {
  it("puts both versions on one axis; a minute without requests is a gap", () => {
    expect(comparisonColumns([p(0, 600, 0.2, 40), p(1, 540, 0, 41)], [p(0, 0, 0, null), p(1, 60, 5, 90), p(2, 60, 0, 30)])).toEqual({
      x: [0, 1, 2].map((m) => at(m).getTime() / 1000),
      stableSuccess: [99.8, 100, null],
      canarySuccess: [null, 95, 100],
      stableP99: [40, 41, null],
      canaryP99: [null, 90, 30],
    });
  });

  it("stretches the axis to the last step boundary", () => {
    const c = comparisonColumns([p(0, 600, 0, 40)], [], at(0).getTime() / 1000 + 45);
    expect([c.x.length, c.stableSuccess, c.canarySuccess]).toEqual([2, [100, null], [null, null]]);
  });
});

describe("stepMarkers", () => {
  it("marks steps entered and the end of the run inside the window", () => {
    const events = [
      { at: at(1), type: "started" as const, message: "started" },
      { at: at(2), type: "step-entered" as const, message: "step 1: 10 %" },
      { at: at(3), type: "analysis-passed" as const, message: "passed" },
      { at: at(4), type: "aborted" as const, message: "aborted by olga" },
      { at: at(9), type: "step-entered" as const, message: "later" },
    ];
    expect(stepMarkers(events, at(2), at(5)).map((m) => m.label)).toEqual(["step 1: 10 %", "aborted by olga"]);
  });
});
