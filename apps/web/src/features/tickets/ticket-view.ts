// Pure view logic of the tickets pages: the status badge, and the context
// snapshot a ticket carries (neighbourhood as a small left-to-right graph,
// the changes that preceded the breach, exemplar traces) arranged for
// rendering. The snapshot was taken by the manager at breach time; nothing
// here re-reads live data.
import type { Neighbour, TicketChange, TicketExemplar } from "@weft/api";

export type TicketStatusLike = "OPEN" | "ACKNOWLEDGED" | "RESOLVED" | "CLOSED";

export type NeighbourLike = Neighbour;
export type ChangeLike = TicketChange;
export type ExemplarLike = TicketExemplar;

export interface TicketContextLike {
  capturedAt: string;
  service: { namespace: string; name: string } | null;
  neighbourhood: { callers: Neighbour[]; callees: Neighbour[]; self: Neighbour | null } | null;
  changes: ChangeLike[];
  exemplars: ExemplarLike[];
}

/** Badge text and level of a ticket status. */
export function statusBadge(status: TicketStatusLike): { label: string; level: "critical" | "warning" | "ok" | "muted" } {
  switch (status) {
    case "OPEN":
      return { label: "open", level: "critical" };
    case "ACKNOWLEDGED":
      return { label: "acknowledged", level: "warning" };
    case "RESOLVED":
      return { label: "resolved", level: "ok" };
    case "CLOSED":
      return { label: "closed", level: "muted" };
  }
}

/** Colour level of an edge or node by its error percentage: what the topology page uses too (1 % and 5 %). */
export function errorLevel(errorPercent: number, requests: number): "ok" | "warning" | "critical" | "idle" {
  if (requests === 0) return "idle";
  if (errorPercent >= 5) return "critical";
  if (errorPercent >= 1) return "warning";
  return "ok";
}

export interface MiniNode {
  id: string;
  label: string;
  x: number;
  y: number;
  level: "ok" | "warning" | "critical" | "idle";
  role: "caller" | "self" | "callee";
  detail: string;
}

export interface MiniEdge {
  from: string;
  to: string;
  level: "ok" | "warning" | "critical" | "idle";
  label: string;
}

/**
 * The neighbourhood as a three-column graph: callers on the left, the
 * service in the middle, callees on the right, each column centred
 * vertically; edges coloured by the error rate the snapshot recorded.
 */
export function miniTopology(context: Pick<TicketContextLike, "neighbourhood" | "service">, size = { width: 640, rowHeight: 56 }): { nodes: MiniNode[]; edges: MiniEdge[]; height: number } {
  const n = context.neighbourhood;
  const service = context.service;
  if (!n || !service) return { nodes: [], edges: [], height: 0 };
  const rows = Math.max(1, n.callers.length, n.callees.length);
  const height = rows * size.rowHeight + 24;
  const column = (list: readonly NeighbourLike[], x: number, role: "caller" | "callee"): MiniNode[] =>
    list.map((nb, i) => ({
      id: `${role}:${nb.namespace}/${nb.service}`,
      label: nb.namespace === service.namespace ? nb.service : `${nb.namespace}/${nb.service}`,
      x,
      y: height / 2 + (i - (list.length - 1) / 2) * size.rowHeight,
      level: errorLevel(nb.errorPercent, nb.requests),
      role,
      detail: `${nb.requests} requests, ${nb.errorPercent.toFixed(1)} % errors`,
    }));
  const selfId = `self:${service.namespace}/${service.name}`;
  const self: MiniNode = {
    id: selfId,
    label: service.name,
    x: size.width / 2,
    y: height / 2,
    level: n.self ? errorLevel(n.self.errorPercent, n.self.requests) : "idle",
    role: "self",
    detail: n.self ? `${n.self.requests} requests, ${n.self.errorPercent.toFixed(1)} % errors` : "no requests",
  };
  const callers = column(n.callers, size.width * 0.12, "caller");
  const callees = column(n.callees, size.width * 0.88, "callee");
  const edges: MiniEdge[] = [
    ...callers.map((c, i) => ({ from: c.id, to: selfId, level: c.level, label: `${(n.callers[i] as NeighbourLike).errorPercent.toFixed(1)} %` })),
    ...callees.map((c, i) => ({ from: selfId, to: c.id, level: c.level, label: `${(n.callees[i] as NeighbourLike).errorPercent.toFixed(1)} %` })),
  ];
  return { nodes: [...callers, self, ...callees], edges, height };
}

/** How long before the breach a change happened: "12 min before", "2 h before", "after". */
export function beforeBreach(at: string, capturedAt: string): string {
  const ms = Date.parse(capturedAt) - Date.parse(at);
  if (ms < 0) return "after";
  if (ms < 60_000) return "just before";
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min before`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h before`;
  return `${Math.round(ms / 86_400_000)} d before`;
}

/** The preceding changes, latest first, with where to see each diff in the dashboard. */
export function changeRows(context: Pick<TicketContextLike, "changes" | "capturedAt">): (ChangeLike & { when: string; href: string })[] {
  return [...context.changes]
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .map((c) => ({ ...c, when: beforeBreach(c.at, context.capturedAt), href: `/policies/edit?${new URLSearchParams({ kind: c.kind, namespace: c.namespace, name: c.name, revision: String(c.revision) }).toString()}` }));
}

/** Where a trace opens as a waterfall: the service page with the trace selected. */
export function traceHref(e: Pick<ExemplarLike, "traceId">, service: { namespace: string; name: string }): string {
  return `/services/detail?${new URLSearchParams({ service: `${service.namespace}/${service.name}`, trace: e.traceId }).toString()}`;
}
