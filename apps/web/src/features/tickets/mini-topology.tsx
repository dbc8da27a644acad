"use client";

import { miniTopology, type TicketContextLike } from "./ticket-view.ts";

const COLOR = { ok: "#1a7f37", warning: "#9a6700", critical: "#cf222e", idle: "#8c959f" } as const;

/** The service's neighbourhood at breach time: callers → service → callees, edges coloured by error rate. */
export function MiniTopology({ context }: { context: Pick<TicketContextLike, "neighbourhood" | "service"> }) {
  const width = 640;
  const { nodes, edges, height } = miniTopology(context, { width, rowHeight: 56 });
  if (nodes.length === 0) return <p className="muted">No traffic was recorded around the service in the hour before the breach.</p>;
  const at = new Map(nodes.map((n) => [n.id, n]));
  return (
    <svg viewBox={`0 0 ${width} ${height}`} width="100%" style={{ maxWidth: `${width}px` }} role="img" aria-label="Callers and callees of the service at breach time" data-testid="mini-topology">
      {edges.map((e) => {
        const a = at.get(e.from)!;
        const b = at.get(e.to)!;
        return (
          <g key={`${e.from}->${e.to}`}>
            <line x1={a.x + 60} y1={a.y} x2={b.x - 60} y2={b.y} stroke={COLOR[e.level]} strokeWidth={2.5} />
            <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 6} textAnchor="middle" fontSize={12} fill={COLOR[e.level]}>
              {e.label}
            </text>
          </g>
        );
      })}
      {nodes.map((n) => (
        <g key={n.id}>
          <title>{n.detail}</title>
          <rect x={n.x - 60} y={n.y - 16} width={120} height={32} rx={6} fill="#fff" stroke={COLOR[n.level]} strokeWidth={n.role === "self" ? 3 : 1.5} />
          <text x={n.x} y={n.y + 4} textAnchor="middle" fontSize={13} fontWeight={n.role === "self" ? 600 : 400}>
            {n.label}
          </text>
        </g>
      ))}
    </svg>
  );
}
