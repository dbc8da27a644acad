"use client";

import { QueryClient, QueryClientProvider, isServer } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppRouter } from "@weft/api";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import { apiFetch } from "./api-fetch.ts";
import { TRPCProvider } from "./context.ts";

/** Same origin: the dashboard's proxy forwards /trpc to the manager API. */
export const TRPC_PATH = "/trpc";

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { staleTime: 2_000, retry: 1 } },
  });
}

let browserQueryClient: QueryClient | undefined;

// One client per browser tab so navigation keeps the cache; a fresh one per
// server render so requests never share data.
function getQueryClient(): QueryClient {
  if (isServer) return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}

/** React Query + tRPC for the dashboard's client components. */
export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: TRPC_PATH, transformer: superjson, fetch: apiFetch })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
