// A real manager for the agent's acceptance tests and the sync benchmark:
// `weft-manager` spawned as a process (the agent may not load the manager's
// code), its own WEFT_HOME, the embedded database unless DATABASE_URL is set.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "@weft/api";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import superjson from "superjson";
import { managerFetch } from "../src/manager-link/manager-trust.ts";
import { freePort } from "./free-port.ts";
import { waitFor } from "./wait-for.ts";

export const MANAGER_BIN = join(import.meta.dirname, "../../api/bin/weft-manager.js");

export interface ManagerProcess {
  url: string;
  home: string;
  port: number;
  process: ChildProcess;
  /** Everything the manager logged, for failure messages. */
  output: () => string;
  /** SIGTERM, SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/**
 * With DATABASE_URL set, each new manager gets a database of its own on that
 * server (a restart with the same home reuses it): managers sharing one
 * database would share their first admin, whose password only the first
 * home holds.
 */
const databases = new Map<string, TestDatabase>();

/**
 * The mesh CA's key per external database. The embedded default creates
 * WEFT_HOME/ca.key by itself; on an external database the operator sets
 * WEFT_CA_KEY (replicas must share it), and without one the mesh has no CA:
 * no SVIDs, no mTLS, and no path to other clusters (their east-west gateways
 * pass only mTLS). A test must see the same mesh on both databases, so each
 * external database gets a key here, shared by every manager on it (replicas,
 * restarts); `env.WEFT_CA_KEY` still wins.
 */
const caKeys = new Map<string, string>();
function caKeyFor(databaseUrl: string): string {
  let key = caKeys.get(databaseUrl);
  if (!key) caKeys.set(databaseUrl, (key = randomBytes(32).toString("base64")));
  return key;
}

/** Starts weft-manager on a free loopback port; `home` reuses a state folder (a restart). */
export async function startManager(
  options: {
    home?: string;
    port?: number;
    /** Extra environment; WEFT_LOG_LEVEL (warn by default) may be raised here. */
    env?: NodeJS.ProcessEnv;
    /** Every chunk the manager writes (stdout and stderr), from its first line on: `output()` keeps only the tail. */
    onOutput?: (chunk: string) => void;
    /** Serve https with this certificate and key (files); `caPem` is what the test trusts it by. */
    tls?: { certFile: string; keyFile: string; caPem: string };
    /** A database shared with other managers (replicas); without it, one of its own as described above. */
    databaseUrl?: string;
    /** The manager's embedded database even when DATABASE_URL is set. */
    embedded?: boolean;
  } = {},
): Promise<ManagerProcess> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), "weft-manager-")));
  const port = options.port ?? (await freePort());
  if (process.env.DATABASE_URL && !options.databaseUrl && !options.embedded && !databases.has(home)) databases.set(home, await createTestDatabase());
  const database = options.databaseUrl ? { url: options.databaseUrl } : databases.get(home);
  const { DATABASE_URL: _external, ...inherited } = process.env;
  const child = spawn(process.execPath, [MANAGER_BIN], {
    env: {
      ...(options.embedded ? inherited : process.env),
      WEFT_LOG_LEVEL: "warn",
      ...(database && !options.env?.WEFT_CA_KEY_FILE ? { WEFT_CA_KEY: caKeyFor(database.url) } : {}),
      ...options.env,
      ...(database ? { DATABASE_URL: database.url } : {}),
      WEFT_HOME: home,
      WEFT_API_HOST: "127.0.0.1",
      WEFT_API_PORT: String(port),
      ...(options.tls ? { WEFT_API_TLS_CERT_FILE: options.tls.certFile, WEFT_API_TLS_KEY_FILE: options.tls.keyFile } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8").on("data", (c: string) => {
      output = (output + c).slice(-20_000);
      options.onOutput?.(c);
    });
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;
  const probe = (options.tls && managerFetch({ caPem: options.tls.caPem })) || fetch;
  try {
    // A manager that exits during start-up ends the wait at once (an error thrown in the check would only read as "not yet").
    const state = await waitFor(
      async () => (child.exitCode !== null || child.signalCode !== null ? "exited" : (await probe(`${url}/healthz`)).ok && "up"),
      "the manager to answer /healthz",
      90_000,
      200,
    );
    if (state === "exited") throw new Error(`manager exited (${child.exitCode ?? child.signalCode}) before answering /healthz: ${output}`);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    url,
    home,
    port,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Removes a stopped manager's state folder, and its database when it had one of its own. */
export async function removeHome(home: string): Promise<void> {
  await rm(home, { recursive: true, force: true });
  const database = databases.get(home);
  if (database) caKeys.delete(database.url);
  await database?.drop();
  databases.delete(home);
}

export type AdminClient = TRPCClient<AppRouter>;

/** Signs in as the first admin (password from $WEFT_HOME/initial-admin-password), keeping the session and echoing the CSRF cookie. */
export async function adminClient(url: string, home: string, fetchWith: typeof fetch = fetch): Promise<AdminClient> {
  const password = (await readFile(join(home, "initial-admin-password"), "utf8")).trim();
  const cookies = new Map<string, string>();
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/trpc`,
        transformer: superjson,
        headers: () => ({
          ...(cookies.size > 0 && { cookie: [...cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ") }),
          ...(cookies.has("weft_csrf") && { "x-weft-csrf": cookies.get("weft_csrf")! }),
        }),
        fetch: async (input, init) => {
          const res = await fetchWith(input, init);
          for (const line of res.headers.getSetCookie()) {
            const [pair = ""] = line.split(";");
            const eq = pair.indexOf("=");
            if (eq > 0) cookies.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
          }
          return res;
        },
      }),
    ],
  });
  await client.auth.login.mutate({ username: "admin", password });
  return client;
}
