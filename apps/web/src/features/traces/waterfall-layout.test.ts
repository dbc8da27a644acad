import { describe, expect, it } from "vitest";
import { formatTraceMs, layoutWaterfall, serviceColors, tickStep, type WaterfallSpan } from "./waterfall-layout.ts";

const span = (spanId: string, parentSpanId: string | null, start: number, durationMs: number, service = "checkout"): WaterfallSpan => ({
  spanId,
  parentSpanId,
  startTime: new Date(1_700_000_000_000 + start),
  durationMs,
  namespace: "shop",
  service,
});

const summary = (spans: WaterfallSpan[]) => layoutWaterfall(spans).rows.map((r) => [r.span.spanId, r.depth, r.orphan, r.offset, r.width]);

describe("waterfall layout", () => {
  it("nests children under parents, siblings by start, with bars as fractions of the trace", () => {
    // Given in scrambled order: the layout must not depend on it.
    const spans = [span("c2", "b", 60, 20, "ledger"), span("b", "a", 10, 80), span("a", null, 0, 100, "frontend"), span("c1", "b", 20, 30, "cart")];
    expect(summary(spans)).toEqual([
      ["a", 0, false, 0, 1],
      ["b", 1, false, 0.1, 0.8],
      ["c1", 2, false, 0.2, 0.3],
      ["c2", 2, false, 0.6, 0.2],
    ]);
    const layout = layoutWaterfall(spans);
    expect(layout.durationMs).toBe(100);
    expect(layout.services).toEqual(["shop/frontend", "shop/checkout", "shop/cart", "shop/ledger"]);
    expect(layout.ticks.map((t) => t.ms)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it.each([
    ["a span whose parent was not recorded is an extra root, marked orphan", [span("a", null, 0, 10), span("x", "missing", 20, 10)], [["a", 0, false, 0, 1 / 3], ["x", 0, true, 2 / 3, 1 / 3]]],
    ["a trace of orphans only keeps their start order", [span("y", "p2", 5, 5), span("x", "p1", 0, 5)], [["x", 0, true, 0, 0.5], ["y", 0, true, 0.5, 0.5]]],
    ["a parent cycle still shows every span once", [span("a", "b", 0, 10), span("b", "a", 5, 5)], [["a", 0, true, 0, 1], ["b", 1, false, 0.5, 0.5]]],
    ["a duplicate span id is drawn once", [span("a", null, 0, 10), span("a", null, 0, 10)], [["a", 0, false, 0, 1]]],
    ["a self-parented span is a root", [span("a", "a", 0, 10)], [["a", 0, true, 0, 1]]],
  ] as const)("%s", (_what, spans, rows) => {
    expect(summary([...spans])).toEqual(rows);
  });

  it("keeps a child that outlives its parent's trace window inside the bar area", () => {
    const [, child] = layoutWaterfall([span("a", null, 0, 10), span("b", "a", 8, 2)]).rows;
    expect((child?.offset ?? 0) + (child?.width ?? 0)).toBeLessThanOrEqual(1);
  });

  it("handles zero-length and empty traces without dividing by zero", () => {
    const single = layoutWaterfall([span("a", null, 0, 0)]);
    expect(single.rows[0]).toMatchObject({ offset: 0, width: 0 });
    expect(Number.isFinite(single.durationMs)).toBe(true);
    expect(layoutWaterfall([])).toMatchObject({ rows: [], services: [] });
  });

  it("does not overflow the stack on a very deep trace", () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => span(`s${i}`, i === 0 ? null : `s${i - 1}`, i, 1));
    const rows = layoutWaterfall(chain).rows;
    expect(rows).toHaveLength(20_000);
    expect(rows.at(-1)?.depth).toBe(19_999);
  });

  it.each([
    [100, 20],
    [7, 2],
    [0.4, 0.1],
    [3000, 1000],
  ])("ticks over %s ms step by %s ms", (total, step) => {
    expect(tickStep(total)).toBeCloseTo(step, 10);
  });

  it("gives each service its own colour", () => {
    const colors = serviceColors(["shop/a", "shop/b"]);
    expect(colors.get("shop/a")).not.toBe(colors.get("shop/b"));
  });

  it.each([
    [0, "0"],
    [0.25, "250 µs"],
    [4.256, "4.26 ms"],
    [120, "120 ms"],
    [1500, "1.5 s"],
  ])("writes %s ms as %s", (ms, text) => {
    expect(formatTraceMs(ms)).toBe(text);
  });
});
