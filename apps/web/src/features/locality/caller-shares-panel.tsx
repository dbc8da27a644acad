"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import type { ResourceRow } from "../policies/policy-catalog.ts";
import type { TrafficEdge } from "../topology/graph-model.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatPercent, formatRate } from "../ui/format.ts";
import { Empty, Panel } from "../ui/states.tsx";
import { callerShares, MIN_REQUESTS_TO_FLAG, REMOTE_SHARE_FLAG, remoteByPolicy, type CallerShare } from "./locality-share.ts";

/** "east 75% · west 25%" */
export function servedIn(share: CallerShare): string {
  return share.byCluster.map((c) => `${c.cluster}${c.local ? " (own)" : ""} ${formatPercent(c.share * 100)}`).join(" · ");
}

/** The "local callers go remote" flag of a set of callers, if any is flagged. */
export function GoesRemoteFlag({ shares, testId = "goes-remote-flag" }: { shares: readonly CallerShare[]; testId?: string }) {
  const flagged = shares.filter((s) => s.goesRemote);
  if (flagged.length === 0) return null;
  return (
    <div className="notice notice-warning" role="alert" data-testid={testId}>
      <strong>Local callers go remote.</strong>
      <ul>
        {flagged.map((s) => (
          <li key={`${s.caller.cluster}/${s.caller.namespace}/${s.caller.service}`}>{s.reason}</li>
        ))}
      </ul>
    </div>
  );
}

/**
 * On a service's page: per caller (a service in one cluster), the share of
 * its requests served in its own cluster and in others, over the page's time
 * range, with the "local callers go remote" flag.
 */
export function CallerSharesPanel({ namespace, name, edges, resources }: { namespace: string; name: string; edges: readonly TrafficEdge[]; resources: readonly ResourceRow[] }) {
  const trpc = useTRPC();
  // The same query as the endpoints panel's: one request, shared.
  const endpoints = useQuery(trpc.discovery.endpoints.queryOptions({ namespace, name }, { refetchInterval: 15_000 }));
  const shares = useMemo(
    () => callerShares(edges, { namespace, name }, { endpoints: endpoints.data?.endpoints, remoteByPolicy: remoteByPolicy(resources.map((r) => r.document), { namespace, name }) }),
    [edges, namespace, name, endpoints.data, resources],
  );
  return (
    <Panel title="Served locally or remotely, per caller" id="locality-heading">
      <GoesRemoteFlag shares={shares} />
      {shares.length === 0 ? (
        <Empty title="No mesh caller in this time range" />
      ) : (
        <DataTable columns={["Caller", "Cluster", { label: "Rate", numeric: true }, { label: "Own cluster", numeric: true }, { label: "Other clusters", numeric: true }, "Served in", "Ready here"]} testId="caller-shares">
          {shares.map((s) => (
            <tr key={`${s.caller.cluster}/${s.caller.namespace}/${s.caller.service}`} data-testid="caller-share" data-goes-remote={s.goesRemote ? "true" : "false"}>
              <td>{`${s.caller.namespace}/${s.caller.service}`}</td>
              <td>{s.caller.cluster}</td>
              <td className="num">{formatRate(s.rate)}</td>
              <td className="num">{formatPercent(s.localShare * 100)}</td>
              <td className="num">{formatPercent(s.remoteShare * 100)}</td>
              <td>
                {servedIn(s)}
                {s.remoteByPolicy ? <span className="muted"> (remote share set by a TrafficPolicy)</span> : null}
              </td>
              <td>{s.readyLocalEndpoints === null ? "—" : s.readyLocalEndpoints}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <p className="muted">
        Counted per caller over the time range (summed over versions). Flagged when the caller&apos;s own cluster has a ready endpoint of this service and at least {REMOTE_SHARE_FLAG * 100} % of at least{" "}
        {MIN_REQUESTS_TO_FLAG} requests went to other clusters, unless a TrafficPolicy distributes them there.
      </p>
    </Panel>
  );
}
