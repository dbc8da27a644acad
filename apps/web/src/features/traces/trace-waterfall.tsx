"use client";

import { useQuery } from "@tanstack/react-query";
import { Fragment, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useTRPC } from "../../trpc/context.ts";
import type { RouterOutputs } from "../../trpc/types.ts";
import { formatDateTime } from "../ui/format.ts";
import { Empty, QueryState } from "../ui/states.tsx";
import { formatTraceMs, layoutWaterfall, serviceColors, type WaterfallRow } from "./waterfall-layout.ts";
import styles from "./waterfall.module.css";

type TraceSpan = RouterOutputs["telemetry"]["trace"]["spans"][number];

/** Up/Down, Home/End move between rows: a long trace should not take a Tab per span. */
function moveFocus(event: KeyboardEvent<HTMLElement>, list: HTMLElement | null) {
  const keys = ["ArrowDown", "ArrowUp", "Home", "End"];
  if (!list || !keys.includes(event.key)) return;
  const rows = [...list.querySelectorAll<HTMLButtonElement>("button[data-row]")];
  const at = rows.indexOf(event.target as HTMLButtonElement);
  if (at < 0) return;
  const next = event.key === "Home" ? 0 : event.key === "End" ? rows.length - 1 : Math.min(rows.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)));
  event.preventDefault();
  rows[next]?.focus();
}

function describe(row: WaterfallRow<TraceSpan>): string {
  const s = row.span;
  const status = s.statusCode === null ? "" : `, status ${s.statusCode}`;
  return `${s.name} in ${row.serviceKey} (${s.kind.toLowerCase()}), starts at +${formatTraceMs(row.startOffsetMs)}, takes ${formatTraceMs(s.durationMs)}${status}${s.error ? ", failed" : ""}${row.orphan ? ", parent span not recorded" : ""}`;
}

function SpanDetails({ span, id }: { span: TraceSpan; id: string }) {
  const fields: [string, string][] = [
    ["Span", span.spanId],
    ["Parent", span.parentSpanId ?? "—"],
    ["Workload", `${span.cluster} · ${span.namespace}/${span.service}${span.version ? ` ${span.version}` : ""}`],
    ["Kind", span.kind],
    ...(span.peerService ? ([["Calls", span.peerService]] as [string, string][]) : []),
    ["Status", span.statusCode === null ? "—" : String(span.statusCode)],
    ...(span.responseFlags ? ([["Response flags", span.responseFlags]] as [string, string][]) : []),
    ["Started", formatDateTime(span.startTime)],
    ["Duration", formatTraceMs(span.durationMs)],
    ...Object.entries(span.attributes).map(([k, v]) => [k, String(v)] as [string, string]),
  ];
  return (
    <div className={styles.details} id={id} data-testid="span-details">
      <dl>
        {fields.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </Fragment>
        ))}
      </dl>
    </div>
  );
}

/** One trace as a waterfall: spans as bars on a shared time axis, nested by parent, coloured by service. */
export function TraceWaterfall({ traceId, onClose }: { traceId: string; onClose: () => void }) {
  const trpc = useTRPC();
  const trace = useQuery(trpc.telemetry.trace.queryOptions({ traceId }));
  const layout = useMemo(() => (trace.data ? layoutWaterfall(trace.data.spans) : null), [trace.data]);
  const colors = useMemo(() => serviceColors(layout?.services ?? []), [layout]);
  const [open, setOpen] = useState<string | null>(null);
  const list = useRef<HTMLUListElement>(null);
  return (
    <section className={styles.waterfall} aria-labelledby="waterfall-heading" data-testid="trace-waterfall">
      <div className={styles.header}>
        <h3 id="waterfall-heading">
          Trace <span className={styles.traceId}>{traceId}</span>
        </h3>
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close trace
        </button>
      </div>
      <QueryState query={trace} what="trace" isEmpty={(d) => d.spans.length === 0} empty={<Empty title="This trace has no recorded spans" />}>
        {() =>
          layout ? (
            <>
              <p className="muted">
                {layout.rows.length} spans over {formatTraceMs(layout.durationMs)}, from {formatDateTime(layout.startMs)}. Select a span for its details.
              </p>
              <ul className={styles.legend} aria-label="Services">
                {layout.services.map((s) => (
                  <li key={s}>
                    <span className={styles.swatch} style={{ background: colors.get(s) }} aria-hidden="true" />
                    {s}
                  </li>
                ))}
              </ul>
              <div className={styles.grid} aria-hidden="true">
                <span />
                <div className={styles.axis}>
                  {layout.ticks.map((t) => (
                    <span key={t.ms} className={styles.tick} style={{ left: `${t.fraction * 100}%` }}>
                      {formatTraceMs(t.ms)}
                    </span>
                  ))}
                </div>
              </div>
              <ul className={styles.rows} ref={list} data-testid="waterfall-rows">
                {layout.rows.map((row) => {
                  const s = row.span;
                  const expanded = open === s.spanId;
                  const detailsId = `span-${s.spanId}`;
                  // The duration label sits right of the bar, or left of it when the bar reaches the end.
                  const labelRight = row.offset + row.width < 0.8;
                  return (
                    <li key={s.spanId} data-testid="waterfall-row" data-depth={row.depth} data-error={s.error ? "true" : undefined}>
                      <button
                        type="button"
                        data-row
                        className={styles.row}
                        aria-expanded={expanded}
                        aria-controls={detailsId}
                        aria-label={describe(row)}
                        onClick={() => setOpen(expanded ? null : s.spanId)}
                        onKeyDown={(e) => moveFocus(e, list.current)}
                      >
                        <span className={`${styles.label} ${row.orphan ? styles.orphan : ""}`} style={{ paddingLeft: `${Math.min(row.depth, 12) * 0.9}rem` }} title={`${row.serviceKey}: ${s.name}`}>
                          {row.serviceKey} · {s.name}
                        </span>
                        <span className={styles.track}>
                          <span
                            className={`${styles.bar} ${s.error ? styles.error : ""}`}
                            style={{ left: `${row.offset * 100}%`, width: `${row.width * 100}%`, backgroundColor: colors.get(row.serviceKey) }}
                          />
                          <span className={styles.duration} style={labelRight ? { left: `${(row.offset + row.width) * 100}%` } : { right: `${(1 - row.offset) * 100}%` }}>
                            {formatTraceMs(s.durationMs)}
                            {s.error ? " ✕" : ""}
                          </span>
                        </span>
                      </button>
                      {expanded ? <SpanDetails span={s} id={detailsId} /> : null}
                    </li>
                  );
                })}
              </ul>
            </>
          ) : null
        }
      </QueryState>
    </section>
  );
}
