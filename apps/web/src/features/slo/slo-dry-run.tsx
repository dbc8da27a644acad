"use client";

import { useQuery } from "@tanstack/react-query";
import { useDeferredValue } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { TimeSeriesChart } from "../services/time-series-chart.tsx";
import { Panel, QueryState } from "../ui/states.tsx";
import { formatBudget, formatBurn, formatSli, sliSeries } from "./slo-view.ts";

/** In the policy editor: the draft SLO judged against the last day's traffic, nothing stored. */
export function SloDryRun({ value }: { value: unknown }) {
  const trpc = useTRPC();
  const draft = useDeferredValue(value);
  const query = useQuery(trpc.slos.dryRun.queryOptions({ document: draft }, { placeholderData: (p) => p, refetchInterval: 60_000 }));
  return (
    <Panel title="Dry run: this SLO over the last day" id="slo-dry-run-heading">
      <QueryState query={query} what="the dry run">
        {(r) =>
          !r.valid ? (
            <p className="muted">Fix the fields above to see how this SLO would judge the last day.</p>
          ) : (
            <div data-testid="slo-dry-run">
              <p>
                SLI now <strong>{formatSli(r.sli)}</strong> · budget left <strong>{formatBudget(r.budgetRemaining)}</strong>
              </p>
              <ul>
                {r.alerts.map((a) => (
                  <li key={a.pair}>
                    <span className="badge" data-tone={a.met ? "critical" : "ok"}>
                      {a.met ? "would fire" : "quiet"}
                    </span>{" "}
                    {a.severity} {a.pair}: {a.reason}
                  </li>
                ))}
              </ul>
              {(() => {
                const objective = typeof (draft as { spec?: { objective?: unknown } })?.spec?.objective === "number" ? ((draft as { spec: { objective: number } }).spec.objective) : 99.9;
                const cols = sliSeries(r.lastDay, objective);
                return <TimeSeriesChart title="SLI per hour, last 24 h (%)" x={cols.x} series={[{ label: "SLI", values: cols.sli, color: "#0969da" }, { label: "objective", values: cols.objective, color: "#cf222e" }]} markers={[]} unit="%" testId="dry-run-chart" />;
              })()}
              <p className="muted">Burn now: {Object.entries(r.burnRates).map(([w, v]) => `${w} ${formatBurn(v)}`).join(" · ")}</p>
            </div>
          )
        }
      </QueryState>
    </Panel>
  );
}
