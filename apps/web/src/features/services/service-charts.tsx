"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { useTimeWindow, useViewFilters } from "../shell/use-view-filters.ts";
import { Empty, QueryState } from "../ui/states.tsx";
import { formatRate } from "../ui/format.ts";
import { averageRate, changeMarkers, hasTraffic, toColumns } from "./series-model.ts";
import { TimeSeriesChart } from "./time-series-chart.tsx";

export const SERIES_REFRESH_MS = 15_000;

/** Request rate, error rate and latency percentiles of a service, with config changes marked. */
export function ServiceCharts({ namespace, name, compact = false }: { namespace: string; name: string; compact?: boolean }) {
  const trpc = useTRPC();
  const { filters } = useViewFilters();
  const window = useTimeWindow(filters);
  const series = useQuery(
    trpc.telemetry.serviceSeries.queryOptions(
      { service: { namespace, name }, from: window.from, to: window.to, step: window.stepSeconds, ...(filters.cluster ? { cluster: filters.cluster } : {}) },
      { refetchInterval: SERIES_REFRESH_MS, placeholderData: (p) => p },
    ),
  );
  const history = useQuery(trpc.resources.serviceHistory.queryOptions({ namespace, name, limit: 100 }, { refetchInterval: SERIES_REFRESH_MS }));
  const markers = useMemo(() => changeMarkers(history.data?.revisions ?? [], window.from, window.to), [history.data, window.from, window.to]);
  const columns = useMemo(() => (series.data ? toColumns(series.data.points) : null), [series.data]);
  const average = useMemo(() => (series.data ? averageRate(series.data.points, window.to, Date.now()) : null), [series.data, window.to]);
  const rate = useMemo(() => (columns ? [{ label: "requests/s", values: columns.rate, color: "#2f6fdd" }] : []), [columns]);
  const errors = useMemo(() => (columns ? [{ label: "error %", values: columns.errorPercent, color: "#c62828" }] : []), [columns]);
  const latency = useMemo(
    () =>
      columns
        ? [
            { label: "p50", values: columns.p50, color: "#1a7f37" },
            { label: "p90", values: columns.p90, color: "#9a6700" },
            { label: "p99", values: columns.p99, color: "#c62828" },
          ]
        : [],
    [columns],
  );
  return (
    <QueryState query={series} what="traffic series" isEmpty={(d) => !hasTraffic(d.points)} empty={<Empty title="No traffic to this service in the time range" />}>
      {() =>
        columns ? (
          <div className={compact ? "stack" : "grid-3"} data-testid="service-charts">
            <div>
              <TimeSeriesChart title="Request rate" unit="req/s" x={columns.x} series={rate} markers={markers} testId="chart-rate" />
              {average ? (
                <p className="muted" data-testid="chart-average-rate">
                  {formatRate(average.rate)} on average over the {Math.round(average.seconds / 60)} min the data covers
                </p>
              ) : null}
            </div>
            <TimeSeriesChart title="Error rate" unit="%" x={columns.x} series={errors} markers={markers} testId="chart-errors" />
            <TimeSeriesChart title="Latency" unit="ms" x={columns.x} series={latency} markers={markers} testId="chart-latency" />
          </div>
        ) : null
      }
    </QueryState>
  );
}
