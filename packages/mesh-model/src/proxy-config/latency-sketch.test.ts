import { describe, expect, it } from "vitest";
import { LatencySketch, SketchMismatchError } from "./latency-sketch.ts";

/** mulberry32: a deterministic uniform source. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const distributions: [string, (r: () => number) => number][] = [
  ["uniform 1..100 ms", (r) => 0.001 + r() * 0.099],
  ["exponential, mean 20 ms", (r) => -Math.log(1 - r()) * 0.02],
  ["log-normal around 5 ms", (r) => Math.exp(Math.log(0.005) + Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))],
  ["pareto tail from 1 ms", (r) => 0.001 / Math.pow(1 - r(), 1 / 1.2)],
  ["bimodal 0.2 ms / 2 s", (r) => (r() < 0.9 ? 0.0002 + r() * 0.0001 : 2 + r())],
];
const QUANTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

function exact(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] ?? NaN;
}

describe("LatencySketch", () => {
  it.each(distributions)("every quantile of %s is within 1%% of the exact value", (_name, draw) => {
    const r = seeded(42);
    const values = Array.from({ length: 20_000 }, () => draw(r));
    const sketch = new LatencySketch(0.01);
    for (const v of values) sketch.add(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of QUANTILES) {
      const want = exact(sorted, q);
      const got = sketch.quantile(q);
      expect(Math.abs(got - want) / want, `q=${q}: got ${got}, exact ${want}`).toBeLessThanOrEqual(0.01 + 1e-12);
    }
    expect(sketch.count).toBe(values.length);
  });

  it.each([0.05, 0.02, 0.005])("honours a relative accuracy of %s", (alpha) => {
    const r = seeded(7);
    const values = Array.from({ length: 5000 }, () => Math.exp(r() * 12 - 9));
    const sketch = new LatencySketch(alpha);
    for (const v of values) sketch.add(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of QUANTILES) {
      const want = exact(sorted, q);
      expect(Math.abs(sketch.quantile(q) - want) / want).toBeLessThanOrEqual(alpha + 1e-12);
    }
  });

  it("merging sketches equals sketching the union, in any order, through the wire form", () => {
    const r = seeded(3);
    const parts = [0.001, 0.01, 0.1].map((scale) => Array.from({ length: 3000 }, () => -Math.log(1 - r()) * scale));
    const union = new LatencySketch();
    for (const v of parts.flat()) union.add(v);
    const sketches = parts.map((vs) => {
      const s = new LatencySketch();
      for (const v of vs) s.add(v);
      return s;
    });
    const forward = new LatencySketch();
    for (const s of sketches) forward.merge(s);
    const backward = new LatencySketch();
    for (const s of [...sketches].reverse()) backward.merge(LatencySketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())) as ReturnType<LatencySketch["toJSON"]>));
    const sorted = parts.flat().sort((a, b) => a - b);
    for (const q of QUANTILES) {
      expect(forward.quantile(q)).toBe(union.quantile(q));
      expect(backward.quantile(q)).toBe(union.quantile(q));
      expect(Math.abs(forward.quantile(q) - exact(sorted, q)) / exact(sorted, q)).toBeLessThanOrEqual(0.01 + 1e-12);
    }
    expect(forward.toJSON().counts).toEqual(union.toJSON().counts);
    expect(forward.count).toBe(9000);
    expect(forward.sum).toBeCloseTo(union.sum, 9);
  });

  it("keeps the bucket count bounded, collapsing the lowest values first", () => {
    const sketch = new LatencySketch(0.01, 64);
    for (let e = -9; e <= 3; e += 0.01) sketch.add(10 ** e);
    const data = sketch.toJSON();
    expect(data.counts.length).toBeLessThanOrEqual(64);
    // The top of the range keeps its accuracy.
    expect(Math.abs(sketch.quantile(1) - 1000) / 1000).toBeLessThanOrEqual(0.01);
    expect(Math.abs(sketch.quantile(0.99) - 10 ** (-9 + 0.99 * 12)) / 10 ** (-9 + 0.99 * 12)).toBeLessThanOrEqual(0.011);
  });

  it("handles zero, empty and mismatched sketches", () => {
    const s = new LatencySketch();
    expect(s.quantile(0.5)).toBeNaN();
    s.add(0);
    s.add(0);
    s.add(1);
    expect(s.quantile(0)).toBe(0);
    expect(s.quantile(1)).toBe(1);
    expect(() => s.merge(new LatencySketch(0.02))).toThrow(SketchMismatchError);
  });
});
