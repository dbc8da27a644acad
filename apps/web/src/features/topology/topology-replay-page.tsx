"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import type { RouterOutputs } from "../../trpc/types.ts";
import { useViewFilters } from "../shell/use-view-filters.ts";
import { hrefWithFilters, RANGE_LABELS, timeWindow } from "../shell/view-filters.ts";
import { formatDateTime, formatMs, formatPercent, formatRate } from "../ui/format.ts";
import { DataTable } from "../ui/data-table.tsx";
import { Empty, ErrorState, Loading } from "../ui/states.tsx";
import { DEFAULT_THRESHOLDS, type EdgeData, type GraphOptions, type NodeData } from "./graph-model.ts";
import { TopologyCanvas } from "./topology-canvas.tsx";
import { frameElements, frameLabel, framesAround, markerHref, MARKER_TYPE_LABELS, replayStepSeconds, replayUnion, timelinePercent } from "./topology-replay.ts";
import styles from "./topology-replay.module.css";
import { HEALTH_COLORS } from "./topology-style.ts";
import { SidePanelHeader } from "./side-panel-header.tsx";

/** How long each frame shows while playing. */
export const PLAY_FRAME_MS = 800;

type Replay = RouterOutputs["telemetry"]["topologyReplay"];
type Marker = Replay["markers"][number];
type Selection = { type: "node"; data: NodeData } | { type: "edge"; data: EdgeData } | null;

/** The link from the live topology to its replay, with the view's filters. */
export function ReplayLink() {
  const params = useSearchParams();
  return (
    <Link className="btn" href={hrefWithFilters("/topology/replay", params)} data-testid="open-replay">
      Replay with changes
    </Link>
  );
}

function MarkerDetail({ marker, frames, stepSeconds, index, onShow }: { marker: Marker; frames: Replay["frames"]; stepSeconds: number; index: number; onShow: (frame: number) => void }) {
  const params = useSearchParams();
  const around = framesAround(marker, frames);
  const side = (label: string, frame: number | null, testId: string) => (
    <button type="button" className={`btn btn-small ${frame !== null && frame === index ? "btn-primary" : ""}`} aria-pressed={frame !== null && frame === index} disabled={frame === null} onClick={() => frame !== null && onShow(frame)} data-testid={testId}>
      {label}
      {frame !== null ? ` (${frameLabel(frames[frame]!.at, stepSeconds)})` : " (outside the window)"}
    </button>
  );
  return (
    <section className={styles.detail} aria-labelledby="replay-marker-heading" data-testid="replay-marker-detail">
      <h2 id="replay-marker-heading">
        {MARKER_TYPE_LABELS[marker.type]} at {formatDateTime(marker.at)}
      </h2>
      <dl className="facts">
        <dt>By</dt>
        <dd data-testid="replay-marker-author">{marker.author}</dd>
        <dt>What</dt>
        <dd data-testid="replay-marker-message">{marker.message}</dd>
        {marker.type === "revision" ? (
          <>
            <dt>Resource</dt>
            <dd>
              {marker.resource.kind} {marker.resource.namespace ? `${marker.resource.namespace}/` : ""}
              {marker.resource.name}, revision {marker.revision} ({marker.action})
            </dd>
          </>
        ) : null}
      </dl>
      <div className="row">
        <span className="muted">Graph:</span>
        {side("Just before", around.before, "replay-before")}
        {side("Just after", around.after, "replay-after")}
        <Link className="btn btn-small" href={markerHref(marker, params)} data-testid="replay-marker-link">
          {marker.type === "revision" ? "Diff in history" : marker.type === "rollout-step" || marker.type === "rollout-event" ? "Rollout" : "SLO"}
        </Link>
      </div>
    </section>
  );
}

function SelectionFacts({ selection, onClose }: { selection: NonNullable<Selection>; onClose: () => void }) {
  const absent = selection.type === "edge" && (selection.data as EdgeData & { absent?: boolean }).absent;
  return (
    <aside className="side-panel" aria-labelledby="replay-side-heading" data-testid="replay-side-panel">
      <SidePanelHeader title={selection.type === "node" ? selection.data.label : "Traffic edge"} headingId="replay-side-heading" onClose={onClose} />
      {selection.type === "edge" ? (
        <dl className="facts">
          <dt>From</dt>
          <dd>{selection.data.source.replace(/^svc:|^ext:/, "")}</dd>
          <dt>To</dt>
          <dd>{selection.data.target.replace(/^svc:|^ext:/, "")}</dd>
          <dt>Rate</dt>
          <dd>{absent ? "no traffic in this minute" : formatRate(selection.data.rate)}</dd>
          <dt>Success</dt>
          <dd>{absent || selection.data.requests === 0 ? "n/a" : formatPercent(100 - selection.data.errorPercent)}</dd>
          <dt>p99</dt>
          <dd>{formatMs(selection.data.p99)}</dd>
        </dl>
      ) : (
        <dl className="facts">
          <dt>Cluster</dt>
          <dd>{selection.data.cluster ?? "outside the mesh"}</dd>
          <dt>Namespace</dt>
          <dd>{selection.data.namespace ?? "—"}</dd>
          <dt>Inbound</dt>
          <dd>{formatRate(selection.data.rate)}</dd>
        </dl>
      )}
    </aside>
  );
}

/**
 * The topology minute by minute over the view's time range, with every
 * change of the range on the same timeline: move the slider or play, click a
 * change to compare the graph just before and just after it. The window is
 * fixed when the page opens (a replay must not slide under the slider);
 * "Up to now" extends it.
 */
export function TopologyReplayPage() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const { filters } = useViewFilters();
  const [openedAt, setOpenedAt] = useState(() => Date.now());
  const window = useMemo(() => timeWindow(filters, openedAt), [filters, openedAt]);
  const step = replayStepSeconds(window.to.getTime() - window.from.getTime());
  const query = useQuery(
    trpc.telemetry.topologyReplay.queryOptions(
      { from: window.from, to: window.to, step, ...(filters.cluster ? { cluster: filters.cluster } : {}), ...(filters.namespace ? { namespace: filters.namespace } : {}) },
      { placeholderData: (p) => p },
    ),
  );
  const [splitVersions, setSplitVersions] = useState(false);
  const options: GraphOptions = useMemo(
    () => ({ splitVersions, thresholds: DEFAULT_THRESHOLDS, cluster: filters.cluster, namespace: filters.namespace, search: "" }),
    [splitVersions, filters.cluster, filters.namespace],
  );
  const frames = useMemo(() => query.data?.frames ?? [], [query.data]);
  const markers = query.data?.markers ?? [];
  const last = Math.max(0, frames.length - 1);
  // null: follow the newest frame.
  const [chosen, setChosen] = useState<number | null>(null);
  const index = Math.min(chosen ?? last, last);
  const [playing, setPlaying] = useState(false);
  const [markerId, setMarkerId] = useState<string | null>(null);
  const [selection, setSelection] = useState<Selection>(null);

  const union = useMemo(() => replayUnion(frames, options), [frames, options]);
  const elements = useMemo(() => frameElements(union, frames[index], options), [union, frames, index, options]);

  useEffect(() => {
    if (!playing) return;
    const id = setInterval(() => setChosen((i) => Math.min((i ?? last) + 1, last)), PLAY_FRAME_MS);
    return () => clearInterval(id);
  }, [playing, last]);
  useEffect(() => {
    if (playing && index >= last) setPlaying(false);
  }, [playing, index, last]);

  const frame = frames[index];
  const stepMs = step * 1000;
  const shown = elements.edges.filter((e) => !e.absent);
  const services = elements.nodes.filter((n) => n.kind === "service" && !n.dimmed).length;
  const selected = markers.find((m) => m.id === markerId) ?? null;
  const current: Selection = useMemo(() => {
    if (!selection) return null;
    const found = selection.type === "edge" ? elements.edges.find((e) => e.id === selection.data.id) : elements.nodes.find((n) => n.id === selection.data.id);
    return found ? ({ type: selection.type, data: found } as Selection) : selection;
  }, [selection, elements]);
  const position = (at: Date) => timelinePercent(at, window.from, stepMs, frames.length);

  const openMarker = (m: Marker) => {
    setPlaying(false);
    setMarkerId(m.id);
    const around = framesAround(m, frames);
    setChosen(around.before ?? around.after ?? Math.min(Math.max(m.frame, 0), last));
  };

  return (
    <>
      <div className="page-header">
        <h1>Topology replay</h1>
        <div className="row">
          <Link className="btn" href={hrefWithFilters("/topology", params)}>
            Live topology
          </Link>
        </div>
      </div>
      <p className="muted">
        {RANGE_LABELS[filters.range]} ({formatDateTime(window.from)} – {formatDateTime(window.to)}), {step === 60 ? "minute by minute" : `${step / 60} minutes a frame`}. Dimmed services had no traffic in the frame shown; edges appear only in frames
        they carried requests.
      </p>
      <form className="toolbar" aria-label="Replay options" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Versions</span>
          <span className="row">
            <input type="checkbox" checked={splitVersions} onChange={(e) => setSplitVersions(e.target.checked)} aria-label="Split services by version" /> split by version
          </span>
        </label>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setChosen(null);
            setOpenedAt(Date.now());
          }}
        >
          Up to now
        </button>
      </form>
      {query.isPending ? <Loading what="the replay" /> : null}
      {query.isError ? <ErrorState error={query.error} title="Could not load the replay" onRetry={() => void query.refetch()} /> : null}
      {query.data && union.edges.length === 0 && markers.length === 0 ? (
        <Empty title="Nothing to replay in this time range">
          <p data-testid="replay-empty">No traffic was recorded and nothing changed. Widen the time range or clear the filters.</p>
        </Empty>
      ) : null}
      {query.data && frames.length > 0 ? (
        <>
          <section className={styles.timeline} aria-label="Timeline">
            <div className={styles.controls}>
              <button
                type="button"
                className="btn btn-primary"
                onClick={() => {
                  if (!playing && index >= last) setChosen(0);
                  setPlaying(!playing);
                }}
                data-testid="replay-play"
              >
                {playing ? "Pause" : "Play"}
              </button>
              <output className={styles.time} data-testid="replay-frame-time" data-frame={index} aria-live="polite">
                {frame ? frameLabel(frame.at, step) : ""}
              </output>
              <span className="muted">
                {services} services with traffic, {shown.length} edges carrying {formatRate(shown.reduce((n, e) => n + e.rate, 0))} together
              </span>
            </div>
            <div className={styles.track}>
              <ol className={styles.markers} aria-label="Changes on the timeline">
                {markers.map((m) => (
                  <li key={m.id} className={styles.markerSlot} style={{ left: `${position(m.at)}%` }}>
                    <button
                      type="button"
                      className={`${styles.marker} ${styles[m.type] ?? ""}`}
                      aria-pressed={m.id === markerId}
                      aria-label={`${MARKER_TYPE_LABELS[m.type]} by ${m.author} at ${formatDateTime(m.at)}: ${m.message}`}
                      title={`${MARKER_TYPE_LABELS[m.type]} by ${m.author}: ${m.message}`}
                      onClick={() => openMarker(m)}
                      data-testid="replay-marker"
                      data-marker-id={m.id}
                      data-frame={m.frame}
                    />
                  </li>
                ))}
              </ol>
              <input
                type="range"
                className={styles.slider}
                min={0}
                max={last}
                step={1}
                value={index}
                onChange={(e) => {
                  setPlaying(false);
                  setChosen(Number(e.target.value));
                }}
                aria-label="Minute shown"
                aria-valuetext={frame ? frameLabel(frame.at, step) : undefined}
                data-testid="replay-slider"
              />
              <div className={styles.ends} aria-hidden="true">
                <span>{frameLabel(frames[0]!.at, step)}</span>
                <span>{frameLabel(frames[last]!.at, step)}</span>
              </div>
            </div>
            <div className={styles.legend}>
              <span>
                <span className={`${styles.key} ${styles.revision}`} aria-hidden="true" /> change (author, message, diff)
              </span>
              <span>
                <span className={`${styles.key} ${styles["rollout-step"]}`} aria-hidden="true" /> rollout step
              </span>
              <span>
                <span className={`${styles.key} ${styles["rollout-event"]}`} aria-hidden="true" /> rollout approval, pause, abort or rollback
              </span>
              <span>
                <span className={`${styles.key} ${styles["slo-alert"]}`} aria-hidden="true" /> SLO alert
              </span>
              {Object.entries(HEALTH_COLORS).map(([h, c]) => (
                <span key={h}>
                  <span className="swatch" style={{ background: c }} aria-hidden="true" />
                  {h}
                </span>
              ))}
            </div>
          </section>
          {selected ? <MarkerDetail marker={selected} frames={frames} stepSeconds={step} index={index} onShow={(f) => setChosen(f)} /> : null}
          <div className="topology-layout" data-panel={current ? "open" : "closed"}>
            <TopologyCanvas
              elements={elements}
              onSelect={setSelection}
              label={`Service topology at ${frame ? frameLabel(frame.at, step) : ""}: ${services} services with traffic and ${shown.length} traffic edges.`}
            />
            {current ? <SelectionFacts selection={current} onClose={() => setSelection(null)} /> : null}
          </div>
          <section className="panel" aria-labelledby="replay-changes-heading">
            <header className="panel-header">
              <h2 id="replay-changes-heading">Changes in this range</h2>
            </header>
            {markers.length === 0 ? (
              <p className="muted">No resource, rollout or SLO alert changed in this range.</p>
            ) : (
              <DataTable columns={["When", "What", "By", "Change", { label: "Actions", hidden: true }]} testId="replay-changes">
                {markers.map((m) => (
                  <tr key={m.id} data-marker-id={m.id}>
                    <td>{formatDateTime(m.at)}</td>
                    <td>{MARKER_TYPE_LABELS[m.type]}</td>
                    <td>{m.author}</td>
                    <td>{m.message}</td>
                    <td className="row">
                      <button type="button" className="btn btn-small" onClick={() => openMarker(m)}>
                        Before / after
                      </button>
                      <Link className="btn btn-small" href={markerHref(m, params)}>
                        {m.type === "revision" ? "Diff" : "Open"}
                      </Link>
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
          </section>
        </>
      ) : null}
    </>
  );
}
