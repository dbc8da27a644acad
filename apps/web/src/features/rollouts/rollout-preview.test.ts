import { RolloutSchema } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { previewChart } from "./rollout-preview.ts";

const spec = (extra: Record<string, unknown>) =>
  RolloutSchema.parse({ apiVersion: "weft.io/v1alpha1", kind: "Rollout", metadata: { name: "c", namespace: "shop" }, spec: { service: { name: "catalog" }, stable: { version: "v1" }, canary: { version: "v2" }, ...extra } }).spec;

describe("previewChart", () => {
  it("draws the weights as steps over time", () => {
    const chart = previewChart(spec({ strategy: { canary: { steps: [{ setWeight: 10 }, { approval: {} }, { setWeight: 50 }, { setWeight: 100 }] } }, analysis: { interval: "30s" } }));
    expect(chart.x).toEqual([0, 0, 30, 30, 60, 60, 90]);
    expect(chart.weight).toEqual([0, 10, 10, 50, 50, 100, 100]);
    expect(chart.markers).toEqual([{ at: 30, label: "approval (wave 1)" }]);
    expect(chart.totalSeconds).toBe(90);
  });

  it("marks each wave and shows the mirror phase apart from live weight", () => {
    const chart = previewChart(spec({ strategy: { canary: { stepWeight: 50 }, mirror: { percent: 100, iterations: 1 } }, waves: { groups: [{ clusters: ["east"] }, { clusters: ["west"] }] }, analysis: { interval: "1m" } }));
    expect(chart.markers).toEqual([{ at: 180, label: "wave 2: west" }]);
    expect(chart.mirror.slice(0, 3)).toEqual([null, 100, 100]);
    expect(chart.weight.slice(0, 3)).toEqual([0, 0, 0]);
    expect(chart.totalSeconds).toBe(360);
  });
});
