"use client";

import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { useTimeWindow, useViewFilters } from "../shell/use-view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Drawer } from "../ui/drawer.tsx";
import { Empty, QueryState } from "../ui/states.tsx";
import { TraceWaterfall } from "./trace-waterfall.tsx";
import { formatTraceMs } from "./waterfall-layout.ts";

export const TRACES_REFRESH_MS = 15_000;
/** The URL parameter naming the open trace: a waterfall can be shared as a link. */
export const TRACE_PARAM = "trace";

/** The open trace, kept in the URL (replace: opening a trace is not a history step). */
function useSelectedTrace(): [string | null, (traceId: string | null) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const raw = params.get(TRACE_PARAM);
  const selected = raw && /^[0-9a-f]{32}$/.test(raw) ? raw : null;
  const select = useCallback(
    (traceId: string | null) => {
      const next = new URLSearchParams(params.toString());
      if (traceId) next.set(TRACE_PARAM, traceId);
      else next.delete(TRACE_PARAM);
      const query = next.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [params, pathname, router],
  );
  return [selected, select];
}

/** A service's most recent traces in the page's time range, and the selected one as a waterfall. */
export function RecentTraces({ namespace, name }: { namespace: string; name: string }) {
  const trpc = useTRPC();
  const { filters } = useViewFilters();
  const window = useTimeWindow(filters);
  const params = useSearchParams();
  // `failed=1`: opened from an unhealthy node or edge's "all failed traces".
  const [errorsOnly, setErrorsOnly] = useState(() => params.get("failed") === "1");
  const [selected, select] = useSelectedTrace();
  // While a waterfall is open the list holds still: a refresh must not move the row that was clicked.
  const traces = useQuery(
    trpc.telemetry.traces.queryOptions({ namespace, service: name, from: window.from, to: window.to, limit: 50, errorsOnly }, { refetchInterval: selected ? false : TRACES_REFRESH_MS, placeholderData: (p) => p }),
  );
  return (
    <>
      <div className="toolbar">
        <label>
          <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.target.checked)} data-testid="traces-errors-only" /> failed traces only
        </label>
      </div>
      <QueryState
        query={traces}
        what="traces"
        isEmpty={(d) => d.traces.length === 0}
        empty={
          <Empty title={errorsOnly ? "No failed traces in this time range" : "No traces in this time range"}>
            Proxies record a span for requests that carry a sampled trace context, and start traces for a share of the others (the mesh&apos;s tracing sample rate).
          </Empty>
        }
      >
        {(data) => (
          <DataTable columns={["Started", "Entry", { label: "Duration", numeric: true }, { label: "Spans", numeric: true }, "Services", "Status", { label: "Open", hidden: true }]} testId="recent-traces">
            {data.traces.map((t) => {
              const open = t.traceId === selected;
              return (
                <tr key={t.traceId} aria-selected={open} data-testid="trace-row">
                  <td>{formatDateTime(t.start)}</td>
                  <td>
                    {t.rootName || "—"} <span className="muted">{t.rootService}</span>
                  </td>
                  <td className="num">{formatTraceMs(t.durationMs)}</td>
                  <td className="num">{t.spanCount}</td>
                  <td>{t.services.join(", ")}</td>
                  <td>{t.error ? <span className="badge" data-tone="critical">failed</span> : <span className="badge" data-tone="ok">ok</span>}</td>
                  <td>
                    <button type="button" className="btn btn-small" aria-pressed={open} onClick={() => select(open ? null : t.traceId)} aria-label={`${open ? "Close" : "Open"} trace ${t.traceId} as a waterfall`}>
                      {open ? "Close" : "Waterfall"}
                    </button>
                  </td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </QueryState>
      {selected ? <p className="muted" role="status" data-testid="traces-paused">Refresh paused while a trace is open.</p> : null}
      <Drawer open={selected !== null} label="Trace waterfall" onClose={() => select(null)} testId="trace-drawer">
        {selected ? <TraceWaterfall traceId={selected} onClose={() => select(null)} /> : null}
      </Drawer>
    </>
  );
}
