// A real mesh for the CLI's end-to-end tests: the manager in-process (with a
// CA key, as in production), a real weft-agent process in universal mode
// running real proxies beside small HTTP apps on loopback. The CLI reaches
// the agent only as a program it starts, never as an import.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { agentClient, apiClient, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "@weft/api/testing";
import { run } from "../src/cli.ts";

export const AGENT_BIN = join(import.meta.dirname, "..", "..", "agent", "bin", "weft-agent.js");

const handedOut = new Set<number>();
/** A port the OS just handed out on loopback (universal files name ports up front). */
export async function freePort(): Promise<number> {
  // The kernel may hand a port it just gave out again once it is closed: never give one twice (a universal file naming a port twice is refused).
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** Polls until `check` gives a value: tests wait for what a user would see, never a fixed time. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One HTTP request on a fresh connection. */
export function send(port: number, host: string, path = "/", method = "GET"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

/** How an app answers a request it read. */
export type AppHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** An app answering 500 on paths starting /fail and 200 with its name otherwise (or as `handler` says). */
async function startApp(name: string, handler?: AppHandler): Promise<{ server: Server; port: number }> {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on("end", () => (handler ? handler(req, res) : res.writeHead(req.url?.startsWith("/fail") ? 500 : 200).end(name)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

export interface ProxyPorts {
  inbound: number;
  outbound: number;
  admin: number;
}

export interface MeshFixture {
  manager: TestManager;
  admin: ApiClient;
  dir: string;
  /** east's cluster id. */
  eastId: string;
  /** frontend-1's and catalog-1's proxies. */
  frontend: ProxyPorts;
  catalog: ProxyPorts;
  /** The loopback port frontend-1's proxy binds for the TCP service `ledger` once one is discovered. */
  ledgerLocalPort: number;
  agentOutput(): string;
  stopAgent(): Promise<void>;
  /** Runs `weft` as the given user's config (`admin` unless another was logged in). */
  weft(args: string[], options?: { config?: string; stdin?: string; signal?: AbortSignal; onStdout?: (text: string) => void; onStderr?: (text: string) => void }): Promise<{ code: number; out: string; err: string }>;
  stop(): Promise<void>;
}

type ServiceSettings = NonNullable<NonNullable<Parameters<typeof startTestManager>[0]>["settings"]>;

export interface MeshOptions {
  /** catalog's instances (catalog-1, catalog-2, …) with their versions and apps; default one v1 instance. */
  catalog?: { version: string; handler?: AppHandler }[];
  /** Service settings over the fixture's. */
  settings?: Partial<ServiceSettings>;
}

/**
 * Cluster east: frontend-1 and catalog-1 (namespace shop) with their
 * proxies, its agent joined with a one-time token, every proxy on the
 * current config. `weft` is logged in as admin.
 */
export async function startMesh(options: MeshOptions = {}): Promise<MeshFixture> {
  const manager = await startTestManager({ settings: { ...TEST_SERVICE_SETTINGS, identity: { caKey: randomBytes(32) }, ...options.settings } });
  const dir = await mkdtemp(join(tmpdir(), "weft-cli-mesh-"));
  const apps: Server[] = [];
  let agent: ChildProcess | undefined;
  let output = "";
  const stopAgent = async () => {
    if (!agent || agent.exitCode !== null || agent.signalCode !== null) return;
    const exited = new Promise((resolve) => agent!.once("exit", resolve));
    agent.kill("SIGTERM");
    const killer = setTimeout(() => agent?.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(killer);
  };
  const stop = async () => {
    await stopAgent();
    for (const server of apps) {
      server.closeAllConnections();
      server.close();
    }
    await manager.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { client: admin } = await sessionClient(manager.url, "admin", manager.adminPassword);
    const weft: MeshFixture["weft"] = async (args, options = {}) => {
      let out = "";
      let err = "";
      const code = await run(args, {
        env: { WEFT_CONFIG: options.config ?? join(dir, "admin.json") },
        stdout: (t) => {
          out += t;
          options.onStdout?.(t);
        },
        stderr: (t) => {
          err += t;
          options.onStderr?.(t);
        },
        stdin: Readable.from([options.stdin ?? ""]),
        ...(options.signal && { signal: options.signal }),
      });
      return { code, out, err };
    };
    const login = await weft(["login", "--server", manager.url, "--username", "admin", "--password-stdin"], { stdin: `${manager.adminPassword}\n` });
    if (login.code !== 0) throw new Error(`weft login failed: ${login.err}`);

    const frontendApp = await startApp("frontend");
    const catalogApps = [];
    for (const c of options.catalog ?? [{ version: "v1" }]) catalogApps.push({ ...c, ...(await startApp("catalog", c.handler)) });
    apps.push(frontendApp.server, ...catalogApps.map((a) => a.server));
    const ports = async (): Promise<ProxyPorts> => ({ inbound: await freePort(), outbound: await freePort(), admin: await freePort() });
    const frontend = await ports();
    const catalogPorts: ProxyPorts[] = [];
    for (const _app of catalogApps) catalogPorts.push(await ports());
    const catalog = catalogPorts[0] as ProxyPorts;
    const ledgerLocalPort = await freePort();
    const instance = (name: string, service: string, appPort: number, proxy: ProxyPorts, extra: object = {}, version = "v1") => ({
      name,
      address: "127.0.0.1",
      port: appPort,
      version,
      serviceAccount: service,
      proxy: { inboundPort: proxy.inbound, outboundPort: proxy.outbound, adminPort: proxy.admin, ...extra },
    });
    const universal = {
      services: [
        { name: "frontend", namespace: "shop", protocol: "http", instances: [instance("frontend-1", "frontend", frontendApp.port, frontend, { localPorts: [{ service: "ledger", port: 5432, localPort: ledgerLocalPort }] })] },
        { name: "catalog", namespace: "shop", protocol: "http", instances: catalogApps.map((a, i) => instance(`catalog-${i + 1}`, "catalog", a.port, catalogPorts[i] as ProxyPorts, {}, a.version)) },
      ],
    };
    await writeFile(join(dir, "east.yaml"), JSON.stringify(universal, null, 2));

    const east = await admin.clusters.create.mutate({ name: "east" });
    const agentAdmin = await freePort();
    agent = spawn(
      process.execPath,
      [AGENT_BIN, "--manager", manager.url, "--cluster", "east", "--mode", "universal", "--universal-file", join(dir, "east.yaml"), "--state-dir", join(dir, "east-state"), "--admin-port", String(agentAdmin), "--telemetry-interval", "1", "--log-level", "warn"],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, WEFT_JOIN_TOKEN: east.joinToken } },
    );
    agent.stderr?.setEncoding("utf8").on("data", (c: string) => (output = (output + c).slice(-50_000)));

    await waitFor(
      async () => {
        const view = await admin.clusters.byId.query({ id: east.cluster.id });
        return view.status === "CONNECTED" && view.sync.state === "in-sync" && view.proxyCounts.total === 1 + catalogApps.length && view.proxyCounts.applied === 1 + catalogApps.length;
      },
      "east connected, in sync, every proxy on the current config",
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${output}`);
    });
    // The agent reports workload certificates once its proxies serve them: from then on every hop is mTLS.
    await waitFor(async () => (await admin.identity.certificates.query({ cluster: "east" })).items.filter((c) => c.kind === "workload").length >= 2, "frontend's and catalog's SVIDs served", 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${output}`);
    });
    return { manager, admin, dir, eastId: east.cluster.id, frontend, catalog, ledgerLocalPort, agentOutput: () => output, stopAgent, weft, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Another cluster's agent as the manager sees it: joined with its one-time token, reporting through the agent API (no proxies of its own). */
export async function joinedAgentClient(url: string, joinToken: string): Promise<ApiClient> {
  const { credential } = await apiClient(url).agent.join.mutate({ joinToken });
  return agentClient(url, credential);
}
