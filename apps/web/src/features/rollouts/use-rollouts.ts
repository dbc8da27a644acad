"use client";

// The rollout page's and list's data: rollouts.get / rollouts.list mapped
// onto the views the components draw, refreshed while a run is active.
import { useQuery } from "@tanstack/react-query";
import type { RolloutEventType } from "@weft/mesh-model";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import type { RouterOutputs } from "../../trpc/types.ts";
import { storedChecks } from "./check-records.ts";
import type { RolloutRow } from "./rollouts-table.tsx";
import type { RolloutDetailView } from "./rollout-view.ts";

export const ROLLOUT_REFRESH_MS = 3_000;
export const LIST_REFRESH_MS = 10_000;

type Detail = RouterOutputs["rollouts"]["get"];
type Summary = RouterOutputs["rollouts"]["list"][number];

/** The page's view of a run; `serviceClusters` are where the service runs (discovery). */
export function detailView(d: Detail, serviceClusters: readonly string[]): RolloutDetailView {
  const named = d.clusters.flatMap((c) => (c.cluster === null ? [] : [c.cluster]));
  return {
    namespace: d.run.namespace,
    name: d.run.name,
    spec: d.document.spec,
    state: d.state,
    awaitingApproval: d.run.awaitingApproval,
    startedAt: d.run.createdAt,
    finishedAt: d.run.finishedAt,
    clusters: [...new Set([...serviceClusters, ...named])].sort(),
    events: [...d.events].reverse().map((e) => ({ id: e.id, at: e.at, type: e.type as RolloutEventType, message: e.message, by: e.actor, wave: e.wave, step: e.step })),
    checks: storedChecks(d.checks),
  };
}

export function rowOf(s: Summary): RolloutRow {
  return {
    namespace: s.namespace,
    name: s.name,
    service: s.service,
    stable: s.stableVersion,
    canary: s.canaryVersion,
    phase: s.phase,
    awaitingApproval: s.awaitingApproval,
    clusters: [],
    updatedAt: s.updatedAt,
    finishedAt: s.finishedAt,
    progress: `${s.stepLabel}${s.canaryWeight !== null && s.active ? ` · canary ${s.canaryWeight} %` : ""}${s.message ? ` · ${s.message}` : ""}`,
  };
}

/** The newest run of Rollout namespace/name, with the service's clusters, refreshed every few seconds while it runs. */
export function useRollout(namespace: string, name: string) {
  const trpc = useTRPC();
  const run = useQuery(trpc.rollouts.get.queryOptions({ namespace, name }, { refetchInterval: (q) => (q.state.data && q.state.data.run.finishedAt === null ? ROLLOUT_REFRESH_MS : false) }));
  const service = run.data?.run.service ?? "";
  const endpoints = useQuery(trpc.discovery.endpoints.queryOptions({ namespace, name: service }, { enabled: service !== "" }));
  const view = useMemo(() => (run.data ? detailView(run.data, endpoints.data?.clusters ?? []) : undefined), [run.data, endpoints.data]);
  return { run, view };
}

/** Every run the user may read, as list rows. */
export function useRolloutRows() {
  const trpc = useTRPC();
  const list = useQuery(trpc.rollouts.list.queryOptions({ state: "all", limit: 500 }, { refetchInterval: LIST_REFRESH_MS }));
  const rows = useMemo(() => (list.data ?? []).map(rowOf), [list.data]);
  return { list, rows };
}
