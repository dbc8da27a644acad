"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import type { EdgeData } from "../topology/graph-model.ts";
import { formatPercent } from "../ui/format.ts";
import { GoesRemoteFlag, servedIn } from "./caller-shares-panel.tsx";
import { callerShares, remoteByPolicy, serviceNodeOf, shareOfEdge } from "./locality-share.ts";

/**
 * In the topology's edge panel: of the caller's requests to the edge's
 * service (every cluster that served them, not only this edge's), the share
 * served in its own cluster and in others, and the "local callers go remote"
 * flag. Reads the whole mesh's edges for the same window, so a cluster filter
 * on the page does not hide where the rest went.
 */
export function EdgeLocality({ edge, window }: { edge: EdgeData; window: { from: Date; to: Date } }) {
  const trpc = useTRPC();
  const caller = serviceNodeOf(edge.source);
  const target = serviceNodeOf(edge.target);
  const destination = target ? { namespace: target.namespace, name: target.service } : null;
  const edges = useQuery(trpc.telemetry.edges.queryOptions({ from: window.from, to: window.to }, { enabled: caller !== null && destination !== null, placeholderData: (p) => p }));
  const endpoints = useQuery(trpc.discovery.endpoints.queryOptions({ namespace: destination?.namespace ?? "", name: destination?.name ?? "" }, { enabled: destination !== null }));
  const resources = useQuery(trpc.resources.list.queryOptions({}, { enabled: destination !== null }));
  const share = useMemo(() => {
    const from = serviceNodeOf(edge.source);
    const to = serviceNodeOf(edge.target);
    if (!from || !to || !edges.data) return undefined;
    const service = { namespace: to.namespace, name: to.service };
    const intended = remoteByPolicy((resources.data ?? []).map((r) => r.document), service);
    return shareOfEdge(callerShares(edges.data.edges, service, { endpoints: endpoints.data?.endpoints, remoteByPolicy: intended }), from);
  }, [edge.source, edge.target, edges.data, endpoints.data, resources.data]);
  if (!caller || !destination || !share) return null;
  return (
    <div data-testid="edge-locality">
      <dl className="facts">
        <dt>Served in {caller.cluster}</dt>
        <dd>{formatPercent(share.localShare * 100)}</dd>
        <dt>Other clusters</dt>
        <dd>{formatPercent(share.remoteShare * 100)}</dd>
        <dt>By cluster</dt>
        <dd>{servedIn(share)}</dd>
      </dl>
      <GoesRemoteFlag shares={[share]} testId="edge-goes-remote" />
    </div>
  );
}
