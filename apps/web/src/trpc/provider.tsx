"use client";

import { MutationCache, QueryCache, QueryClient, QueryClientProvider, isServer } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpLink, splitLink } from "@trpc/client";
import type { AppRouter } from "@weft/api";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import { apiFetch } from "./api-fetch.ts";
import { isSessionExpired, loginHref } from "./api-errors.ts";
import { TRPCProvider } from "./context.ts";
import { csrfHeaders } from "./csrf.ts";

/** Same origin: the dashboard's proxy forwards /trpc to the manager API. */
export const TRPC_PATH = "/trpc";

/** Session cookies go with every call; only to our own origin. */
const sameOriginFetch: typeof fetch = (input, init) => apiFetch(input, { ...init, credentials: "same-origin" });

/**
 * A call refused for want of a session means it expired (or was ended
 * elsewhere): back to the login page, which returns here afterwards.
 * auth.me answers null rather than failing, so the login page itself never loops.
 */
function onApiError(error: unknown): void {
  if (isServer || !isSessionExpired(error)) return;
  if (window.location.pathname.startsWith("/login")) return;
  window.location.assign(loginHref(`${window.location.pathname}${window.location.search}`, "expired"));
}

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 2_000,
        // Refusals will not get better by asking again.
        retry: (count, error) => count < 1 && !isSessionExpired(error) && !/FORBIDDEN|NOT_FOUND|BAD_REQUEST/.test(String((error as { data?: { code?: string } }).data?.code)),
      },
    },
    queryCache: new QueryCache({ onError: onApiError }),
    mutationCache: new MutationCache({ onError: onApiError }),
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
      links: [
        splitLink({
          condition: (op) => op.type === "mutation",
          // Mutations one by one, each with the CSRF token read at send time (it changes at sign-in).
          true: httpLink({ url: TRPC_PATH, transformer: superjson, fetch: sameOriginFetch, headers: () => (isServer ? {} : csrfHeaders(document.cookie)) }),
          // The manager refuses batches of more than 32 calls (MAX_BATCH_SIZE in apps/api/src/server.ts).
          false: httpBatchLink({ url: TRPC_PATH, transformer: superjson, fetch: sameOriginFetch, maxItems: 32 }),
        }),
      ],
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
