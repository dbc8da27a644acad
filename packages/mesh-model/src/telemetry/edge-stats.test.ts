import { describe, expect, it } from "vitest";
import { LatencySketch } from "../proxy-config/latency-sketch.ts";
import { summarizeTraffic, trafficSeries, type EdgeRollup } from "./edge-stats.ts";
import { EdgeDeltaSchema, edgeKey } from "./telemetry.schema.ts";

function rollup(minute: number, latencies: number[], errors = 0): EdgeRollup {
  const sketch = new LatencySketch();
  for (const l of latencies) sketch.add(l);
  return { minute, requests: latencies.length, errors, latency: sketch.toJSON() };
}

const exact = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))] as number;

describe("summarizeTraffic", () => {
  it("adds counts exactly and keeps percentiles within the sketch's relative error", () => {
    const a = Array.from({ length: 500 }, (_, i) => 1 + i * 0.7);
    const b = Array.from({ length: 300 }, (_, i) => 200 + i * 3.1);
    const stats = summarizeTraffic([rollup(0, a, 5), rollup(60_000, b, 7)], 120);
    const all = [...a, ...b];
    expect(stats).toMatchObject({ requests: 800, errors: 12, rate: 800 / 120, errorPercent: 1.5 });
    for (const [q, got] of [[0.5, stats.p50], [0.9, stats.p90], [0.99, stats.p99]] as const) {
      const want = exact(all, q);
      expect(Math.abs((got as number) - want) / want).toBeLessThanOrEqual(0.01 + 1e-9);
    }
  });

  it("has no percentiles and no error rate without traffic", () => {
    expect(summarizeTraffic([], 60)).toEqual({ requests: 0, errors: 0, rate: 0, errorPercent: 0, p50: null, p90: null, p99: null });
  });
});

describe("trafficSeries", () => {
  it("puts each minute in its step and fills empty steps", () => {
    const series = trafficSeries([rollup(0, [1, 2]), rollup(60_000, [3]), rollup(180_000, [4, 5, 6])], 0, 240_000, 120_000);
    expect(series.map((p) => [p.at, p.requests])).toEqual([
      [0, 3],
      [120_000, 3],
    ]);
  });
});

describe("EdgeDeltaSchema", () => {
  const valid = { minute: 120_000, source: { cluster: "east", namespace: "shop", service: "web" }, destination: { cluster: "west", namespace: "shop", service: "api", version: "v2" }, codeClass: "2xx", requests: 2, errors: 0, latency: rollup(0, [1, 2]).latency };

  it.each([
    ["minute", { minute: 1234 }],
    ["errors", { errors: 3 }],
    ["latency.count", { requests: 1, errors: 0 }],
    ["codeClass", { codeClass: "6xx" }],
  ])("refuses a bad %s", (path, change) => {
    const result = EdgeDeltaSchema.safeParse({ ...valid, ...change });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toContain(path);
  });

  it("keys an edge by both ends and the response class", () => {
    const parsed = EdgeDeltaSchema.parse(valid);
    expect(edgeKey(parsed)).toBe(JSON.stringify(["east", "shop", "web", "", "west", "shop", "api", "v2", "2xx"]));
    expect(edgeKey({ ...parsed, codeClass: "5xx" })).not.toBe(edgeKey(parsed));
  });
});
