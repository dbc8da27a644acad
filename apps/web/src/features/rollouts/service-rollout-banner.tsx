"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useTRPC } from "../../trpc/context.ts";
import { rolloutHref } from "./rollout-links.ts";

/**
 * On a service's page: the rollout running on it, if any, with its step and
 * a link (the charts below mark each of its route writes as a config change).
 */
export function ServiceRolloutBanner({ namespace, name }: { namespace: string; name: string }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const runs = useQuery(trpc.rollouts.list.queryOptions({ namespace, state: "active", limit: 100 }, { refetchInterval: 15_000 }));
  const run = (runs.data ?? []).find((r) => r.service === name);
  if (!run) return null;
  return (
    <p className="notice notice-warning" role="status" data-testid="service-rollout">
      Rollout <Link href={rolloutHref(params, run.namespace, run.name)}>{`${run.namespace}/${run.name}`}</Link> is moving traffic from {run.stableVersion} to {run.canaryVersion}: {run.stepLabel}
      {run.awaitingApproval ? ", waiting for an approval" : ""}. Its route writes are marked on the charts below.
    </p>
  );
}
