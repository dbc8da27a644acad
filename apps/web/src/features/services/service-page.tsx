"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { policiesForService } from "../policies/policy-catalog.ts";
import { ProposePolicyAction } from "../policy-proposal/propose-policy.tsx";
import { ScopeEgressAction } from "../egress-scope/scope-egress.tsx";
import { ResilienceWizards } from "../wizards/resilience-wizards.tsx";
import { TrafficShiftWizard } from "../wizards/traffic-shift-wizard.tsx";
import { useSession } from "../shell/session.tsx";
import { useTimeWindow, useViewFilters } from "../shell/use-view-filters.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { DataTable, type DataColumn } from "../ui/data-table.tsx";
import { formatMs, formatPercent, formatRate } from "../ui/format.ts";
import { Empty, ErrorState, Panel, QueryState } from "../ui/states.tsx";
import { SloPanel } from "../slo/slo-table.tsx";
import { RecentTraces } from "../traces/recent-traces.tsx";
import { newRolloutHref } from "../rollouts/rollout-links.ts";
import { ServiceRolloutBanner } from "../rollouts/service-rollout-banner.tsx";
import { CallerSharesPanel } from "../locality/caller-shares-panel.tsx";
import { DiagnosticsPanel } from "../diagnostics/diagnostics-panel.tsx";
import { ServiceCharts } from "./service-charts.tsx";
import { ServiceEndpoints } from "./service-endpoints.tsx";
import { neighbours, type Neighbour } from "./service-index.ts";

/** Rate, error share and p99 latency: the traffic figures every table of this page ends with. */
const TRAFFIC_COLUMNS: DataColumn[] = [
  { label: "Rate", numeric: true },
  { label: "Errors", numeric: true },
  { label: "p99", numeric: true },
];

function NeighbourTable({ rows, testId, params }: { rows: Neighbour[]; testId: string; params: URLSearchParams }) {
  if (rows.length === 0) return <Empty title="None in this time range" />;
  return (
    <DataTable columns={["Service", "Cluster", "Version", ...TRAFFIC_COLUMNS]} testId={testId}>
      {rows.map((r, i) => (
        <tr key={i}>
          <td>{r.cluster ? <Link href={hrefWithFilters("/services/detail", params, { service: `${r.namespace}/${r.service}` })}>{`${r.namespace}/${r.service}`}</Link> : "outside the mesh"}</td>
          <td>{r.cluster || "—"}</td>
          <td>{r.version || "—"}</td>
          <td className="num">{formatRate(r.rate)}</td>
          <td className="num">{formatPercent(r.errorPercent)}</td>
          <td className="num">{formatMs(r.p99)}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** One service: golden signals with config-change markers, instances per cluster, callers/callees, policies. */
export function ServicePage() {
  const trpc = useTRPC();
  const session = useSession();
  const params = useSearchParams();
  const { filters } = useViewFilters();
  const window = useTimeWindow(filters);
  const [namespace, name] = (params.get("service") ?? "").split("/");
  const valid = Boolean(namespace && name);
  const edges = useQuery(trpc.telemetry.edges.queryOptions({ from: window.from, to: window.to, ...(namespace ? { namespace } : {}) }, { enabled: valid, refetchInterval: 15_000, placeholderData: (p) => p }));
  const resources = useQuery(trpc.resources.list.queryOptions({}, { enabled: valid }));
  const n = useMemo(() => (valid ? neighbours(edges.data?.edges ?? [], { namespace: namespace!, name: name! }) : null), [edges.data, namespace, name, valid]);
  const policies = useMemo(() => (valid ? policiesForService(resources.data ?? [], { namespace: namespace!, name: name! }) : []), [resources.data, namespace, name, valid]);
  if (!valid || !namespace || !name || !n) return <ErrorState error={new Error("Open a service from the Services page.")} title="No service selected" />;
  const urlParams = new URLSearchParams(params.toString());
  return (
    <>
      <div className="page-header">
        <h1>
          Service {namespace}/{name}
        </h1>
        <Link className="btn btn-primary" href={hrefWithFilters("/policies", params, { service: `${namespace}/${name}` })} data-testid="edit-policy">
          {session.canEdit(namespace) ? "Edit policy" : "View policies"}
        </Link>
        {session.canEdit(namespace) ? (
          <Link className="btn" href={newRolloutHref(params, namespace, name)} data-testid="start-rollout">
            Start a rollout
          </Link>
        ) : null}
      </div>
      <ServiceRolloutBanner namespace={namespace} name={name} />
      {session.canEdit(namespace) ? <ProposePolicyAction namespace={namespace} service={name} /> : null}
      {session.canEdit(namespace) ? <ScopeEgressAction namespace={namespace} service={name} /> : null}
      {session.canEdit(namespace) && edges.data ? <TrafficShiftWizard namespace={namespace} service={name} versions={n.instances.map((i) => i.version)} /> : null}
      {session.canEdit(namespace) && edges.data ? <ResilienceWizards namespace={namespace} service={name} observedPerSecond={n.instances.reduce((sum, i) => sum + i.rate, 0)} /> : null}
      <SloPanel service={{ namespace, name }} />
      <Panel title="Golden signals" id="signals-heading">
        <ServiceCharts namespace={namespace} name={name} />
        <p className="muted">Dashed purple lines mark config changes to resources that refer to this service.</p>
      </Panel>
      <div className="grid-2">
        <Panel title="Instances by cluster" id="instances-heading">
          <QueryState query={edges} what="instances" isEmpty={() => n.instances.length === 0} empty={<Empty title="No instance served traffic in this time range" />}>
            {() => (
              <DataTable columns={["Cluster", "Version", ...TRAFFIC_COLUMNS]} testId="instances">
                {n.instances.map((i) => (
                  <tr key={`${i.cluster}/${i.version}`}>
                    <td>{i.cluster}</td>
                    <td>{i.version || "—"}</td>
                    <td className="num">{formatRate(i.rate)}</td>
                    <td className="num">{formatPercent(i.errorPercent)}</td>
                    <td className="num">{formatMs(i.p99)}</td>
                  </tr>
                ))}
              </DataTable>
            )}
          </QueryState>
        </Panel>
        <Panel title="Policies that apply" id="policies-heading">
          <QueryState query={resources} what="policies" isEmpty={() => policies.length === 0} empty={<Empty title="No routes or policies refer to this service" />}>
            {() => (
              <ul data-testid="service-policies">
                {policies.map((p) => (
                  <li key={`${p.kind}/${p.namespace}/${p.name}`}>
                    <Link href={hrefWithFilters("/policies/edit", params, { kind: p.kind, namespace: p.namespace, name: p.name })}>
                      {p.kind} {p.namespace}/{p.name}
                    </Link>{" "}
                    <span className="muted">({p.roles.join(", ")})</span>
                  </li>
                ))}
              </ul>
            )}
          </QueryState>
        </Panel>
        <Panel title="Callers" id="callers-heading">
          <NeighbourTable rows={n.callers} testId="callers" params={urlParams} />
        </Panel>
        <Panel title="Callees" id="callees-heading">
          <NeighbourTable rows={n.callees} testId="callees" params={urlParams} />
        </Panel>
      </div>
      <CallerSharesPanel namespace={namespace} name={name} edges={edges.data?.edges ?? []} resources={resources.data ?? []} />
      <ServiceEndpoints namespace={namespace} name={name} />
      <DiagnosticsPanel service={{ namespace, name }} resourceKeys={policies.map((p) => `${p.kind}/${p.namespace}/${p.name}`)} />
      <Panel title="Recent traces" id="traces-heading">
        <RecentTraces namespace={namespace} name={name} />
      </Panel>
    </>
  );
}
