// The typed tRPC client the agent talks to the manager with: HTTP for calls,
// SSE (httpSubscriptionLink + `eventsource`) for the config stream, both
// carrying the agent credential. The manager is reached only through
// `import type`: the agent never loads the manager's code.
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "@weft/api";
import { EventSource } from "eventsource";
import superjson from "superjson";
import { managerFetch, type ManagerTrust } from "./manager-trust.ts";

export type ManagerClient = TRPCClient<AppRouter>;

/**
 * superjson, minus its copy of plain answers: `deserialize` of a payload
 * without annotations (`meta`: no Dates, BigInts...) returns superjson's
 * result without walking and copying it. The config stream's snapshots are
 * such payloads (about a megabyte at 1,000 services), freshly parsed and held
 * by no one else, so the copy was pure cost (8 % of bench:sync's agents' CPU).
 */
export const managerTransformer = {
  serialize: (value: unknown) => superjson.serialize(value),
  deserialize: <T>(payload: Parameters<typeof superjson.deserialize>[0]): T =>
    payload !== null && typeof payload === "object" && payload.meta === undefined ? (payload.json as T) : superjson.deserialize<T>(payload),
};

/** A manager URL the agent refuses to use, with the reason. */
export class ManagerUrlError extends Error {
  override readonly name = "ManagerUrlError";
  readonly code = "MANAGER_URL_INSECURE";
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * The manager's base URL, without a trailing slash. Credentials travel on
 * every call, so plain http is allowed only to loopback (the embedded
 * default); anything else must be https.
 */
export function checkManagerUrl(raw: string): string {
  const url = new URL(raw);
  const loopback = LOOPBACK.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === "http:" && !loopback) {
    throw new ManagerUrlError(
      `refusing plain http to ${url.host}: the agent credential would travel unencrypted. Use https://${url.host}${url.pathname === "/" ? "" : url.pathname} (plain http is allowed only to loopback: 127.0.0.1, localhost, [::1])`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ManagerUrlError(`the manager URL must be https (got ${url.protocol})`);
  return url.toString().replace(/\/+$/, "");
}

/**
 * A client calling as the agent holding `credential` (or anonymously, for
 * `agent.join`), trusting the manager's certificate by `trust` (manager-trust.ts).
 */
export function createManagerClient(managerUrl: string, credential?: string, trust?: ManagerTrust): ManagerClient {
  const base = checkManagerUrl(managerUrl);
  const headers: Record<string, string> = credential ? { authorization: `Bearer ${credential}` } : {};
  const fetchWithTrust = managerFetch(trust) ?? fetch;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: `${base}/trpc`,
          transformer: managerTransformer,
          EventSource,
          // The `eventsource` package's fetch hook is how a header reaches an SSE request.
          eventSourceOptions: () => ({ fetch: (input, init) => fetchWithTrust(input, { ...init, headers: { ...init.headers, ...headers } }) }),
        }),
        false: httpLink({ url: `${base}/trpc`, transformer: managerTransformer, headers: () => headers, fetch: fetchWithTrust }),
      }),
    ],
  });
}

/** The tRPC error code of a failed call (`CONFLICT`, `UNAUTHORIZED`...), if it has one. */
export function trpcCode(err: unknown): string | undefined {
  const data = (err as { data?: { code?: unknown } } | null)?.data;
  return typeof data?.code === "string" ? data.code : undefined;
}

/**
 * A failed call's message with its causes ("fetch failed: self-signed
 * certificate"): fetch hides why a connection failed in `cause`, and a
 * refused certificate is the reason an operator needs to see.
 */
export function failureMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) if (!parts.includes(e.message)) parts.push(e.message);
  return parts.join(": ") || String(err);
}
