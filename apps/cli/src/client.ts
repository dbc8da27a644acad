import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "@weft/api";
import superjson from "superjson";

export type ManagerClient = TRPCClient<AppRouter>;

/** A typed client of the manager's API, authenticated by an API token. */
export function managerClient(server: string, token: string): ManagerClient {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${server.replace(/\/+$/, "")}/trpc`, transformer: superjson, headers: () => ({ authorization: `Bearer ${token}` }) })],
  });
}

/**
 * A client that signs in with a password like the dashboard does (session
 * cookie + CSRF header); `weft login` uses it once, to mint an API token.
 */
export function sessionClient(server: string): ManagerClient {
  const cookies = new Map<string, string>();
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${server.replace(/\/+$/, "")}/trpc`,
        transformer: superjson,
        headers: () => ({
          ...(cookies.size > 0 ? { cookie: [...cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ") } : {}),
          ...(cookies.has("weft_csrf") ? { "x-weft-csrf": cookies.get("weft_csrf") as string } : {}),
        }),
        fetch: async (input, init) => {
          const res = await fetch(input, init as RequestInit);
          for (const line of res.headers.getSetCookie()) {
            const pair = line.split(";")[0] ?? "";
            const eq = pair.indexOf("=");
            if (eq > 0) cookies.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
          }
          return res;
        },
      }),
    ],
  });
}
