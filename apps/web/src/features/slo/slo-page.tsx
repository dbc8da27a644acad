"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { TimeSeriesChart } from "../services/time-series-chart.tsx";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { statusBadge } from "../tickets/ticket-view.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Empty, ErrorState, Loading, Panel, QueryState } from "../ui/states.tsx";
import { BurnBars } from "./burn-bars.tsx";
import { SLO_REFRESH_MS } from "./slo-table.tsx";
import { alertHistory, burnDown, describeIndicator, formatBudget, formatExhaustion, formatSli, sliSeries, sloHealth } from "./slo-view.ts";

const TONE = { ok: "ok", warning: "warning", critical: "critical", unknown: "info" } as const;

function Charts({ namespace, name, objective }: { namespace: string; name: string; objective: number }) {
  const trpc = useTRPC();
  const series = useQuery(trpc.slos.series.queryOptions({ namespace, name }, { refetchInterval: 60_000, placeholderData: (p) => p }));
  const columns = useMemo(() => (series.data ? { sli: sliSeries(series.data.points, objective), down: burnDown(series.data.points, objective) } : null), [series.data, objective]);
  return (
    <QueryState query={series} what="the SLI series">
      {() =>
        columns ? (
          <div className="grid-2">
            <TimeSeriesChart title="SLI against the objective (%)" x={columns.sli.x} series={[{ label: "SLI", values: columns.sli.sli, color: "#0969da" }, { label: "objective", values: columns.sli.objective, color: "#cf222e" }]} markers={[]} unit="%" testId="sli-chart" />
            <TimeSeriesChart title="Error budget left over the window (%)" x={columns.down.x} series={[{ label: "budget left", values: columns.down.remaining, color: "#8250df" }]} markers={[]} unit="%" testId="burn-down-chart" />
          </div>
        ) : null
      }
    </QueryState>
  );
}

/** One SLO: the SLI against its objective, the budget burn-down, burn rate per window against its thresholds, alert history and tickets. */
export function SloPage() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const namespace = params.get("namespace") ?? "default";
  const name = params.get("name") ?? "";
  const query = useQuery(trpc.slos.get.queryOptions({ namespace, name }, { enabled: Boolean(name), refetchInterval: SLO_REFRESH_MS }));
  if (!name) return <ErrorState error={new Error("Open an SLO from the SLOs page.")} title="No SLO selected" />;
  if (query.isPending) return <Loading what={`SLO ${namespace}/${name}`} />;
  if (query.isError || !query.data) return <ErrorState error={query.error} title={`Could not load SLO ${namespace}/${name}`} onRetry={() => void query.refetch()} />;
  const slo = query.data;
  const health = sloHealth(slo);
  const now = Date.now();
  return (
    <>
      <div className="page-header">
        <h1>
          SLO {slo.namespace}/{slo.name}{" "}
          <span className="badge" data-tone={TONE[health.level]} data-testid="slo-health">
            {health.label}
          </span>
        </h1>
        <Link className="btn" href={hrefWithFilters("/policies/edit", params, { kind: "ServiceLevelObjective", namespace: slo.namespace, name: slo.name })}>
          Edit
        </Link>
      </div>
      <p>
        {slo.objective} % of requests to{" "}
        <Link href={hrefWithFilters("/services/detail", params, { service: `${slo.service.namespace}/${slo.service.name}` })}>
          {slo.service.namespace}/{slo.service.name}
        </Link>{" "}
        good by {describeIndicator(slo.document.spec.indicator)}, over a rolling {slo.window}
        {slo.clusters ? ` in ${slo.clusters.join(", ")}` : ""}.{" "}
        {slo.links.map((l) => (
          <a key={l.url} href={l.url} className="muted" style={{ marginRight: "0.75em" }}>
            {l.label}
          </a>
        ))}
      </p>
      <Panel title="Now" id="slo-now-heading">
        {slo.statuses.length === 0 ? (
          <Empty title="Not judged yet">The evaluator judges every SLO every 30 seconds.</Empty>
        ) : (
          <DataTable columns={["Scope", { label: "SLI", numeric: true }, { label: "Requests", numeric: true }, { label: "Budget left", numeric: true }, "Runs out", "Judged"]} testId="slo-status">
            {slo.statuses.map((s) => (
              <tr key={s.scope}>
                <th scope="row">{s.scope || "mesh-wide"}</th>
                <td className="num">{formatSli(s.sli)}</td>
                <td className="num">{Math.round(s.requests).toLocaleString()}</td>
                <td className="num">{formatBudget(s.budgetRemaining)}</td>
                <td>{formatExhaustion(s.exhaustsAt, s.budgetRemaining, now)}</td>
                <td title={s.queries.join("\n")}>{formatDateTime(s.evaluatedAt)}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Panel>
      <Panel title="SLI and error budget" id="slo-charts-heading">
        <Charts namespace={slo.namespace} name={slo.name} objective={slo.objective} />
      </Panel>
      <div className="grid-2">
        <Panel title="Burn rate per window" id="slo-burn-heading">
          <BurnBars alerts={slo.alerts} />
          <p className="muted">An alert fires when both of its windows burn faster than its threshold (the mark). 1× spends exactly the whole budget over the SLO window.</p>
        </Panel>
        <Panel title="Tickets" id="slo-tickets-heading">
          {slo.tickets.length === 0 ? (
            <Empty title="No tickets" />
          ) : (
            <ul data-testid="slo-tickets">
              {slo.tickets.map((t) => (
                <li key={t.id}>
                  <Link href={hrefWithFilters("/tickets/detail", params, { number: String(t.number) })}>#{t.number}</Link> {t.title}{" "}
                  <span className="badge" data-tone={statusBadge(t.status).level === "muted" ? "info" : statusBadge(t.status).level}>
                    {statusBadge(t.status).label}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Panel>
      </div>
      <Panel title="Alert history" id="slo-history-heading">
        {slo.events.length === 0 ? (
          <Empty title="No alert has fired" />
        ) : (
          <DataTable columns={["When", "What", "Window pair", "Where", "Budget left", "Why"]} testId="alert-history">
            {alertHistory(slo.events).map((e, i) => (
              <tr key={`${e.at.getTime()}-${e.pair}-${i}`}>
                <td>{formatDateTime(e.at)}</td>
                <td>
                  <span className="badge" data-tone={e.what === "fired" ? "critical" : e.what === "resolved" ? "ok" : "info"}>
                    {e.what}
                  </span>{" "}
                  <span className="muted">{e.severity}</span>
                </td>
                <td>{e.pair}</td>
                <td>{e.where}</td>
                <td className="num">{e.budget}</td>
                <td>{e.reason}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Panel>
    </>
  );
}
