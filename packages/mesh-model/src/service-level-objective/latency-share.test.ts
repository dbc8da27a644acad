import { describe, expect, it } from "vitest";
import { LatencySketch } from "../proxy-config/latency-sketch.ts";
import { countAtMost } from "./latency-share.ts";

/** A deterministic spread of latencies: lognormal-ish around 40 ms with a tail. */
function latencies(n: number): number[] {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, () => Math.exp(Math.log(40) + 0.8 * Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random())));
}

describe("share under a latency threshold from a sketch", () => {
  const values = latencies(20_000);
  const sketch = new LatencySketch(0.01);
  for (const v of values) sketch.add(v);
  const data = sketch.toJSON();
  const exact = (t: number) => values.filter((v) => v <= t).length;

  it.each([5, 17, 40, 77.7, 100, 250, 333, 1000])("at %s ms lies between the exact counts under T·(1−a) and T·(1+a)", (t) => {
    const counted = countAtMost(data, t);
    expect(counted).toBeGreaterThanOrEqual(exact(t * 0.99));
    expect(counted).toBeLessThanOrEqual(exact(t * 1.01));
  });

  it("is exact outside the recorded range and for an empty sketch", () => {
    expect(countAtMost(data, Math.max(...values))).toBe(values.length);
    expect(countAtMost(data, Math.min(...values) / 2)).toBe(0);
    expect(countAtMost(new LatencySketch().toJSON(), 100)).toBe(0);
  });

  it("works for thresholds between histogram bucket bounds (Sloth #506)", () => {
    // 250 ms is a Prometheus bucket bound; 300 ms is not: both are answered.
    expect(countAtMost(data, 300) / values.length).toBeCloseTo(exact(300) / values.length, 2);
  });
});
