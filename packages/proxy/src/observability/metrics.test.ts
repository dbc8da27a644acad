import { describe, expect, it } from "vitest";
import { Counter, Histogram } from "./metrics.ts";

describe("Prometheus exposition", () => {
  it.each([
    ["plain", "svc", 'svc'],
    ["quote", 'a"b', 'a\\"b'],
    ["backslash", "a\\b", "a\\\\b"],
    ["newline", "a\nb", "a\\nb"],
  ])("escapes a label value with a %s", (_name, value, escaped) => {
    const c = new Counter("t_total", "help", ["l"]);
    c.inc({ l: value });
    expect(c.render()).toBe(`# HELP t_total help\n# TYPE t_total counter\nt_total{l="${escaped}"} 1`);
  });

  it("renders cumulative histogram buckets, sum and count", () => {
    const h = new Histogram("d_seconds", "help", ["s"], [0.1, 1]);
    for (const v of [0.05, 0.5, 0.7, 3]) h.observe({ s: "a" }, v);
    expect(h.render().split("\n").slice(2)).toEqual([
      'd_seconds_bucket{s="a",le="0.1"} 1',
      'd_seconds_bucket{s="a",le="1"} 3',
      'd_seconds_bucket{s="a",le="+Inf"} 4',
      'd_seconds_sum{s="a"} 4.25',
      'd_seconds_count{s="a"} 4',
    ]);
  });
});
