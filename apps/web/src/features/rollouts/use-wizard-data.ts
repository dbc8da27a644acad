"use client";

// What the canary wizard reads from the manager: where the service runs and
// with which versions (discovery), their live traffic (the last 5 minutes)
// and the stable version's last hour (telemetry), the namespace's routes,
// and which namespaces are protected (starting there is a change request).
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { stableBaseline, versionRows } from "./version-traffic.ts";

const MINUTE = 60_000;
export const LIVE_MINUTES = 5;
export const BASELINE_MINUTES = 60;

/** The window ending at the current minute (fixed for the wizard's lifetime, so query keys stay put). */
function useWindowEndingNow(): Date {
  const [now] = useState(() => new Date(Math.ceil(Date.now() / MINUTE) * MINUTE));
  return now;
}

export function useWizardData(service: { namespace: string; name: string } | null, stable: string, clusters: readonly string[]) {
  const trpc = useTRPC();
  const to = useWindowEndingNow();
  const enabled = service !== null;
  const namespace = service?.namespace ?? "";
  const endpoints = useQuery(trpc.discovery.endpoints.queryOptions({ namespace, name: service?.name ?? "" }, { enabled }));
  const live = useQuery(trpc.telemetry.stats.queryOptions({ from: new Date(to.getTime() - LIVE_MINUTES * MINUTE), to, groupBy: "workload", namespace }, { enabled }));
  const hour = useQuery(trpc.telemetry.stats.queryOptions({ from: new Date(to.getTime() - BASELINE_MINUTES * MINUTE), to, groupBy: "workload", namespace }, { enabled }));
  const routes = useQuery(trpc.resources.list.queryOptions({ kind: "HTTPRoute", namespace }, { enabled }));
  const rollouts = useQuery(trpc.resources.list.queryOptions({ kind: "Rollout", namespace }, { enabled }));
  const protectedNamespaces = useQuery(trpc.namespaces.protected.queryOptions());
  const rows = useMemo(() => (service ? versionRows(endpoints.data?.endpoints ?? [], live.data?.groups ?? [], service) : []), [service, endpoints.data, live.data]);
  const baseline = useMemo(
    () => (service && stable && hour.data ? stableBaseline(hour.data.groups, service, stable, clusters, BASELINE_MINUTES) : null),
    [service, stable, clusters, hour.data],
  );
  return { endpoints, live, hour, rows, baseline, routes, rollouts, protectedNamespaces };
}
