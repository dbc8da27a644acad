// The demo application's processes in one: a small HTTP server per instance
// (it calls its downstream services through its proxy's outbound listener)
// and the traffic generator. No dependencies beyond node:http.
//   node --import tsx demo-apps.ts <topology.json>
import { readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { DemoCluster, DemoInstance } from "./demo-topology.ts";

const clusters = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as DemoCluster[];
const log = (msg: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);

function call(outboundPort: number, host: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port: outboundPort, path, headers: { ...headers, host }, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Trace context travels on, so the proxies' spans join up.
const TRACE_HEADERS = ["traceparent", "b3", "x-request-id"];

function serve(inst: DemoInstance): Server {
  const server = createServer((req, res) => {
    void (async () => {
      await sleep(2 + Math.random() * (inst.service === "inventory" ? 15 : 6));
      if (Math.random() < inst.errorRate) {
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "simulated failure", service: inst.service, version: inst.version }));
        return;
      }
      const forwarded = Object.fromEntries(TRACE_HEADERS.flatMap((h) => (typeof req.headers[h] === "string" ? [[h, req.headers[h]]] : [])));
      const calls = inst.proxy ? await Promise.all(inst.calls.map(async (c) => ({ service: c, status: await call(inst.proxy!.outboundPort, c, req.url ?? "/", forwarded) }))) : [];
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ service: inst.service, version: inst.version, cluster: inst.cluster, calls }));
    })();
  });
  server.listen(inst.port, "127.0.0.1");
  server.on("error", (err) => {
    log("demo app cannot listen", { instance: `${inst.cluster}/${inst.name}`, port: inst.port, error: err.message });
    process.exit(1);
  });
  return server;
}

/** How long a traffic generator waits for its cluster's mesh before it sends anyway (and the failures show). */
const MESH_WAIT_MS = 120_000;

/**
 * Whether every meshed instance of `cluster` has a healthy endpoint of each
 * service it calls, as its own proxy sees it (admin `/stats`): the agent
 * marks an endpoint ready only once its proxy answers, so right after start
 * a caller would get `503 no healthy upstream`. The traffic generator waits
 * for this, as a client waits for service discovery, instead of filling the
 * first minutes' topology with start-up failures.
 */
async function meshReady(cluster: DemoCluster): Promise<boolean> {
  for (const inst of cluster.instances) {
    if (!inst.proxy || inst.calls.length === 0) continue;
    const res = await fetch(`http://127.0.0.1:${inst.proxy.adminPort}/stats`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (!res?.ok) return false;
    const stats = (await res.json().catch(() => ({}))) as { backends?: Record<string, { service?: string; endpoints?: { health?: string }[] }> };
    const backends = Object.values(stats.backends ?? {});
    const reachable = (service: string) => backends.some((b) => b.service === service && (b.endpoints ?? []).some((e) => e.health === "healthy"));
    if (!inst.calls.every(reachable)) return false;
  }
  return true;
}

const servers = clusters.flatMap((c) => c.instances.map(serve));
const timers: NodeJS.Timeout[] = [];
let stopping = false;
for (const cluster of clusters)
  for (const i of cluster.instances.filter((inst) => inst.rps && inst.proxy))
    void (async () => {
      const since = Date.now();
      while (!stopping && Date.now() - since < MESH_WAIT_MS && !(await meshReady(cluster))) await sleep(250);
      if (stopping) return;
      log(Date.now() - since < MESH_WAIT_MS ? "traffic generator started" : "traffic generator started without a ready mesh", { instance: `${cluster.name}/${i.name}`, waitedMs: Date.now() - since });
      const paths = ["/", "/products", "/products/42", "/cart"];
      timers.push(
        setInterval(() => {
          for (const target of i.calls) void call(i.proxy!.outboundPort, target, paths[Math.floor(Math.random() * paths.length)]!, {});
        }, 1000 / i.rps!),
      );
    })();
log("demo application running", { instances: servers.length });

const shutdown = () => {
  stopping = true;
  for (const t of timers) clearInterval(t);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  setTimeout(() => process.exit(0), 200).unref();
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
