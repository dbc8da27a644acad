"use client";

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Marker } from "./series-model.ts";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
}

/**
 * One uPlot time series chart with vertical config-change markers. uPlot
 * draws to canvas, so the data is also given as a hidden table for screen readers.
 */
export function TimeSeriesChart({ title, x, series, markers, unit, testId }: { title: string; x: number[]; series: ChartSeries[]; markers: Marker[]; unit: string; testId?: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const drawMarkers = (u: uPlot) => {
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = "#8250df";
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 1.5 * devicePixelRatio;
      for (const m of markers) {
        const px = u.valToPos(m.at, "x", true);
        if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue;
        ctx.beginPath();
        ctx.moveTo(px, u.bbox.top);
        ctx.lineTo(px, u.bbox.top + u.bbox.height);
        ctx.stroke();
      }
      ctx.restore();
    };
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 180,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: false, value: (_u: uPlot, v: number | null) => (v === null ? "—" : `${v.toFixed(2)} ${unit}`) }))],
      axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((t) => `${t}`) }],
      legend: { show: true },
      hooks: { draw: [drawMarkers] },
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, markers, unit]);
  return (
    <figure style={{ margin: 0 }} data-testid={testId}>
      <figcaption className="chart-title">{title}</figcaption>
      <div ref={host} className="chart" role="img" aria-label={`${title} chart; ${markers.length} config change(s) marked`} />
      <table className="visually-hidden">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {series.map((s) => (
              <th key={s.label} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {x.slice(-20).map((t, i) => {
            const idx = x.length - Math.min(20, x.length) + i;
            return (
              <tr key={t}>
                <td>{new Date(t * 1000).toLocaleTimeString()}</td>
                {series.map((s) => (
                  <td key={s.label}>{s.values[idx] ?? "—"}</td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}
