"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { TimeSeriesChart } from "../services/time-series-chart.tsx";
import { Empty, QueryState } from "../ui/states.tsx";
import { comparisonColumns, stepMarkers } from "./comparison-series.ts";
import type { RolloutDetailView } from "./rollout-view.ts";

const MINUTE = 60_000;
const STABLE_COLOR = "#1a7f37";
const CANARY_COLOR = "#c2410c";

/**
 * Canary vs stable, success rate and p99, on one time axis from a few
 * minutes before the run to its end (or now), step boundaries marked.
 */
export function RolloutCharts({ rollout, live }: { rollout: RolloutDetailView; live: boolean }) {
  const trpc = useTRPC();
  const from = new Date(Math.floor((rollout.startedAt.getTime() - 5 * MINUTE) / MINUTE) * MINUTE);
  const end = rollout.finishedAt ? rollout.finishedAt.getTime() + 2 * MINUTE : Date.now();
  const to = new Date(Math.ceil(end / MINUTE) * MINUTE);
  const step = Math.max(60, Math.ceil((to.getTime() - from.getTime()) / MINUTE / 300) * 60);
  const service = { namespace: rollout.namespace, name: rollout.spec.service.name };
  const options = { refetchInterval: live ? 15_000 : (false as const), placeholderData: <T,>(p: T) => p };
  const stable = useQuery(trpc.telemetry.serviceSeries.queryOptions({ service, from, to, step, version: rollout.spec.stable.version }, options));
  const canary = useQuery(trpc.telemetry.serviceSeries.queryOptions({ service, from, to, step, version: rollout.spec.canary.version }, options));
  const fromMs = from.getTime();
  const toMs = to.getTime();
  const markers = useMemo(() => stepMarkers(rollout.events, new Date(fromMs), new Date(toMs)), [rollout.events, fromMs, toMs]);
  const lastMarker = markers.at(-1)?.at;
  const columns = useMemo(
    () => (stable.data && canary.data ? comparisonColumns(stable.data.points, canary.data.points, lastMarker === undefined ? undefined : lastMarker + 15) : null),
    [stable.data, canary.data, lastMarker],
  );
  const success = useMemo(
    () => (columns ? [{ label: `stable ${rollout.spec.stable.version}`, values: columns.stableSuccess, color: STABLE_COLOR }, { label: `canary ${rollout.spec.canary.version}`, values: columns.canarySuccess, color: CANARY_COLOR }] : []),
    [columns, rollout.spec.stable.version, rollout.spec.canary.version],
  );
  const latency = useMemo(
    () => (columns ? [{ label: `stable ${rollout.spec.stable.version}`, values: columns.stableP99, color: STABLE_COLOR }, { label: `canary ${rollout.spec.canary.version}`, values: columns.canaryP99, color: CANARY_COLOR }] : []),
    [columns, rollout.spec.stable.version, rollout.spec.canary.version],
  );
  const query = stable.isError ? stable : canary;
  return (
    <QueryState query={{ ...query, isPending: stable.isPending || canary.isPending, data: columns ?? undefined }} what="canary and stable traffic" isEmpty={(c) => c.x.length === 0} empty={<Empty title="No traffic to either version yet" />}>
      {(c) => (
        <div className="grid-2" data-testid="rollout-charts">
          <TimeSeriesChart title="Success rate, canary vs stable" unit="%" x={c.x} series={success} markers={markers} testId="chart-success" />
          <TimeSeriesChart title="p99 latency, canary vs stable" unit="ms" x={c.x} series={latency} markers={markers} testId="chart-p99" />
        </div>
      )}
    </QueryState>
  );
}
