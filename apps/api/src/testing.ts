// Test support: a real manager on loopback over a fresh test database, and
// typed clients that sign in like the dashboard (cookies + CSRF) or the CLI (token).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import { EventSource } from "eventsource";
import { openDatabase, type Database } from "@weft/db";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import superjson from "superjson";
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from "./features/auth/session-cookies.ts";
import { createLogger, type Logger } from "./logger.ts";
import { bootstrapManager } from "./manager.ts";
import type { AppRouter } from "./router.ts";
import { startManagerServer, type ManagerServer } from "./server.ts";
import { DEFAULT_SERVICE_SETTINGS, createServices, type ServiceSettings, type Services } from "./services.ts";
import { LOOPBACK_ALLOWED, parseEgressAllow } from "./transport/egress-policy.ts";

/** Service settings for tests: scrypt at N=2^10 instead of 2^15, so suites stay fast. Never for production. */
/** Tests run their webhook receivers on loopback: the egress policy allows this machine (as npm start does). */
export const TEST_SERVICE_SETTINGS: ServiceSettings = { auth: { ...DEFAULT_SERVICE_SETTINGS.auth, passwordCost: 10 }, outbound: parseEgressAllow(LOOPBACK_ALLOWED) };

export interface TestManager {
  url: string;
  db: Database;
  services: Services;
  api: ManagerServer;
  /** The generated password of `admin`. */
  adminPassword: string;
  home: string;
  stop(): Promise<void>;
}

/** Starts a manager on 127.0.0.1 (port 0) over a fresh test database, bootstrapped like a first start. */
export async function startTestManager(options: { log?: Logger; settings?: ServiceSettings } = {}): Promise<TestManager> {
  const log = options.log ?? createLogger("silent");
  const home = await mkdtemp(join(tmpdir(), "weft-api-test-"));
  let testDb: TestDatabase | undefined;
  let db: Database | undefined;
  try {
    testDb = await createTestDatabase();
    db = await openDatabase({ databaseUrl: testDb.url, maxConnections: testDb.maxConnections, home, migrate: true });
    const services = createServices(db, log, options.settings ?? TEST_SERVICE_SETTINGS);
    const adminPassword = await bootstrapManager(services, { trustDomain: "weft.local", home, log, print: () => {} });
    if (!adminPassword) throw new Error("a fresh test database must get a first admin");
    const api = await startManagerServer({ db, log, host: "127.0.0.1", port: 0, services });
    const [openDb, openTestDb] = [db, testDb];
    return {
      url: api.url,
      db,
      services,
      api,
      adminPassword,
      home,
      async stop() {
        await api.close();
        await openDb.close();
        await openTestDb.drop();
        await rm(home, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await db?.close();
    await testDb?.drop();
    throw err;
  }
}

export type ApiClient = TRPCClient<AppRouter>;

/** A typed client sending `headers()` on every request. */
export function apiClient(url: string, headers: () => Record<string, string> = () => ({}), onResponse?: (res: Response) => void): ApiClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/trpc`,
        transformer: superjson,
        headers,
        fetch: async (input, init) => {
          const res = await fetch(input, init as RequestInit);
          onResponse?.(res);
          return res;
        },
      }),
    ],
  });
}

/**
 * A client authenticated by an agent credential, as the agent is: queries and
 * mutations over HTTP, subscriptions over SSE (`eventsource`, since Node 20
 * has no EventSource; its `fetch` hook carries the Authorization header).
 */
export function agentClient(url: string, credential: string): ApiClient {
  const authorization = `Bearer ${credential}`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: `${url}/trpc`,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({ fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, authorization } }) }),
        }),
        false: httpLink({ url: `${url}/trpc`, transformer: superjson, headers: () => ({ authorization }) }),
      }),
    ],
  });
}

/** Creates cluster `name` as the admin and joins it like an agent: its credential and a client using it. */
export async function joinedAgent(admin: ApiClient, url: string, name: string): Promise<{ clusterId: string; credential: string; client: ApiClient }> {
  const { cluster, joinToken } = await admin.clusters.create.mutate({ name });
  const { credential } = await apiClient(url).agent.join.mutate({ joinToken, agentVersion: "test" });
  return { clusterId: cluster.id, credential, client: agentClient(url, credential) };
}

/** A client authenticated by an API token, as the CLI is. */
export function tokenClient(url: string, token: string): ApiClient {
  return apiClient(url, () => ({ authorization: `Bearer ${token}` }));
}

/**
 * The cookies a server set, sent back on later requests, with the CSRF cookie
 * echoed in its header: what a browser and the dashboard do.
 */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** Keeps the cookies of a response's Set-Cookie headers (a cookie set to "" is kept as ""). */
  remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(";")[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq > 0) this.cookies.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
    }
  }

  /** The Cookie and CSRF headers for the next request. */
  headers(): Record<string, string> {
    const csrf = this.cookies.get(CSRF_COOKIE);
    return {
      ...(this.cookies.size > 0 ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ") } : {}),
      ...(csrf ? { [CSRF_HEADER]: csrf } : {}),
    };
  }
}

/** A browser-like client that is not signed in yet: keeps cookies in a jar; `onResponse` sees every response. */
export function cookieClient(url: string, onResponse?: (res: Response) => void): { client: ApiClient; cookies: Map<string, string> } {
  const jar = new CookieJar();
  const client = apiClient(
    url,
    () => jar.headers(),
    (res) => {
      jar.remember(res);
      onResponse?.(res);
    },
  );
  return { client, cookies: jar.cookies };
}

/** A browser-like client: signs in, keeps the cookies and echoes the CSRF cookie in its header. */
export async function sessionClient(url: string, username: string, password: string, onResponse?: (res: Response) => void): Promise<{ client: ApiClient; cookies: Map<string, string> }> {
  const session = cookieClient(url, onResponse);
  await session.client.auth.login.mutate({ username, password });
  if (!session.cookies.get(SESSION_COOKIE)) throw new Error("login set no session cookie");
  return session;
}

/**
 * Discovery as agents would report it: cluster `east` with shop/checkout
 * (v1, v2), shop/cart (v1), shop/frontend (v1) and payments/ledger (v1).
 */
export async function seedDiscovery(db: Database): Promise<void> {
  const prisma = db.prisma;
  const mesh = await prisma.mesh.findUniqueOrThrow({ where: { name: "default" } });
  const cluster = await prisma.cluster.create({ data: { meshId: mesh.id, name: "east", status: "CONNECTED" } });
  const services: [string, string, string[]][] = [
    ["shop", "checkout", ["v1", "v2"]],
    ["shop", "cart", ["v1"]],
    ["shop", "frontend", ["v1"]],
    ["payments", "ledger", ["v1"]],
  ];
  let address = 10;
  for (const [namespace, name, versions] of services) {
    const service = await prisma.service.create({ data: { clusterId: cluster.id, namespace, name, ports: [{ name: "http", port: 8080, protocol: "HTTP" }] } });
    for (const version of versions) {
      const workload = await prisma.workload.create({ data: { clusterId: cluster.id, namespace, name: `${name}-${version}-0`, serviceAccount: name, version } });
      await prisma.endpoint.create({ data: { serviceId: service.id, workloadId: workload.id, address: `10.0.0.${address++}`, port: 8080 } });
    }
  }
}
