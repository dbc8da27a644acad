"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import { useSession } from "../shell/session.tsx";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { formatDateTime } from "../ui/format.ts";
import { ErrorState, Panel, QueryState } from "../ui/states.tsx";
import { RolloutActions, type RolloutOperationName } from "./rollout-actions.tsx";
import { RolloutCharts } from "./rollout-charts.tsx";
import { RolloutProgress, RolloutTimeline, RolloutVerdicts } from "./rollout-panels.tsx";
import { phaseBadge } from "./rollouts-list.ts";
import { BADGE_TONE } from "./rollouts-table.tsx";
import { useRollout } from "./use-rollouts.ts";

/** Sends one operation for namespace/name; refreshes the run and the list when it lands. */
function useOperation(namespace: string, name: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onSuccess = () => refreshAfterChange(queryClient, { queryKey: trpc.rollouts.pathKey() });
  const ops = {
    pause: useMutation(trpc.rollouts.pause.mutationOptions({ onSuccess })),
    resume: useMutation(trpc.rollouts.resume.mutationOptions({ onSuccess })),
    approve: useMutation(trpc.rollouts.approve.mutationOptions({ onSuccess })),
    promote: useMutation(trpc.rollouts.promote.mutationOptions({ onSuccess })),
    abort: useMutation(trpc.rollouts.abort.mutationOptions({ onSuccess })),
    retry: useMutation(trpc.rollouts.retry.mutationOptions({ onSuccess })),
  };
  const run = (op: RolloutOperationName) => {
    for (const m of Object.values(ops)) m.reset();
    const ref = { namespace, name };
    if (op === "promote") ops.promote.mutate({ ...ref, full: true });
    else if (op === "abort") ops.abort.mutate({ ...ref, reason: "aborted from the dashboard" });
    else ops[op].mutate(ref);
  };
  const failed = Object.values(ops).find((m) => m.isError);
  return { run, busy: Object.values(ops).some((m) => m.isPending), error: failed ? toApiFailure(failed.error).message : null };
}

/** One rollout: progress per cluster, canary vs stable, each verdict with its numbers, the timeline, and the operator's buttons. */
export function RolloutPage() {
  const params = useSearchParams();
  const session = useSession();
  const namespace = params.get("namespace") ?? "";
  const name = params.get("name") ?? "";
  const { run, view } = useRollout(namespace, name);
  const operation = useOperation(namespace, name);
  if (!namespace || !name) return <ErrorState error={new Error("Open a rollout from the Rollouts page.")} title="No rollout selected" />;
  return (
    <QueryState query={{ ...run, data: view }} what="the rollout">
      {(r) => {
        const badge = phaseBadge(r.state.phase, r.awaitingApproval);
        const live = r.finishedAt === null;
        return (
          <>
            <div className="page-header">
              <h1>
                Rollout {r.namespace}/{r.name}{" "}
                <span className="badge" data-tone={BADGE_TONE[badge.tone]} data-testid="rollout-phase">
                  {badge.label}
                </span>
              </h1>
              <Link className="btn" href={hrefWithFilters("/services/detail", params, { service: `${r.namespace}/${r.spec.service.name}` })}>
                Service {r.spec.service.name}
              </Link>
            </div>
            <p className="muted">
              {r.spec.stable.version} → {r.spec.canary.version} · started {formatDateTime(r.startedAt)}
              {r.finishedAt ? ` · ended ${formatDateTime(r.finishedAt)}` : ""} · attempt {r.state.attempt} · every {r.spec.analysis.interval}, rollback after {r.spec.analysis.threshold} failed checks
              {r.spec.shadow ? ` · shadow mode ${r.spec.shadow.mode}` : ""}
            </p>
            <RolloutActions rollout={r} canOperate={session.canEdit(r.namespace)} busy={operation.busy} error={operation.error} onOperation={operation.run} />
            <Panel title="Progress" id="rollout-progress-heading">
              <RolloutProgress rollout={r} />
            </Panel>
            <Panel title="Canary vs stable" id="rollout-charts-heading">
              <RolloutCharts rollout={r} live={live} />
              <p className="muted">Dashed purple lines mark the steps entered and the end of the run.</p>
            </Panel>
            <Panel title="Analysis verdicts" id="rollout-verdicts-heading">
              <RolloutVerdicts rollout={r} />
            </Panel>
            <Panel title="Events" id="rollout-events-heading">
              <RolloutTimeline rollout={r} />
            </Panel>
          </>
        );
      }}
    </QueryState>
  );
}
