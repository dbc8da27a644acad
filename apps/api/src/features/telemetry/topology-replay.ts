// The topology replay as plain data: the window's minute rollups cut into
// frames (one per step), each frame's edges summarised the way
// `telemetry.edges` summarises a window, and the changes of the window —
// resource revisions, rollout steps, SLO alert transitions — placed on the
// same frames. Pure: rows in, frames and markers out; the service reads the
// rows (one query per table over the whole window) and calls this.
import type { EdgeEnd } from "@weft/mesh-model";
import { coveredSpan } from "./telemetry.service.ts";
import type { EdgeMinuteRow } from "./telemetry.repository.ts";
import { groupTraffic } from "./traffic-groups.ts";

const MINUTE = 60_000;

/** Most frames one replay returns (12 hours minute by minute, a day at two-minute steps). */
export const MAX_REPLAY_FRAMES = 720;
/** Widest window one replay covers. */
export const MAX_REPLAY_SPAN_MS = 24 * 3_600_000;

/** One edge's traffic in one frame. */
export interface ReplayEdge {
  source: EdgeEnd;
  destination: EdgeEnd;
  requests: number;
  errors: number;
  /** Requests per second over the time the frame covers. */
  rate: number;
  errorPercent: number;
  /** Requests that did not fail, 0–100; null without requests. */
  successPercent: number | null;
  /** 99th percentile latency (ms) from the frame's merged sketches; null without samples. */
  p99: number | null;
  /** Every request of the frame was mTLS (true), some were not (false); null without requests. */
  mtls: boolean | null;
}

/** The graph of one step of the window. */
export interface ReplayFrame {
  /** Start of the frame (inclusive); it ends at `at + step`. */
  at: Date;
  /** Seconds the frame's rates are over: the step, or less for a frame that is still under way. */
  seconds: number;
  edges: ReplayEdge[];
}

/** A stored resource revision as the replay marks it. */
export interface RevisionFact {
  at: Date;
  kind: string;
  namespace: string;
  name: string;
  revision: number;
  action: string;
  author: string;
  message: string;
  /** Services (`namespace/name`) the revision's document refers to. */
  services: string[];
}

/** A rollout step as it was entered. */
export interface RolloutStepFact {
  at: Date;
  namespace: string;
  /** The Rollout's name. */
  name: string;
  service: string;
  canaryVersion: string;
  stableVersion: string;
  startedBy: string;
  attempt: number;
  wave: number;
  step: number;
  kind: string;
  /** rollout-steps.ts Traffic[] (one per wave) once the step was entered. */
  traffic: unknown;
  routeRevision: number | null;
}

/** What a run's event timeline contributes to the replay: the decisions that change where traffic goes or whether it moves on. */
export const ROLLOUT_EVENT_MARKED = ["approved", "paused", "resumed", "aborted", "rolled-back"] as const;
export type RolloutEventMarked = (typeof ROLLOUT_EVENT_MARKED)[number];

/** One of those events of a rollout run. */
export interface RolloutEventFact {
  /** The event row's id (unique). */
  id: string;
  at: Date;
  namespace: string;
  /** The Rollout's name. */
  name: string;
  service: string;
  attempt: number;
  wave: number;
  step: number;
  type: string;
  message: string;
  /** The operator who acted; null for the controller. */
  actor: string | null;
}

/** An SLO alert's state change. */
export interface SloAlertFact {
  at: Date;
  /** The ServiceLevelObjective's namespace and name. */
  namespace: string;
  name: string;
  scope: string;
  pair: string;
  severity: string;
  from: string;
  to: string;
  reason: string;
}

interface MarkerBase {
  /** Stable and unique within a replay (for keys and links). */
  id: string;
  at: Date;
  /** Index of the frame the change happened in; -1 before the first frame. */
  frame: number;
  /** Who made the change: a person, a token's user, or the controller that did. */
  author: string;
  /** The change in one line. */
  message: string;
}

export type ReplayMarker =
  | (MarkerBase & { type: "revision"; resource: { kind: string; namespace: string; name: string }; revision: number; action: string; services: string[] })
  | (MarkerBase & { type: "rollout-step"; rollout: { namespace: string; name: string }; service: string; step: { attempt: number; wave: number; step: number; kind: string }; routeRevision: number | null })
  | (MarkerBase & { type: "rollout-event"; rollout: { namespace: string; name: string }; service: string; event: string; step: { attempt: number; wave: number; step: number } })
  | (MarkerBase & { type: "slo-alert"; slo: { namespace: string; name: string }; scope: string; pair: string; severity: string; from: string; to: string });

/** The frames' start times: `from`, `from + step`, … up to (not including) `to`. */
export function frameStarts(from: Date, to: Date, stepMs: number): Date[] {
  const out: Date[] = [];
  for (let at = from.getTime(); at < to.getTime(); at += stepMs) out.push(new Date(at));
  return out;
}

/** The frame `at` falls in: -1 before the window, the frame count at or after its end. */
export function frameIndexOf(at: Date, from: Date, stepMs: number): number {
  const offset = at.getTime() - from.getTime();
  return offset < 0 ? -1 : Math.floor(offset / stepMs);
}

/**
 * Cuts the window's rows into frames of `stepMs` and summarises each frame's
 * edges (busiest first). A frame still under way divides by the time it has
 * covered so far (at least a minute, as `telemetry.edges` does), so the
 * current frame's rates read what flows now rather than a fraction of it.
 */
export function buildFrames(rows: readonly EdgeMinuteRow[], window: { from: Date; to: Date; stepMs: number }, now: Date): ReplayFrame[] {
  const starts = frameStarts(window.from, window.to, window.stepMs);
  const buckets: EdgeMinuteRow[][] = starts.map(() => []);
  for (const row of rows) {
    const i = frameIndexOf(row.minute, window.from, window.stepMs);
    buckets[i]?.push(row);
  }
  return starts.map((at, i) => {
    const end = new Date(Math.min(window.to.getTime(), at.getTime() + window.stepMs));
    const seconds = Math.min((end.getTime() - at.getTime()) / 1000, coveredSpan(at, end, null, now).seconds);
    const edges = groupTraffic(buckets[i] ?? [], "edge", seconds).map((g) => ({
      source: g.source as EdgeEnd,
      destination: g.destination,
      requests: g.requests,
      errors: g.errors,
      rate: g.rate,
      errorPercent: g.errorPercent,
      successPercent: g.successPercent,
      p99: g.p99,
      mtls: g.mtlsPercent === null ? null : g.mtlsPercent === 100,
    }));
    return { at, seconds, edges };
  });
}

const percent = (n: number) => `${Math.round(n * 10) / 10} %`;

/** A step's traffic (rollout-steps.ts Traffic, one per wave) in words, e.g. "v2 at 20 %". */
export function describeTraffic(traffic: unknown, canary: string): string {
  if (!Array.isArray(traffic) || traffic.length === 0) return "";
  const words = traffic.map((t: unknown) => {
    const mode = typeof t === "object" && t !== null ? (t as { mode?: unknown }).mode : undefined;
    switch (mode) {
      case "weighted":
        return `${canary} at ${percent(Number((t as { weight?: unknown }).weight ?? 0))}`;
      case "mirror":
        return `${percent(Number((t as { percent?: unknown }).percent ?? 0))} mirrored to ${canary}`;
      case "match":
        return `matching requests to ${canary}`;
      case "canary":
        return `all to ${canary}`;
      case "stable":
        return "all to stable";
      default:
        return "unknown traffic";
    }
  });
  const distinct = [...new Set(words)];
  return distinct.length === 1 ? (distinct[0] as string) : words.map((w, i) => `wave ${i + 1}: ${w}`).join(", ");
}

const ROLLOUT_EVENT_WORDS: Record<string, string> = { approved: "approved", paused: "paused", resumed: "resumed", aborted: "aborted", "rolled-back": "rolled back" };

const ACTIONS: Record<string, string> = { create: "created", update: "updated", delete: "deleted", restore: "restored" };

/**
 * Every change of the window as a marker on its frame, earliest first (ties:
 * revisions, then rollout steps, then rollout events, then alerts, each in its own order).
 */
export function buildMarkers(
  facts: { revisions: readonly RevisionFact[]; rolloutSteps: readonly RolloutStepFact[]; rolloutEvents?: readonly RolloutEventFact[]; sloAlerts: readonly SloAlertFact[] },
  window: { from: Date; stepMs: number },
): ReplayMarker[] {
  const frame = (at: Date) => frameIndexOf(at, window.from, window.stepMs);
  const ref = (namespace: string, name: string) => (namespace ? `${namespace}/${name}` : name);
  const markers: ReplayMarker[] = [
    ...facts.revisions.map((r): ReplayMarker => ({
      type: "revision",
      id: `revision:${r.kind}/${ref(r.namespace, r.name)}@${r.revision}`,
      at: r.at,
      frame: frame(r.at),
      author: r.author,
      message: r.message || `${r.kind} ${ref(r.namespace, r.name)} ${ACTIONS[r.action] ?? r.action} (no message)`,
      resource: { kind: r.kind, namespace: r.namespace, name: r.name },
      revision: r.revision,
      action: r.action,
      services: r.services,
    })),
    ...facts.rolloutSteps.map((s): ReplayMarker => {
      const traffic = describeTraffic(s.traffic, s.canaryVersion);
      return {
        type: "rollout-step",
        id: `rollout:${s.namespace}/${s.name}@${s.attempt}.${s.wave}.${s.step}:${s.at.getTime()}`,
        at: s.at,
        frame: frame(s.at),
        author: `rollout controller (run started by ${s.startedBy})`,
        message: `Rollout ${s.namespace}/${s.name} step ${s.step + 1}${s.wave > 0 ? ` of wave ${s.wave + 1}` : ""} (${s.kind})${traffic ? `: ${traffic}` : ""}`,
        rollout: { namespace: s.namespace, name: s.name },
        service: s.service,
        step: { attempt: s.attempt, wave: s.wave, step: s.step, kind: s.kind },
        routeRevision: s.routeRevision,
      };
    }),
    ...(facts.rolloutEvents ?? []).map((e): ReplayMarker => ({
      type: "rollout-event",
      id: `rollout-event:${e.namespace}/${e.name}#${e.id}`,
      at: e.at,
      frame: frame(e.at),
      author: e.actor ?? "rollout controller",
      message: `Rollout ${e.namespace}/${e.name} ${ROLLOUT_EVENT_WORDS[e.type] ?? e.type} at step ${e.step + 1}${e.wave > 0 ? ` of wave ${e.wave + 1}` : ""}${e.message ? `: ${e.message}` : ""}`,
      rollout: { namespace: e.namespace, name: e.name },
      service: e.service,
      event: e.type,
      step: { attempt: e.attempt, wave: e.wave, step: e.step },
    })),
    ...facts.sloAlerts.map((a): ReplayMarker => ({
      type: "slo-alert",
      id: `slo:${a.namespace}/${a.name}/${a.scope}/${a.pair}:${a.at.getTime()}`,
      at: a.at,
      frame: frame(a.at),
      author: "SLO evaluator",
      message: `SLO ${a.namespace}/${a.name}${a.scope ? ` in ${a.scope}` : ""} ${a.pair} ${a.severity} alert ${a.from.toLowerCase()} → ${a.to.toLowerCase()}: ${a.reason}`,
      slo: { namespace: a.namespace, name: a.name },
      scope: a.scope,
      pair: a.pair,
      severity: a.severity,
      from: a.from,
      to: a.to,
    })),
  ];
  // A stable sort: simultaneous changes keep the order above.
  return markers.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** Rounds a window out to whole minutes. */
export function minuteWindow(from: Date, to: Date): { from: Date; to: Date } {
  return { from: new Date(Math.floor(from.getTime() / MINUTE) * MINUTE), to: new Date(Math.ceil(to.getTime() / MINUTE) * MINUTE) };
}
