"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc/context.ts";

/** How often the overview asks the manager for its health. */
export const HEALTH_REFRESH_MS = 5_000;

/** The manager's health, polled every few seconds. */
export function useHealthStatus() {
  const trpc = useTRPC();
  return useQuery(
    trpc.health.report.queryOptions(undefined, {
      refetchInterval: HEALTH_REFRESH_MS,
      // One quick retry hides a blip without delaying a real outage by much.
      retry: 1,
      retryDelay: 500,
    }),
  );
}
