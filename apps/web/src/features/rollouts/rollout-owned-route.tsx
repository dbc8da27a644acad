"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useTRPC } from "../../trpc/context.ts";
import { rolloutHref } from "./rollout-links.ts";

/**
 * In an editor of HTTPRoute namespace/name: says so when a running rollout
 * drives that route (the manager refuses edits while it runs), with a link
 * to the rollout, instead of letting the operator fight the controller.
 */
export function RolloutOwnedRoute({ kind, namespace, name }: { kind: string; namespace: string; name: string }) {
  const trpc = useTRPC();
  const runs = useQuery(trpc.rollouts.list.queryOptions({ namespace, state: "active", limit: 100 }, { enabled: kind === "HTTPRoute" && Boolean(name) }));
  const params = useSearchParams();
  const owner = (runs.data ?? []).find((r) => r.routeName === name);
  if (kind !== "HTTPRoute" || !owner) return null;
  return (
    <p className="notice notice-warning" role="status" data-testid="route-owned-by-rollout">
      This route is driven by the running rollout <Link href={rolloutHref(params, owner.namespace, owner.name)}>{`${owner.namespace}/${owner.name}`}</Link> ({owner.stableVersion} → {owner.canaryVersion}, {owner.stepLabel}). The manager refuses edits to it
      until the rollout ends: pause, promote or abort it there.
    </p>
  );
}
