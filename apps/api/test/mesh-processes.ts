// Real processes for the SLO acceptance tests: weft-proxy (packages/proxy's
// bin, spawned: the manager may not load the proxy's code), small upstream
// apps, Prometheus and Alertmanager (Debian's packages), and a telemetry
// pump that reads the proxies' per-edge reports (GET /telemetry) and ships
// them through the agent API stamped with an injected clock, so an hour of
// burn can be tested in seconds. The pump maps reports with mesh-model's
// edgeDeltaOf, the agent's own mapping.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { edgeDeltaOf, type ProxyEdgeReport } from "@weft/mesh-model";
import type { ApiClient } from "../src/testing.ts";

export const PROXY_BIN = join(import.meta.dirname, "../../../packages/proxy/bin/weft-proxy.js");

const handedOut = new Set<number>();
/** A port the OS just handed out on loopback (for configs that must name a port up front). */
export async function freePort(): Promise<number> {
  // The kernel may hand a port it just gave out again once it is closed: never give one twice (a universal file naming a port twice is refused).
  for (;;) {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** Polls `check` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One HTTP request; resolves with the status (0 when the connection failed). */
export function send(port: number, host: string, path = "/"): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}

/** A request a {@link startReceiver} got. */
export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A local HTTP receiver (a webhook's far end) answering with `respond` (204 by default); records every request. */
export async function startReceiver(respond: (r: Received, res: ServerResponse) => void = (_r, res) => void res.writeHead(204).end()): Promise<{ url: string; requests: Received[]; server: Server; close(): Promise<void> }> {
  const requests: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const r = { method: req.method ?? "", path: req.url ?? "", headers: req.headers as Record<string, string>, body };
      requests.push(r);
      respond(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface App {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** An upstream app on a free loopback port. */
export async function startApp(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<App> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { port, server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A spawned process with its output kept for failure messages; stop() ends it (SIGTERM, SIGKILL after 5 s). */
export interface Running {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Who a proxy works for, as the agent would label its telemetry. */
export interface Workload {
  cluster: string;
  namespace: string;
  service: string;
  version: string;
}

export interface ProxyProcess extends Running {
  workload: Workload;
  adminPort: number;
  outboundPort: number;
  /** The per-edge deltas since the last call: GET /telemetry?acknowledge=1's batch, acknowledged (POST /telemetry/ack) as the agent does once it holds it. */
  telemetry(): Promise<ProxyEdgeReport[]>;
}

/**
 * Starts weft-proxy for `workload` with an outbound listener that routes
 * `Host: <service>` to each of `upstreams` (one backend per service, its
 * endpoints labelled with their version and cluster).
 */
export async function startProxy(dir: string, workload: Workload, upstreams: { service: string; namespace: string; endpoints: { port: number; version: string; cluster: string }[] }[]): Promise<ProxyProcess> {
  const [adminPort, outboundPort] = [await freePort(), await freePort()];
  const config = {
    version: "v1",
    node: { service: workload.service, namespace: workload.namespace, version: workload.version, locality: { cluster: workload.cluster } },
    listeners: [
      { kind: "outbound", name: "outbound", address: "127.0.0.1", port: outboundPort },
      { kind: "admin", name: "admin", address: "127.0.0.1", port: adminPort },
    ],
    backends: upstreams.map((u) => ({ name: `${u.service}.${u.namespace}`, service: u.service, namespace: u.namespace, endpoints: u.endpoints.map((e) => ({ address: "127.0.0.1", port: e.port, version: e.version, locality: { cluster: e.cluster } })) })),
    virtualHosts: upstreams.map((u) => ({
      name: `${u.service}.${u.namespace}`,
      domains: [u.service, `${u.service}.${u.namespace}`],
      routes: [{ name: u.service, namespace: u.namespace, creationTimestamp: "2026-01-01T00:00:00Z", rules: [{ backendRefs: [{ backend: `${u.service}.${u.namespace}` }] }] }],
    })),
  };
  const file = join(dir, `${workload.cluster}-${workload.service}-${workload.version}.json`);
  await writeFile(file, JSON.stringify(config));
  const proc = run(process.execPath, [PROXY_BIN, "--config", file, "--drain-ms", "100"]);
  const admin = `http://127.0.0.1:${adminPort}`;
  await waitFor(`weft-proxy ${workload.service} ready`, async () => (await fetch(`${admin}/ready`)).ok, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${proc.output()}`);
  });
  return {
    ...proc,
    workload,
    adminPort,
    outboundPort,
    telemetry: async () => {
      const { batch, edges } = (await (await fetch(`${admin}/telemetry?acknowledge=1`)).json()) as { batch: string; edges: ProxyEdgeReport[] };
      // Until acknowledged the proxy serves the same batch again (and new traffic waits for the next one).
      const ack = await fetch(`${admin}/telemetry/ack`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ batch }) });
      if (!ack.ok) throw new Error(`POST /telemetry/ack answered ${ack.status}: ${await ack.text()}`);
      return edges;
    },
  };
}

/**
 * Ships the proxies' telemetry as their cluster's agent would, with the
 * minute taken from the test's clock: `flush(now)` collects every proxy once
 * and reports the deltas of each cluster.
 */
export class TelemetryPump {
  constructor(
    private readonly proxies: readonly ProxyProcess[],
    private readonly agents: ReadonlyMap<string, ApiClient>,
  ) {}

  async flush(now: number): Promise<number> {
    const minute = Math.floor(now / 60_000) * 60_000;
    let requests = 0;
    const byCluster = new Map<string, ReturnType<typeof edgeDeltaOf>[]>();
    for (const proxy of this.proxies) {
      for (const report of await proxy.telemetry()) {
        const delta = edgeDeltaOf(report, proxy.workload, minute, (service, callerNamespace) => callerNamespace);
        if (!delta) continue;
        requests += delta.requests;
        byCluster.set(proxy.workload.cluster, [...(byCluster.get(proxy.workload.cluster) ?? []), delta]);
      }
    }
    for (const [cluster, edges] of byCluster) {
      const agent = this.agents.get(cluster);
      if (!agent) throw new Error(`no agent client for cluster ${cluster}`);
      await agent.agent.reportTelemetry.mutate({ edges: edges.filter((e) => e !== null) });
    }
    return requests;
  }
}

/** A temporary folder removed by the returned function. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface PrometheusProcess extends Running {
  url: string;
}

/** Debian's prometheus with `config` (YAML text), its own data folder and a free port; resolves once it is ready. */
export async function startPrometheus(dir: string, config: string): Promise<PrometheusProcess> {
  const port = await freePort();
  const file = join(dir, "prometheus.yml");
  await writeFile(file, config);
  const proc = run("prometheus", [`--config.file=${file}`, `--storage.tsdb.path=${join(dir, "prometheus-data")}`, `--web.listen-address=127.0.0.1:${port}`, "--web.enable-lifecycle", "--log.level=warn"]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor("prometheus ready", async () => (await fetch(`${url}/-/ready`)).ok, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${proc.output()}`);
  });
  return { ...proc, url };
}

/** Debian's prometheus-alertmanager with `config` (YAML text); resolves once it is ready. */
export async function startAlertmanager(dir: string, config: string): Promise<PrometheusProcess> {
  const port = await freePort();
  const file = join(dir, "alertmanager.yml");
  await writeFile(file, config);
  const proc = run("prometheus-alertmanager", [`--config.file=${file}`, `--storage.path=${join(dir, "alertmanager-data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--log.level=warn"]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor("alertmanager ready", async () => (await fetch(`${url}/-/ready`)).ok, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${proc.output()}`);
  });
  return { ...proc, url };
}
