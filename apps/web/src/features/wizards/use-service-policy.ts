"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { newPolicyFor, policyForService, type PolicyDoc } from "./service-traffic-policy.ts";

/**
 * The TrafficPolicy a wizard edits for a service: the stored one targeting
 * the whole service (`stored` true), else a new one to create.
 */
export function useServicePolicy(namespace: string, service: string): { pending: boolean; policy: PolicyDoc; stored: boolean } {
  const trpc = useTRPC();
  const rows = useQuery(trpc.resources.list.queryOptions({ kind: "TrafficPolicy", namespace }));
  return useMemo(() => {
    const list = rows.data ?? [];
    const found = policyForService(list, { namespace, name: service });
    return { pending: rows.isPending, policy: found ?? newPolicyFor(list, { namespace, name: service }), stored: found !== null };
  }, [rows.data, rows.isPending, namespace, service]);
}
