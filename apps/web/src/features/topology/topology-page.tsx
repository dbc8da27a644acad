"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { newRolloutHref } from "../rollouts/rollout-links.ts";
import { RESILIENCE_WIZARDS } from "../wizards/wizard-links.ts";
import { thresholdReasons } from "../explain/failure-reasons.ts";
import { WhyUnhealthy } from "../explain/why-unhealthy.tsx";
import { EdgeLocality } from "../locality/edge-locality.tsx";
import { ServiceCharts } from "../services/service-charts.tsx";
import { useSession } from "../shell/session.tsx";
import { useTimeWindow, useViewFilters } from "../shell/use-view-filters.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { formatMs, formatPercent, formatRate } from "../ui/format.ts";
import { Empty, ErrorState, Loading } from "../ui/states.tsx";
import { buildGraph, DEFAULT_THRESHOLDS, parseThresholds, type EdgeData, type HealthThresholds, type NodeData } from "./graph-model.ts";
import { TopologyCanvas } from "./topology-canvas.tsx";
import { ReplayLink } from "./topology-replay-page.tsx";
import { exportText } from "./export-marks.ts";
import { EXPORT_COLORS, HEALTH_COLORS } from "./topology-style.ts";
import { SidePanelHeader } from "./side-panel-header.tsx";

export const TOPOLOGY_REFRESH_MS = 10_000;

type Selection = { type: "node"; data: NodeData } | { type: "edge"; data: EdgeData } | null;

function serviceOf(id: string): { namespace: string; name: string } | null {
  const m = /^svc:[^/]+\/([^/]+)\/([^@]+)/.exec(id);
  return m && m[1] && m[2] ? { namespace: m[1], name: m[2] } : null;
}

/** Why the selection is unhealthy: its own thresholds (an edge) or those of its unhealthy inbound edges (a node). */
function reasonsOf(selection: NonNullable<Selection>, edges: readonly EdgeData[], thresholds: HealthThresholds): string[] {
  if (selection.type === "edge") return thresholdReasons(selection.data, thresholds);
  return edges
    .filter((e) => e.target === selection.data.id && (e.health === "degraded" || e.health === "failing"))
    .flatMap((e) => thresholdReasons(e, thresholds).map((r) => `from ${e.source.replace(/^svc:|^ext:/, "")}: ${r}`));
}

/** "east → west" for a cross-cluster edge (node ids are svc:<cluster>/<namespace>/<service>). */
function crossingOf(edge: EdgeData): string {
  const cluster = (id: string) => /^svc:([^/]+)\//.exec(id)?.[1] ?? "?";
  return `${cluster(edge.source)} → ${cluster(edge.target)}`;
}

function SidePanel({ selection, onClose, edges, thresholds, window }: { selection: NonNullable<Selection>; onClose: () => void; edges: readonly EdgeData[]; thresholds: HealthThresholds; window: { from: Date; to: Date } }) {
  const params = useSearchParams();
  const session = useSession();
  const svc = selection.type === "node" ? (selection.data.namespace && selection.data.service ? { namespace: selection.data.namespace, name: selection.data.service } : null) : serviceOf(selection.data.target);
  const caller = selection.type === "edge" ? serviceOf(selection.data.source) : null;
  const health = selection.data.health;
  const unhealthy = health === "degraded" || health === "failing";
  return (
    <aside className="side-panel" aria-labelledby="side-panel-heading" data-testid="side-panel">
      <SidePanelHeader title={selection.type === "node" ? selection.data.label : "Traffic edge"} headingId="side-panel-heading" onClose={onClose} />
      {selection.type === "edge" ? (
        <dl className="facts">
          <dt>From</dt>
          <dd>{selection.data.source.replace(/^svc:|^ext:/, "")}</dd>
          <dt>To</dt>
          <dd>{selection.data.target.replace(/^svc:|^ext:/, "")}</dd>
          <dt>Rate</dt>
          <dd>{formatRate(selection.data.rate)}</dd>
          <dt>Errors</dt>
          <dd>{formatPercent(selection.data.errorPercent)}</dd>
          <dt>p99</dt>
          <dd>{formatMs(selection.data.p99)}</dd>
          <dt>mTLS</dt>
          <dd>{selection.data.mtls === null ? "not reported" : selection.data.mtls ? "yes" : "no (plain text)"}</dd>
          <dt>Health</dt>
          <dd>{selection.data.health}</dd>
          {selection.data.crossCluster ? (
            <>
              <dt>Clusters</dt>
              <dd data-testid="edge-cross-cluster">crosses clusters: {crossingOf(selection.data)}</dd>
            </>
          ) : null}
        </dl>
      ) : (
        <dl className="facts">
          <dt>Cluster</dt>
          <dd>{selection.data.cluster ?? "outside the mesh"}</dd>
          <dt>Namespace</dt>
          <dd>{selection.data.namespace ?? "—"}</dd>
          {selection.data.version ? (
            <>
              <dt>Version</dt>
              <dd>{selection.data.version}</dd>
            </>
          ) : null}
          <dt>Inbound</dt>
          <dd>{formatRate(selection.data.rate)}</dd>
          <dt>Health</dt>
          <dd>{selection.data.health ?? "—"}</dd>
          {selection.data.exportMark ? (
            <>
              <dt>Export</dt>
              <dd data-testid="export-status">{exportText(selection.data.exportMark)}</dd>
            </>
          ) : null}
        </dl>
      )}
      {selection.type === "edge" ? <EdgeLocality edge={selection.data} window={window} /> : null}
      {unhealthy && svc ? (
        <WhyUnhealthy
          destination={{ namespace: svc.namespace, service: svc.name }}
          source={caller ? { namespace: caller.namespace, service: caller.name } : undefined}
          window={window}
          thresholdReasons={reasonsOf(selection, edges, thresholds)}
        />
      ) : null}
      {svc ? (
        <>
          <div className="row" style={{ margin: "0.75rem 0" }}>
            <Link className="btn" href={hrefWithFilters("/services/detail", params, { service: `${svc.namespace}/${svc.name}` })}>
              Service page
            </Link>
            <Link className="btn btn-primary" href={hrefWithFilters("/policies", params, { service: `${svc.namespace}/${svc.name}` })} data-testid="edit-policy">
              {session.canEdit(svc.namespace) ? "Edit policy" : "View policies"}
            </Link>
            {session.canEdit(svc.namespace) ? (
              <>
                <Link className="btn" href={newRolloutHref(params, svc.namespace, svc.name)} data-testid="start-rollout">
                  Start a rollout
                </Link>
                <Link className="btn" href={`${hrefWithFilters("/services/detail", params, { service: `${svc.namespace}/${svc.name}` })}#traffic-shift-heading`} data-testid="shift-traffic">
                  Shift traffic…
                </Link>
                {RESILIENCE_WIZARDS.map((w) => (
                  <Link key={w.id} className="btn" href={`${hrefWithFilters("/services/detail", params, { service: `${svc.namespace}/${svc.name}`, wizard: w.id })}#${w.heading}`} data-testid={`wizard-${w.id}`}>
                    {w.label}
                  </Link>
                ))}
              </>
            ) : null}
          </div>
          <ServiceCharts namespace={svc.namespace} name={svc.name} compact />
        </>
      ) : null}
    </aside>
  );
}

/** The live multi-cluster topology: clusters ⊃ namespaces ⊃ services, edges with traffic. */
export function TopologyPage() {
  const trpc = useTRPC();
  const { filters } = useViewFilters();
  const window = useTimeWindow(filters);
  const [splitVersions, setSplitVersions] = useState(false);
  const [search, setSearch] = useState("");
  const [thresholds, setThresholds] = useState<HealthThresholds>(DEFAULT_THRESHOLDS);
  const [draft, setDraft] = useState<Record<keyof HealthThresholds, string>>(() => ({
    errorDegraded: String(DEFAULT_THRESHOLDS.errorDegraded),
    errorFailing: String(DEFAULT_THRESHOLDS.errorFailing),
    p99Degraded: String(DEFAULT_THRESHOLDS.p99Degraded),
    p99Failing: String(DEFAULT_THRESHOLDS.p99Failing),
  }));
  const [live, setLive] = useState(true);
  const [selection, setSelection] = useState<Selection>(null);
  const query = useQuery(
    trpc.telemetry.edges.queryOptions(
      { from: window.from, to: window.to, ...(filters.cluster ? { cluster: filters.cluster } : {}), ...(filters.namespace ? { namespace: filters.namespace } : {}) },
      { refetchInterval: live ? TOPOLOGY_REFRESH_MS : false, placeholderData: (p) => p },
    ),
  );
  const elements = useMemo(
    () => buildGraph(query.data?.edges ?? [], { splitVersions, thresholds, cluster: filters.cluster, namespace: filters.namespace, search, exports: query.data?.exports }),
    [query.data, splitVersions, thresholds, filters.cluster, filters.namespace, search],
  );
  const services = elements.nodes.filter((n) => n.kind === "service").length;
  // The panel shows the selected element's numbers from the latest refresh, as the graph does, not those of the moment it was clicked.
  const current: Selection = useMemo(() => {
    if (!selection) return null;
    if (selection.type === "edge") {
      const edge = elements.edges.find((e) => e.id === selection.data.id);
      return edge ? { type: "edge", data: edge } : selection;
    }
    const node = elements.nodes.find((n) => n.id === selection.data.id);
    return node ? { type: "node", data: node } : selection;
  }, [selection, elements]);

  return (
    <>
      <div className="page-header">
        <h1>Topology</h1>
        <ReplayLink />
        <div className="legend" aria-label="Legend">
          {Object.entries(HEALTH_COLORS).map(([h, c]) => (
            <span key={h}>
              <span className="swatch" style={{ background: c }} aria-hidden="true" />
              {h}
            </span>
          ))}
          <span>■→ mTLS · dashed: plain text</span>
          <span data-testid="legend-cross-cluster">
            <span className="swatch swatch-line-outline" style={{ borderColor: EXPORT_COLORS.crossCluster }} aria-hidden="true" /> purple-edged line: crosses clusters
          </span>
          <span data-testid="legend-exported">
            <span className="swatch swatch-ring" style={{ border: `3px double ${EXPORT_COLORS.exported}` }} aria-hidden="true" />
            exported to other clusters
          </span>
          <span data-testid="legend-not-exported">
            <span className="swatch swatch-ring" style={{ border: `2px dashed ${EXPORT_COLORS.notExported}` }} aria-hidden="true" />
            called from other clusters, not exported
          </span>
        </div>
      </div>
      <form className="toolbar" aria-label="Topology options" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search services
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="namespace/name" data-testid="topology-search" />
        </label>
        <label>
          <span>Versions</span>
          <span className="row">
            <input type="checkbox" checked={splitVersions} onChange={(e) => setSplitVersions(e.target.checked)} aria-label="Split services by version" /> split by version
          </span>
        </label>
        <label>
          <span>Live</span>
          <span className="row">
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} aria-label="Refresh live" /> every {TOPOLOGY_REFRESH_MS / 1000} s
          </span>
        </label>
        <details>
          <summary>Health thresholds</summary>
          <div className="toolbar">
            {(
              [
                ["errorDegraded", "Degraded at error %"],
                ["errorFailing", "Failing at error %"],
                ["p99Degraded", "Degraded at p99 (ms)"],
                ["p99Failing", "Failing at p99 (ms)"],
              ] as const
            ).map(([key, text]) => (
              <label key={key}>
                {text}
                <input type="number" min={0} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} style={{ width: "7rem" }} />
              </label>
            ))}
            <button type="button" className="btn" onClick={() => setThresholds(parseThresholds(draft, thresholds))}>
              Apply thresholds
            </button>
          </div>
        </details>
      </form>
      {query.isPending ? <Loading what="traffic" /> : null}
      {query.isError ? <ErrorState error={query.error} title="Could not load traffic" onRetry={() => void query.refetch()} /> : null}
      {query.data && elements.edges.length === 0 ? (
        <Empty title="No traffic in this time range">
          <p data-testid="topology-empty">The topology is drawn from the traffic agents report. Widen the time range, clear the filters, or send some requests through the mesh.</p>
        </Empty>
      ) : null}
      <p className="visually-hidden" role="status">
        {services} services, {elements.edges.length} edges
      </p>
      {query.data && elements.edges.length > 0 ? (
      <div className="topology-layout" data-panel={selection ? "open" : "closed"}>
        <TopologyCanvas elements={elements} onSelect={setSelection} label={`Service topology: ${services} services and ${elements.edges.length} traffic edges. Use the Services page for a keyboard-friendly list.`} />
        {current ? <SidePanel selection={current} onClose={() => setSelection(null)} edges={elements.edges} thresholds={thresholds} window={window} /> : null}
      </div>
      ) : null}
    </>
  );
}
