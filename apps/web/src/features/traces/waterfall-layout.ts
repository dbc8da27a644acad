// The trace waterfall's geometry, apart from React: the span tree from parent
// links, each span's depth, and its bar as fractions of the trace's time
// span. Spans whose parent was never recorded (sampled out, pruned, or a
// proxy outside the mesh) become extra roots marked `orphan`, so nothing
// reported is hidden.

/** What the layout reads of a span. */
export interface WaterfallSpan {
  spanId: string;
  parentSpanId: string | null;
  /** Start: a Date or epoch milliseconds. */
  startTime: Date | number;
  durationMs: number;
  namespace: string;
  service: string;
}

export interface WaterfallRow<S extends WaterfallSpan> {
  span: S;
  /** 0 for roots; children one deeper than their parent. */
  depth: number;
  /** The span names a parent that is not in the trace. */
  orphan: boolean;
  /** Milliseconds from the trace's start to this span's start. */
  startOffsetMs: number;
  /** Bar start as a fraction of the trace's duration, in [0, 1]. */
  offset: number;
  /** Bar width as a fraction of the trace's duration, in [0, 1 - offset]. */
  width: number;
  /** `namespace/service` of the span's workload: the colour key. */
  serviceKey: string;
}

export interface WaterfallTick {
  /** Position as a fraction of the trace's duration. */
  fraction: number;
  ms: number;
}

export interface WaterfallLayout<S extends WaterfallSpan> {
  /** Rows in display order: each parent followed by its subtree, siblings by start time. */
  rows: WaterfallRow<S>[];
  startMs: number;
  /** From the first start to the last end; at least 1 µs, so fractions stay finite. */
  durationMs: number;
  ticks: WaterfallTick[];
  /** Every `namespace/service`, in order of first appearance in `rows`. */
  services: string[];
}

const ms = (t: Date | number) => (typeof t === "number" ? t : t.getTime());
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** A 1-2-5 step giving about `count` intervals over `totalMs`. */
export function tickStep(totalMs: number, count = 5): number {
  const raw = totalMs / count;
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

/** Lays out a trace's spans (any order) as waterfall rows. */
export function layoutWaterfall<S extends WaterfallSpan>(spans: readonly S[]): WaterfallLayout<S> {
  const byId = new Map<string, S>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const unique = [...byId.values()];
  const order = (a: S, b: S) => ms(a.startTime) - ms(b.startTime) || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);
  const children = new Map<string, S[]>();
  const roots: S[] = [];
  for (const s of unique) {
    if (s.parentSpanId !== null && s.parentSpanId !== s.spanId && byId.has(s.parentSpanId)) {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    } else roots.push(s);
  }
  for (const list of children.values()) list.sort(order);
  roots.sort(order);

  const startMs = unique.length ? Math.min(...unique.map((s) => ms(s.startTime))) : 0;
  const endMs = unique.length ? Math.max(...unique.map((s) => ms(s.startTime) + Math.max(0, s.durationMs))) : 0;
  const durationMs = Math.max(endMs - startMs, 0.001);

  const rows: WaterfallRow<S>[] = [];
  const placed = new Set<string>();
  const place = (root: S) => {
    // Iterative depth-first walk: a deep trace must not exhaust the call stack.
    const stack: { span: S; depth: number }[] = [{ span: root, depth: 0 }];
    while (stack.length > 0) {
      const { span, depth } = stack.pop() as { span: S; depth: number };
      if (placed.has(span.spanId)) continue;
      placed.add(span.spanId);
      const startOffsetMs = ms(span.startTime) - startMs;
      const offset = clamp01(startOffsetMs / durationMs);
      rows.push({
        span,
        depth,
        orphan: depth === 0 && span.parentSpanId !== null,
        startOffsetMs,
        offset,
        width: Math.min(clamp01(Math.max(0, span.durationMs) / durationMs), 1 - offset),
        serviceKey: `${span.namespace}/${span.service}`,
      });
      const kids = children.get(span.spanId) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i] as S, depth: depth + 1 });
    }
  };
  for (const root of roots) place(root);
  // Spans only reachable through a parent cycle (malformed ids): shown as orphans rather than lost.
  for (const s of [...unique].sort(order)) if (!placed.has(s.spanId)) place(s);

  const step = tickStep(durationMs);
  const ticks: WaterfallTick[] = [];
  // Multiples rather than a running sum: repeated addition of 0.1 drifts.
  for (let i = 0; i * step <= durationMs * (1 + 1e-9); i++) ticks.push({ fraction: clamp01((i * step) / durationMs), ms: Number((i * step).toPrecision(12)) });
  const services = [...new Set(rows.map((r) => r.serviceKey))];
  return { rows, startMs, durationMs, ticks, services };
}

/** Colour-blind-friendly palette (Okabe-Ito, without black and yellow) for services; red is kept for errors. */
export const SERVICE_PALETTE = ["#0072b2", "#009e73", "#e69f00", "#56b4e9", "#cc79a7", "#6b4c9a", "#8c6d31", "#4d4d4d"] as const;

/** A colour per service, by order of appearance: stable within one trace. */
export function serviceColors(services: readonly string[]): Map<string, string> {
  return new Map(services.map((s, i) => [s, SERVICE_PALETTE[i % SERVICE_PALETTE.length] as string]));
}

/**
 * Milliseconds for span durations and axis ticks: hops inside one machine
 * take microseconds, which the dashboard's "<1 ms" would flatten.
 */
export function formatTraceMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "n/a";
  if (ms === 0) return "0";
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 10) return `${Number(ms.toFixed(2))} ms`;
  if (ms < 1000) return `${Number(ms.toFixed(1))} ms`;
  return `${Number((ms / 1000).toFixed(2))} s`;
}
