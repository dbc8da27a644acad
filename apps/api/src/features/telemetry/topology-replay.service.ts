import { invalid } from "../../errors.ts";
import type { ReplayMarkersRepository } from "./replay-markers.repository.ts";
import type { TelemetryRepository } from "./telemetry.repository.ts";
import { buildFrames, buildMarkers, MAX_REPLAY_FRAMES, MAX_REPLAY_SPAN_MS, minuteWindow, type ReplayFrame, type ReplayMarker } from "./topology-replay.ts";

export interface ReplayQuery {
  from: Date;
  to: Date;
  /** Seconds per frame, a multiple of 60. */
  stepSeconds: number;
  cluster?: string | undefined;
  namespace?: string | undefined;
}

export interface TopologyReplay {
  from: Date;
  to: Date;
  stepSeconds: number;
  frames: ReplayFrame[];
  markers: ReplayMarker[];
}

/**
 * The topology minute by minute over a window, with who changed what on the
 * same timeline: one read of the edge rollups and one of each history table
 * for the whole window, cut into frames in memory.
 */
export class TopologyReplayService {
  constructor(
    private readonly telemetry: Pick<TelemetryRepository, "rows">,
    private readonly markers: ReplayMarkersRepository,
    private readonly meshId: () => Promise<string>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async replay(query: ReplayQuery): Promise<TopologyReplay> {
    const { from, to } = minuteWindow(query.from, query.to);
    // The router's schema refuses these first, with every problem at once; this guards other callers.
    if (to <= from) throw invalid("must be after from", "to");
    if (to.getTime() - from.getTime() > MAX_REPLAY_SPAN_MS) throw invalid(`the window may span at most ${MAX_REPLAY_SPAN_MS / 3_600_000} hours`, "to");
    const stepMs = query.stepSeconds * 1000;
    if (!Number.isInteger(query.stepSeconds) || stepMs < 60_000 || stepMs % 60_000 !== 0) throw invalid("must be a whole number of minutes, in seconds", "step");
    if (Math.ceil((to.getTime() - from.getTime()) / stepMs) > MAX_REPLAY_FRAMES) throw invalid(`too many frames (at most ${MAX_REPLAY_FRAMES}): widen the step or narrow the window`, "step");
    const filter = { from, to, cluster: query.cluster, namespace: query.namespace };
    const meshId = await this.meshId();
    const marked = { meshId, from, to, namespace: query.namespace, cluster: query.cluster };
    // Sequential: the embedded database serves one connection, and these are one query each.
    const rows = await this.telemetry.rows(filter);
    const revisions = await this.markers.revisions(marked);
    const rolloutSteps = await this.markers.rolloutSteps(marked);
    const rolloutEvents = await this.markers.rolloutEvents(marked);
    const sloAlerts = await this.markers.sloAlerts(marked);
    return {
      from,
      to,
      stepSeconds: query.stepSeconds,
      frames: buildFrames(rows, { from, to, stepMs }, this.now()),
      markers: buildMarkers({ revisions, rolloutSteps, rolloutEvents, sloAlerts }, { from, stepMs }),
    };
  }
}
