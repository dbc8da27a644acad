// The topology replay as plain data: which elements a frame draws, where a
// change sits on the timeline, which frames are "just before" and "just
// after" it, and where its details live. Every frame draws the same nodes and
// edges — those of the whole window — so moving the slider only changes data
// in place and never lays the graph out again: an edge without traffic in
// the frame is `absent` (not drawn), a service without traffic is dimmed.
import { hrefWithFilters } from "../shell/view-filters.ts";
import { buildGraph, type EdgeData, type EdgeEndLike, type GraphElements, type GraphOptions, type NodeData } from "./graph-model.ts";

/** Most frames one replay asks for (the API's limit). */
export const MAX_FRAMES = 720;

/** One edge of a frame, as `telemetry.topologyReplay` returns it. */
export interface ReplayEdgeLike {
  source: EdgeEndLike;
  destination: EdgeEndLike;
  requests: number;
  errors: number;
  rate: number;
  errorPercent: number;
  successPercent: number | null;
  p99: number | null;
  mtls: boolean | null;
}

export interface ReplayFrameLike {
  at: Date;
  seconds: number;
  edges: readonly ReplayEdgeLike[];
}

/** The fields of a marker the timeline needs (the API's markers carry more, by type). */
export interface ReplayMarkerLike {
  id: string;
  type: "revision" | "rollout-step" | "rollout-event" | "slo-alert";
  at: Date;
  frame: number;
  author: string;
  message: string;
}

/** An edge as the replay draws it: `absent` in frames where it carried nothing. */
export type ReplayEdgeData = EdgeData & { absent?: boolean };

/** Seconds per frame for a window: minute by minute, unless that would be more than MAX_FRAMES frames. */
export function replayStepSeconds(spanMs: number): number {
  return Math.max(1, Math.ceil(spanMs / MAX_FRAMES / 60_000)) * 60;
}

const asTraffic = (e: ReplayEdgeLike) => ({ ...e, p50: null });

/** Every node and edge any frame of the replay has: what the canvas lays out once. */
export function replayUnion(frames: readonly ReplayFrameLike[], options: GraphOptions): GraphElements {
  return buildGraph(
    frames.flatMap((f) => f.edges.map(asTraffic)),
    options,
  );
}

/**
 * The elements of frame `index`: the union's nodes and edges, with this
 * frame's numbers where it had traffic; the rest idle (nodes dimmed, edges
 * absent), so the set of elements — and with it the layout — never changes.
 */
export function frameElements(union: GraphElements, frame: ReplayFrameLike | undefined, options: GraphOptions): { nodes: NodeData[]; edges: ReplayEdgeData[] } {
  const current = buildGraph((frame?.edges ?? []).map(asTraffic), options);
  const nodes = new Map(current.nodes.map((n) => [n.id, n]));
  const edges = new Map(current.edges.map((e) => [e.id, e]));
  // Flags are always set, false included: the canvas updates elements with cytoscape's data(), which
  // merges, so a key left out would keep the previous frame's value.
  return {
    nodes: union.nodes.map((n) => {
      const shown = nodes.get(n.id);
      if (shown) return n.kind === "service" || n.kind === "external" ? { ...shown, dimmed: shown.dimmed ?? false } : shown;
      return n.kind === "service" || n.kind === "external" ? { ...n, health: n.kind === "service" ? "idle" : n.health, rate: 0, dimmed: true } : n;
    }),
    edges: union.edges.map((e) => {
      const shown = edges.get(e.id);
      return shown ? { ...shown, absent: false } : { ...e, rate: 0, requests: 0, errors: 0, errorPercent: 0, p99: null, health: "idle", label: "", absent: true };
    }),
  };
}

/** The frame to show at time `at` (the one it falls in), clamped to the replay. */
export function frameAt(frames: readonly ReplayFrameLike[], at: number): number {
  if (frames.length === 0) return 0;
  let found = 0;
  for (let i = 0; i < frames.length; i++) if ((frames[i] as ReplayFrameLike).at.getTime() <= at) found = i;
  return found;
}

/**
 * The frames around a change: `before`, the last frame that ended by the
 * time of the change; `after`, the first that began at or after it (the
 * frame the change happened in mixes both, so neither is it unless the
 * change fell on its first instant). Null when the replay has no such frame.
 */
export function framesAround(marker: Pick<ReplayMarkerLike, "at" | "frame">, frames: readonly ReplayFrameLike[]): { before: number | null; after: number | null } {
  const onBoundary = marker.frame >= 0 && marker.frame < frames.length && frames[marker.frame]?.at.getTime() === marker.at.getTime();
  const before = marker.frame - 1;
  const after = onBoundary ? marker.frame : marker.frame + 1;
  const inRange = (i: number) => (i >= 0 && i < frames.length ? i : null);
  return { before: inRange(Math.min(before, frames.length - 1)), after: inRange(Math.max(after, 0)) };
}

/**
 * Where a time sits along the slider, 0–100 (%): the slider's positions are
 * the frames' starts (0 at the first, 100 at the last), so a change half-way
 * through a minute sits half-way between that minute's position and the next.
 */
export function timelinePercent(at: Date, from: Date, stepMs: number, frameCount: number): number {
  if (frameCount <= 1) return 0;
  const position = (at.getTime() - from.getTime()) / stepMs;
  return Math.min(100, Math.max(0, (position / (frameCount - 1)) * 100));
}

/**
 * Where a marker's details live: a revision's diff in the resource's history
 * page (which also shows a resource deleted since, where the editor could not
 * load it), a rollout's page, an SLO's page.
 */
export function markerHref(
  marker:
    | { type: "revision"; resource: { kind: string; namespace: string; name: string }; revision: number }
    | { type: "rollout-step" | "rollout-event"; rollout: { namespace: string; name: string } }
    | { type: "slo-alert"; slo: { namespace: string; name: string } },
  params: Pick<URLSearchParams, "get">,
): string {
  switch (marker.type) {
    case "revision":
      return `${hrefWithFilters("/policies/history", params, { kind: marker.resource.kind, namespace: marker.resource.namespace, name: marker.resource.name, revision: String(marker.revision) })}#history-heading`;
    case "rollout-step":
    case "rollout-event":
      return hrefWithFilters("/rollouts/detail", params, { namespace: marker.rollout.namespace, name: marker.rollout.name });
    case "slo-alert":
      return hrefWithFilters("/slos/detail", params, { namespace: marker.slo.namespace, name: marker.slo.name });
  }
}

/** "12:03" (or "12:03–12:05" for a wider step) in the browser's time zone. */
export function frameLabel(at: Date, stepSeconds: number): string {
  const hm = (d: Date) => d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return stepSeconds === 60 ? hm(at) : `${hm(at)}–${hm(new Date(at.getTime() + stepSeconds * 1000))}`;
}

/** Short names of marker types, for the timeline and its list. */
export const MARKER_TYPE_LABELS: Record<ReplayMarkerLike["type"], string> = { revision: "Change", "rollout-step": "Rollout step", "rollout-event": "Rollout decision", "slo-alert": "SLO alert" };
