"use client";

import { formatDuration } from "@weft/mesh-model";
import type { PreviewChart } from "./rollout-preview.ts";

const W = 640;
const H = 180;
const PAD = { left: 40, right: 12, top: 10, bottom: 28 };

/** "0,170 40,170 ..." for an SVG polyline; null values break the line (A/B). */
function lines(x: readonly number[], y: readonly (number | null)[], total: number): string[] {
  const sx = (v: number) => PAD.left + (total === 0 ? 0 : (v / total) * (W - PAD.left - PAD.right));
  const sy = (v: number) => PAD.top + (1 - v / 100) * (H - PAD.top - PAD.bottom);
  const out: string[] = [];
  let current: string[] = [];
  x.forEach((t, i) => {
    const v = y[i];
    if (v === null || v === undefined) {
      if (current.length) out.push(current.join(" "));
      current = [];
      return;
    }
    current.push(`${sx(t).toFixed(1)},${sy(v).toFixed(1)}`);
  });
  if (current.length) out.push(current.join(" "));
  return out;
}

/**
 * The canary's share of live requests over time as the controller will walk
 * it when every interval passes; mirror copies dashed; gates and waves marked.
 * Small enough for an SVG: a handful of steps, no library needed.
 */
export function WeightPreviewChart({ chart }: { chart: PreviewChart }) {
  const total = Math.max(chart.totalSeconds, 1);
  const sx = (v: number) => PAD.left + (v / total) * (W - PAD.left - PAD.right);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * total));
  const matchOnly = chart.weight.every((w, i) => i === 0 || w === null || w === 0) && chart.weight.some((w) => w === null);
  return (
    <figure style={{ margin: 0 }} data-testid="weight-preview">
      <figcaption className="chart-title">
        Canary weight over time (about {formatDuration(chart.totalSeconds * 1000)} when every interval passes{chart.markers.some((m) => m.label.startsWith("approval")) ? " and approvals come at once" : ""})
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`Canary weight: ${chart.weight.filter((w) => w !== null).join(", ")} percent over ${chart.totalSeconds} seconds`}>
        {[0, 25, 50, 75, 100].map((p) => {
          const y = PAD.top + (1 - p / 100) * (H - PAD.top - PAD.bottom);
          return (
            <g key={p}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} stroke="#d0d7de" strokeWidth={0.5} />
              <text x={PAD.left - 6} y={y + 4} fontSize={10} textAnchor="end" fill="#57606a">
                {p} %
              </text>
            </g>
          );
        })}
        {ticks.map((t, i) => (
          <text key={i} x={sx(t)} y={H - 8} fontSize={10} textAnchor="middle" fill="#57606a">
            {formatDuration(t * 1000)}
          </text>
        ))}
        {chart.markers.map((m, i) => (
          <g key={i}>
            <line x1={sx(m.at)} x2={sx(m.at)} y1={PAD.top} y2={H - PAD.bottom} stroke="#8250df" strokeDasharray="4 3" />
            <text x={sx(m.at) + 3} y={PAD.top + 10 + (i % 3) * 11} fontSize={10} fill="#8250df">
              {m.label}
            </text>
          </g>
        ))}
        {lines(chart.x, chart.mirror, total).map((points, i) => (
          <polyline key={`m${i}`} points={points} fill="none" stroke="#9a6700" strokeWidth={2} strokeDasharray="6 4" />
        ))}
        {lines(chart.x, chart.weight, total).map((points, i) => (
          <polyline key={`w${i}`} points={points} fill="none" stroke="#2f6fdd" strokeWidth={2.5} />
        ))}
      </svg>
      <p className="muted" style={{ margin: 0 }}>
        <span style={{ color: "#2f6fdd" }}>━</span> live requests to the canary{chart.mirror.some((m) => m !== null) ? <> · <span style={{ color: "#9a6700" }}>╍</span> mirrored copies (responses discarded)</> : null}
        {matchOnly ? " · A/B: only matching requests go to the canary until promotion (no fixed share)" : ""}
      </p>
    </figure>
  );
}
