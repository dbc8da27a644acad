import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { describe, expect, it } from "vitest";
import { codeClassOf, sketchSecondsToMs } from "./telemetry-shipper.ts";

describe("codeClassOf", () => {
  it.each([
    ["200", "2xx"],
    ["304", "3xx"],
    ["404", "4xx"],
    ["503", "5xx"],
    ["0", "other"],
    ["101", "other"],
  ])("%s is %s", (code, cls) => {
    expect(codeClassOf(code)).toBe(cls);
  });
});

describe("sketchSecondsToMs", () => {
  it("keeps counts, sum, min and max exact and quantiles within twice the sketch's accuracy", () => {
    const values = Array.from({ length: 1000 }, (_, i) => 0.0005 + (i * i) / 1e6);
    const seconds = new LatencySketch();
    for (const v of values) seconds.add(v);
    const ms = LatencySketch.fromJSON(sketchSecondsToMs(seconds.toJSON()));
    expect(ms.count).toBe(1000);
    expect(ms.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0) * 1000, 6);
    expect([ms.min, ms.max]).toEqual([values[0]! * 1000, values.at(-1)! * 1000]);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = values[Math.floor(q * 999)]! * 1000;
      expect(Math.abs(ms.quantile(q) - exact) / exact).toBeLessThanOrEqual(0.0201);
    }
  });
});
