"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useTRPC } from "../../trpc/context.ts";
import { ExpiryWarningsPanel } from "../certificates/expiry-warnings-panel.tsx";
import { describeAgentStatus, describeSync } from "../clusters/cluster-view.ts";
import { HealthOverview } from "../health/health-overview.tsx";
import { SloPanel } from "../slo/slo-table.tsx";
import { useTimeWindow, useViewFilters } from "../shell/use-view-filters.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime, formatMs, formatRate, formatRelative, formatSuccessPercent } from "../ui/format.ts";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { meshTotals } from "./overview-model.ts";

export const LIVE_REFRESH_MS = 10_000;

function ClustersPanel() {
  const trpc = useTRPC();
  const { filters } = useViewFilters();
  const params = useSearchParams();
  const query = useQuery(trpc.clusters.list.queryOptions(undefined, { refetchInterval: LIVE_REFRESH_MS }));
  return (
    <Panel title="Clusters" id="clusters-heading" actions={<Link href={hrefWithFilters("/clusters", params)}>Manage clusters</Link>}>
      <QueryState
        query={query}
        what="clusters"
        isEmpty={(d) => d.length === 0}
        empty={
          <Empty title="No clusters yet">
            <p>
              Add a cluster on the <Link href={hrefWithFilters("/clusters", params)}>Clusters</Link> page and run its agent with the join token.
            </p>
          </Empty>
        }
      >
        {(clusters) => (
          <DataTable columns={["Cluster", "Agent", "Config sync", { label: "Proxies", numeric: true }, "Last seen"]} testId="overview-clusters">
            {clusters
              .filter((c) => !filters.cluster || c.name === filters.cluster)
              .map((c) => {
                const agent = describeAgentStatus(c.status);
                const sync = describeSync(c.sync);
                return (
                  <tr key={c.id}>
                    <th scope="row">
                      {c.name}
                      {c.region ? <span className="muted"> · {c.region}</span> : null}
                    </th>
                    <td>
                      <span className="badge" data-tone={agent.tone}>
                        {agent.label}
                      </span>{" "}
                      <span className="muted">{c.agentVersion ?? ""}</span>
                    </td>
                    <td>
                      <span className="badge" data-tone={sync.tone} title={sync.detail}>
                        {sync.label}
                      </span>{" "}
                      <span className="muted">{sync.detail}</span>
                      {c.lastRejection ? <p className="field-error">Rejected v{String(c.lastRejection.version)}: {c.lastRejection.reason}</p> : null}
                    </td>
                    <td className="num">
                      {c.proxyCounts.applied}/{c.proxyCounts.total}
                      {c.proxyCounts.rejected > 0 ? <span className="field-error"> ({c.proxyCounts.rejected} rejected)</span> : null}
                    </td>
                    <td>{formatRelative(c.lastSeenAt, Date.now())}</td>
                  </tr>
                );
              })}
          </DataTable>
        )}
      </QueryState>
    </Panel>
  );
}

/** Says what the rates are over: the part of the window the data covers, when that is less than all of it. */
export function coverNote(coveredFrom: Date, coveredSeconds: number, window: { from: Date; to: Date }): string {
  const minutes = Math.max(1, Math.round(coveredSeconds / 60));
  const windowMinutes = Math.round((window.to.getTime() - window.from.getTime()) / 60_000);
  if (coveredFrom.getTime() <= window.from.getTime()) return `Rates are per second over the ${windowMinutes} minutes of the time range.`;
  return `Rates are per second over the ${minutes} minute${minutes === 1 ? "" : "s"} the data covers (traffic was first recorded ${formatRelative(coveredFrom, Date.now())}), not the whole ${windowMinutes}-minute range.`;
}

function TrafficPanel() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const { filters } = useViewFilters();
  const window = useTimeWindow(filters);
  const query = useQuery(
    trpc.telemetry.edges.queryOptions(
      { from: window.from, to: window.to, ...(filters.cluster ? { cluster: filters.cluster } : {}), ...(filters.namespace ? { namespace: filters.namespace } : {}) },
      { refetchInterval: LIVE_REFRESH_MS, placeholderData: (prev) => prev },
    ),
  );
  return (
    <Panel title="Mesh traffic" id="traffic-heading">
      <QueryState query={query} what="traffic" isEmpty={(d) => d.edges.length === 0} empty={<Empty title="No traffic in this time range">Agents report request counts once their proxies carry traffic.</Empty>}>
        {(data) => {
          const totals = meshTotals(data.edges);
          const tiles: { label: string; value: string; href: string; what: string }[] = [
            { label: "Request rate", value: formatRate(totals.rate), href: "/topology", what: "the topology" },
            { label: "Success rate", value: formatSuccessPercent(totals.successPercent), href: "/services", what: "services by error rate" },
            { label: "Latency p50 (weighted)", value: formatMs(totals.p50), href: "/services", what: "services by latency" },
            { label: "Worst edge p99", value: formatMs(totals.worstP99), href: "/topology", what: "the topology's edges" },
            { label: "Active edges", value: String(totals.edges), href: "/topology", what: "the topology" },
          ];
          return (
            <>
              <dl className="stat-grid" data-testid="mesh-totals">
                {tiles.map((t) => (
                  <div className="stat stat-link" key={t.label}>
                    <dt>{t.label}</dt>
                    <dd>
                      <Link href={hrefWithFilters(t.href, params)} aria-label={`${t.label} ${t.value}: open ${t.what}`} data-testid="overview-tile">
                        {t.value}
                      </Link>
                    </dd>
                  </div>
                ))}
              </dl>
              <p className="muted" data-testid="rate-cover">
                {coverNote(data.coveredFrom, data.coveredSeconds, window)}
              </p>
            </>
          );
        }}
      </QueryState>
    </Panel>
  );
}

function RecentChangesPanel() {
  const trpc = useTRPC();
  const { filters } = useViewFilters();
  const params = useSearchParams();
  const query = useQuery(trpc.resources.meshHistory.queryOptions({ limit: 10, ...(filters.namespace ? { namespace: filters.namespace } : {}) }, { refetchInterval: LIVE_REFRESH_MS }));
  return (
    <Panel title="Recent config changes" id="changes-heading">
      <QueryState query={query} what="changes" isEmpty={(d) => d.revisions.length === 0} empty={<Empty title="No changes yet">Resources you apply show up here with their author.</Empty>}>
        {({ revisions }) => (
          <DataTable columns={["When", "Resource", "Change", "Author", "Message"]} testId="recent-changes">
            {revisions.map((r) => (
              <tr key={`${r.kind}/${r.namespace}/${r.name}/${r.revision}`}>
                <td title={formatDateTime(r.createdAt)}>{formatRelative(r.createdAt, Date.now())}</td>
                <td>
                  <Link href={hrefWithFilters("/policies/edit", params, { kind: r.kind, namespace: r.namespace, name: r.name })}>
                    {r.kind} {r.namespace ? `${r.namespace}/` : ""}
                    {r.name}
                  </Link>
                </td>
                <td>
                  {r.action} · rev {r.revision} · v{String(r.configVersion)}
                </td>
                <td>{r.authorName}</td>
                <td>{r.message || <span className="muted">—</span>}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
    </Panel>
  );
}

/**
 * The page operators open first: are the clusters connected and in sync, is
 * traffic healthy, what changed lately, which certificates are overdue for
 * renewal, and how the SLOs stand.
 */
export function OverviewPage() {
  return (
    <>
      <h1>Overview</h1>
      <TrafficPanel />
      <SloPanel />
      <ClustersPanel />
      <ExpiryWarningsPanel refetchInterval={LIVE_REFRESH_MS} />
      <div className="grid-2">
        <RecentChangesPanel />
        <HealthOverview />
      </div>
    </>
  );
}
