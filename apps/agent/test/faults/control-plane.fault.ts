// The fault suite (`npm run test:faults`): a manager on a PostgreSQL server of
// the suite's own and two clusters on this machine's loopback, each an agent
// process (universal mode) with real proxies and an east-west gateway. In
// east, web calls catalog through its proxy (catalog's instances — two of v1,
// one of v2 — have proxies too); west runs reviews (with a proxy), exported,
// which east's web calls across clusters (web's proxy → west's gateway →
// reviews' proxy). Two steady traffic loops, each counted at the caller, run
// through every fault: east web → catalog ("local") and east web → west
// reviews ("cross"). Each fault prints one line "fault: <name>: sent N,
// failed M, recovery T ms" with both loops' counts (docs/reliability.md keeps
// the measured table). Every fault asserts zero failed requests on both loops
// and that west's agent stays connected with its proxies and gateway never
// restarted; a callee's proxy being killed (in east) may fail only the local
// loop's requests it had in flight (at most one per traffic loop), counted
// separately. The faults aimed at an agent (SIGKILL mid-push, clock skew)
// hit east's.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killProxiesOf } from "../../src/supervision/proxy-process.ts";
import { startAgentProcess, type AgentProcess } from "../agent-process.ts";
import { freePort } from "../free-port.ts";
import { adminClient, startManager, type AdminClient, type ManagerProcess } from "../manager-process.ts";
import { send, startApp, type App } from "../mesh-harness.ts";
import { steadyTraffic, type TrafficTally } from "../steady-traffic.ts";
import { waitFor } from "../wait-for.ts";
import { startLatencyProxy, type LatencyProxy } from "./latency-proxy.ts";
import { startPrivatePostgres, type PrivatePostgres } from "./private-postgres.ts";

/** Proxies of the suite's agent: web, catalog-v1, catalog-v1b, catalog-v2. */
const PROXIES = 4;

/** libfaketime (Debian's faketime package): the agent, and the proxies it starts, see a skewed wall clock. */
const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

const route = (version: string) => `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata: { name: catalog, namespace: shop }
spec:
  parentRefs: [{ kind: Service, name: catalog }]
  rules:
    - backendRefs: [{ kind: Service, name: catalog, version: ${version}, weight: 1 }]
`;

/** The two loops of a fault: east web → catalog ("local") and east web → west reviews ("cross"). */
interface Tallies {
  local: TrafficTally;
  cross: TrafficTally;
}

/** Both steady traffic loops through east web's proxy; `stop()` returns both tallies. */
function bothLoops(webOut: number) {
  const local = steadyTraffic(webOut, "catalog");
  const cross = steadyTraffic(webOut, "reviews");
  return { stop: async (): Promise<Tallies> => ({ local: await local.stop(), cross: await cross.stop() }) };
}

/** One line per fault, printed and (with WEFT_FAULTS_REPORT set) appended to that file as JSON: the sum of both loops and each loop. */
async function report(name: string, t: Tallies, recoveryMs: number | null, extra: Record<string, unknown> = {}): Promise<void> {
  const loops = { local: { sent: t.local.sent, failed: t.local.failed }, cross: { sent: t.cross.sent, failed: t.cross.failed } };
  const line = { fault: name, twoClusters: true, sent: t.local.sent + t.cross.sent, failed: t.local.failed + t.cross.failed, loops, recoveryMs, loadavg: loadavg().map((l) => Number(l.toFixed(2))), ...extra };
  console.log(
    `fault: ${name}: sent ${line.sent}, failed ${line.failed} (local ${t.local.sent}/${t.local.failed}, cross ${t.cross.sent}/${t.cross.failed}), recovery ${recoveryMs ?? "-"} ms ${Object.keys(extra).length ? JSON.stringify(extra) : ""}`,
  );
  if (process.env.WEFT_FAULTS_REPORT) await appendFile(process.env.WEFT_FAULTS_REPORT, `${JSON.stringify(line)}\n`);
}

describe("control-plane faults under steady traffic", () => {
  let dir: string;
  let pg: PrivatePostgres;
  let manager: ManagerProcess;
  let admin: AdminClient;
  let agent: AgentProcess | undefined;
  /** West's agent: its proxies and gateway serve the cross-cluster loop; no fault is aimed at it. */
  let west: AgentProcess | undefined;
  let apps: App[] = [];
  const ports: Record<string, number> = {};
  const caKey = randomBytes(32).toString("base64");
  let agentArgs: string[] = [];

  const body = async () => (await send(ports.webOut!, "catalog", { timeoutMs: 5000 })).body;
  /** What east's web gets from reviews (west only). */
  const crossBody = async () => (await send(ports.webOut!, "reviews", { timeoutMs: 5000 })).body;
  const health = async () => (await fetch(`${manager.url}/healthz`, { signal: AbortSignal.timeout(5000) })).status;
  const connected = (adminPort: number) => async () =>
    (((await (await fetch(`http://127.0.0.1:${adminPort}/status`, { signal: AbortSignal.timeout(5000) })).json()) as { manager: { stream?: { state: string } } }).manager.stream?.state ?? "") === "connected";
  const agentConnected = async () => connected(ports.agentAdmin!)();
  const westConnected = async () => connected(ports.westAdmin!)();
  const explain = (err: Error): never => {
    throw new Error(
      `${err.message}\n--- agent (east) ---\n${agent?.output().slice(-3000) ?? ""}\n--- agent (west) ---\n${west?.output().slice(-2000) ?? ""}\n--- manager ---\n${manager?.output().slice(-3000) ?? ""}`,
    );
  };
  const start = (port?: number, databaseUrl = pg.url) => startManager({ databaseUrl, ...(port && { port }), ...(manager && { home: manager.home }), env: { WEFT_CA_KEY: caKey } });
  let slowDb: LatencyProxy | undefined;
  type AgentStatus = {
    manager: { stream?: { state: string }; telemetry?: { shippedRequests: number; lastError?: string } };
    proxies: { id: string; state: string; pid?: number; restarts: number; adoptedAt?: string; activeVersion: string | null }[];
  };
  const statusOf = async (adminPort: number) => (await (await fetch(`http://127.0.0.1:${adminPort}/status`, { signal: AbortSignal.timeout(5000) })).json()) as AgentStatus & { gateway?: { state: string } };
  const agentStatus = async () => statusOf(ports.agentAdmin!);
  /** West's own agent kept serving: its process alive, connected (again) to the manager, its proxy and gateway applied and never restarted. */
  const westServing = async () => {
    await waitFor(() => westConnected(), "west's agent to be connected to the manager", 60_000, 100).catch(explain);
    const s = await statusOf(ports.westAdmin!);
    expect(west!.process.exitCode).toBeNull();
    expect(west!.process.signalCode).toBeNull();
    expect(s.proxies.map((p) => [p.id, p.state, p.restarts])).toEqual([["shop/reviews-1", "running", 0]]);
    expect(s.gateway?.state).toBe("applied");
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  /** Live processes whose command line runs a config file in `folder` (a proxy of this suite's agent). */
  const proxyProcesses = async (folder: string): Promise<number[]> => {
    const pids: number[] = [];
    for (const name of await readdir("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      const args = (await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "")).split("\0");
      const config = args[args.indexOf("--config") + 1];
      if (args.includes("--config") && config?.startsWith(`${folder}/`) && alive(Number(name))) pids.push(Number(name));
    }
    return pids;
  };
  /** Requests web → catalog the manager's rollups hold for the suite's window. */
  const rolledUp = async () => {
    const { edges } = await admin.telemetry.edges.query({ from: new Date(Date.now() - 30 * 60_000), to: new Date(Date.now() + 10 * 60_000), cluster: "east" });
    return edges.filter((e) => e.source.service === "web" && e.destination.service === "catalog").reduce((n, e) => n + e.requests, 0);
  };
  /** The next route version and the change that selects it. */
  const flip = async () => ((await body()) === "catalog-v1" ? "v2" : "v1");

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-faults-"));
    pg = await startPrivatePostgres();
    manager = await start();
    admin = await adminClient(manager.url, manager.home);
    // Two instances of catalog v1 (same answer), so a v1 instance's traffic has somewhere to fail over to.
    // reviews runs in west only: east's web reaches it through west's gateway.
    apps = [await startApp(() => "web"), await startApp(() => "catalog-v1"), await startApp(() => "catalog-v2"), await startApp(() => "catalog-v1"), await startApp(() => "reviews-west")];
    for (const name of ["webIn", "webOut", "webAdmin", "c1In", "c1Out", "c1Admin", "c2In", "c2Out", "c2Admin", "c1bIn", "c1bOut", "c1bAdmin", "agentAdmin"]) ports[name] = await freePort();
    for (const name of ["rvIn", "rvOut", "rvAdmin", "gwEast", "gwEastAdmin", "gwWest", "gwWestAdmin", "westAdmin"]) ports[name] = await freePort();
    const proxy = (p: string) => `{ inboundPort: ${ports[`${p}In`]}, outboundPort: ${ports[`${p}Out`]}, adminPort: ${ports[`${p}Admin`]} }`;
    await writeFile(
      join(dir, "east.yaml"),
      `gateway: { address: 127.0.0.1, bindAddress: 127.0.0.1, port: ${ports.gwEast}, adminPort: ${ports.gwEastAdmin} }
services:
  - name: web
    namespace: shop
    instances:
      - { name: web-1, address: 127.0.0.1, port: ${apps[0]!.port}, version: v1, serviceAccount: web, proxy: ${proxy("web")} }
  - name: catalog
    namespace: shop
    instances:
      - { name: catalog-v1, address: 127.0.0.1, port: ${apps[1]!.port}, version: v1, serviceAccount: catalog, proxy: ${proxy("c1")} }
      - { name: catalog-v2, address: 127.0.0.1, port: ${apps[2]!.port}, version: v2, serviceAccount: catalog, proxy: ${proxy("c2")} }
      - { name: catalog-v1b, address: 127.0.0.1, port: ${apps[3]!.port}, version: v1, serviceAccount: catalog, proxy: ${proxy("c1b")} }
`,
    );
    await writeFile(
      join(dir, "west.yaml"),
      `gateway: { address: 127.0.0.1, bindAddress: 127.0.0.1, port: ${ports.gwWest}, adminPort: ${ports.gwWestAdmin} }
services:
  - name: reviews
    namespace: shop
    instances:
      - { name: reviews-1, address: 127.0.0.1, port: ${apps[4]!.port}, version: v1, serviceAccount: reviews, proxy: { inboundPort: ${ports.rvIn}, outboundPort: ${ports.rvOut}, adminPort: ${ports.rvAdmin} } }
`,
    );
    const { joinToken, cluster } = await admin.clusters.create.mutate({ name: "east" });
    const westCluster = await admin.clusters.create.mutate({ name: "west" });
    agentArgs = ["--manager", manager.url, "--mode", "universal", "--universal-file", join(dir, "east.yaml"), "--state-dir", join(dir, "state"), "--admin-port", String(ports.agentAdmin)];
    // Both agents start at once (the suite's setup time is mostly theirs).
    agent = startAgentProcess([...agentArgs, "--join-token", joinToken]);
    west = startAgentProcess(["--manager", manager.url, "--mode", "universal", "--universal-file", join(dir, "west.yaml"), "--state-dir", join(dir, "west-state"), "--admin-port", String(ports.westAdmin), "--join-token", westCluster.joinToken]);
    // Routes may name only services some cluster has discovered.
    await waitFor(async () => (await admin.clusters.byId.query({ id: cluster.id })).counts.services === 2, "east's discovery", 90_000, 250).catch(explain);
    await admin.resources.applyDocuments.mutate({ text: route("v1") });
    // Serving v1 through mTLS between the proxies (the mesh has a CA), and reviews from west through its gateway
    // (every service is exported by default): the steady state every fault starts from.
    await waitFor(async () => (await body().catch(() => "")) === "catalog-v1" && (await agentConnected()), "web → catalog-v1 through the proxies", 120_000, 250).catch(explain);
    await waitFor(async () => (await crossBody().catch(() => "")) === "reviews-west" && (await westConnected()), "east's web → west's reviews through west's gateway", 120_000, 250).catch(explain);
  }, 420_000);

  afterAll(async () => {
    await Promise.all([agent?.stop(), west?.stop()]);
    // Also after a case that failed with its agent SIGKILLed and not replaced: its proxies outlive it.
    if (dir) await Promise.all([killProxiesOf(join(dir, "state")), killProxiesOf(join(dir, "west-state"))]);
    await manager?.stop();
    for (const a of apps) a.server.close();
    await slowDb?.close();
    await pg?.stop();
    if (manager) await rm(manager.home, { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("a config change every 100 ms for 20 s, alternating two route versions", async () => {
    const traffic = bothLoops(ports.webOut!);
    const until = Date.now() + 20_000;
    let changes = 0;
    let last = "v1";
    while (Date.now() < until) {
      const began = Date.now();
      last = last === "v1" ? "v2" : "v1";
      await admin.resources.applyDocuments.mutate({ text: route(last) });
      changes++;
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - began))));
    }
    const settledFrom = Date.now();
    await waitFor(async () => (await body()) === `catalog-${last}`, "the last version to be served", 30_000, 100).catch(explain);
    const tally = await traffic.stop();
    await report("config churn (100 ms, 20 s)", tally, Date.now() - settledFrom, { changes });
    expect(tally.local.failures).toEqual([]);
    expect(tally.cross.failures).toEqual([]);
    await westServing();
  });

  it("PostgreSQL restarted under the manager: /healthz reports it, the manager recovers without a restart", async () => {
    const traffic = bothLoops(ports.webOut!);
    await pg.pause();
    const downAt = Date.now();
    await waitFor(async () => (await health()) === 503, "the manager to report the database outage on /healthz", 30_000, 100).catch(explain);
    const reportedMs = Date.now() - downAt;
    // Down for 10 s: the proxies keep serving on what they have.
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - downAt))));
    await pg.resume();
    const backAt = Date.now();
    await waitFor(async () => (await health()) === 200, "the manager to report healthy again", 60_000, 200).catch(explain);
    const healthyMs = Date.now() - backAt;
    // A change after the restart goes through the same manager process and reaches the proxies.
    const current = await body();
    const next = current === "catalog-v1" ? "v2" : "v1";
    await waitFor(async () => (await admin.resources.applyDocuments.mutate({ text: route(next) })) !== undefined, "a change to be accepted", 30_000, 500).catch(explain);
    await waitFor(async () => (await body()) === `catalog-${next}`, "the change to be served", 30_000, 100).catch(explain);
    const tally = await traffic.stop();
    await report("PostgreSQL down 10 s", tally, Date.now() - backAt, { outageOnHealthzMs: reportedMs, healthyAgainMs: healthyMs });
    expect(manager.process.exitCode).toBeNull();
    expect(tally.local.failures).toEqual([]);
    expect(tally.cross.failures).toEqual([]);
    await westServing();
  });

  it("the manager down for 20 s, then back", async () => {
    const traffic = bothLoops(ports.webOut!);
    const port = manager.port;
    await manager.stop();
    await waitFor(async () => !(await agentConnected()) && !(await westConnected()), "both agents to notice", 30_000, 100).catch(explain);
    await new Promise((r) => setTimeout(r, 20_000));
    const restartAt = Date.now();
    manager = await start(port);
    admin = await adminClient(manager.url, manager.home);
    await waitFor(() => agentConnected(), "the agent to reconnect", 60_000, 100).catch(explain);
    const reconnectedMs = Date.now() - restartAt;
    await waitFor(() => westConnected(), "west's agent to reconnect", 60_000, 100).catch(explain);
    const westReconnectedMs = Date.now() - restartAt;
    const next = (await body()) === "catalog-v1" ? "v2" : "v1";
    await admin.resources.applyDocuments.mutate({ text: route(next) });
    await waitFor(async () => (await body()) === `catalog-${next}`, "a change after the restart to be served", 30_000, 100).catch(explain);
    const tally = await traffic.stop();
    await report("manager down 20 s", tally, reconnectedMs, { westReconnectedMs });
    expect(tally.local.failures).toEqual([]);
    expect(tally.cross.failures).toEqual([]);
    await westServing();
  });
  it("an agent SIGKILLed mid-push and restarted", async () => {
    const traffic = bothLoops(ports.webOut!);
    const before = await agentStatus();
    const next = await flip();
    // Killed the moment the new snapshot reaches it: compiling and pushing to its proxies has begun.
    const killed = new Promise<number>((resolve) => {
      const watch = (chunk: string) => {
        if (!chunk.includes('"config snapshot received"')) return;
        agent!.process.stderr?.off("data", watch);
        agent!.process.kill("SIGKILL");
        resolve(Date.now());
      };
      agent!.process.stderr?.on("data", watch);
    });
    const changedAt = Date.now();
    await admin.resources.applyDocuments.mutate({ text: route(next) });
    const acceptedMs = Date.now() - changedAt;
    const killedAt = await Promise.race([
      killed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no "config snapshot received" from the agent within 90 s of the change (accepted in ${acceptedMs} ms)`)), 90_000)),
    ]).catch(explain);
    await new Promise((r) => agent!.process.once("exit", r));
    // The proxies run in process groups of their own and log to files, not to a pipe: they outlive their agent and keep serving.
    const orphans = before.proxies.filter((p) => p.pid !== undefined && alive(p.pid));
    agent = startAgentProcess(agentArgs);
    await waitFor(() => agentConnected(), "the restarted agent to reconnect", 60_000, 100).catch(explain);
    const reconnectedMs = Date.now() - killedAt;
    await waitFor(async () => (await body()) === `catalog-${next}`, "the change to be served after the restart", 60_000, 100).catch(explain);
    const servedMs = Date.now() - killedAt;
    // Every proxy runs under the new agent (adopted, not started again) on the new config.
    const after = await waitFor(async () => {
      const s = await agentStatus();
      return s.proxies.length === PROXIES && s.proxies.every((p) => p.state === "running" && p.activeVersion !== null) && s;
    }, "the restarted agent to report its proxies applied", 60_000, 200).catch(explain);
    const tally = await traffic.stop();
    const stray = before.proxies.filter((p) => p.pid !== undefined && alive(p.pid) && !after.proxies.some((q) => q.pid === p.pid));
    // What ps would show: one proxy process per instance, no duplicate started beside an adopted one.
    const running = await proxyProcesses(join(dir, "state", "proxies"));
    await report("agent SIGKILL mid-push", tally, servedMs, {
      reconnectedMs,
      proxiesAliveAfterKill: orphans.length,
      adopted: after.proxies.filter((p) => p.adoptedAt !== undefined).length,
      proxyProcesses: running.length,
      strayOldProxies: stray.length,
      proxyRestarts: after.proxies.map((p) => p.restarts),
      failures: [...tally.local.failures, ...tally.cross.failures].slice(0, 3),
    });
    expect(tally.local.failures).toEqual([]);
    expect(tally.cross.failures).toEqual([]);
    await westServing();
    expect(orphans).toHaveLength(PROXIES);
    expect(stray).toEqual([]);
    expect(after.proxies.map((p) => p.pid).sort()).toEqual(before.proxies.map((p) => p.pid).sort());
    expect(after.proxies.every((p) => p.adoptedAt !== undefined && p.restarts === 0)).toBe(true);
    expect(running.sort()).toEqual(after.proxies.map((p) => p.pid!).sort());
  });

  for (const skew of ["+2m", "-2m"] as const) {
    it(`clock skew of ${skew} between agent and manager (libfaketime)`, async () => {
      expect(existsSync(LIBFAKETIME), "install Debian's faketime package (libfaketime)").toBe(true);
      await agent!.stop();
      const rolledBefore = await rolledUp();
      agent = startAgentProcess(agentArgs, { LD_PRELOAD: LIBFAKETIME, FAKETIME: skew, FAKETIME_DONT_RESET: "1" });
      const restartAt = Date.now();
      await waitFor(async () => (await body().catch(() => "")).startsWith("catalog-") && (await agentConnected()), "the skewed agent to serve", 120_000, 200).catch(explain);
      const servingMs = Date.now() - restartAt;
      let probes = 0;
      // Both loops from the moment the skewed agent serves catalog: its proxies have the config (reviews' endpoints through
      // west's gateway came in the same snapshot) and the SVIDs it issued on its own clock, which west's proxy (on the
      // real clock) must accept from the first request.
      const traffic = bothLoops(ports.webOut!);
      await waitFor(async () => (await crossBody().catch(() => "")) === "reviews-west", "reviews across clusters through the skewed agent's proxies", 180_000, 200).catch(explain);
      const crossServingMs = Date.now() - restartAt;
      // The manager sees the skew (heartbeats carry the agent's clock); SVIDs, changes and telemetry still work.
      const expected = skew === "+2m" ? 120_000 : -120_000;
      const east = await waitFor(async () => {
        const c = (await admin.clusters.list.query()).find((i) => i.name === "east");
        return c && c.clockSkewMs !== null && Math.abs(c.clockSkewMs - expected) < 15_000 && c;
      }, "the manager to record the agent's clock skew", 60_000, 500).catch(explain);
      const next = await flip();
      const changeAt = Date.now();
      await admin.resources.applyDocuments.mutate({ text: route(next) });
      await waitFor(async () => (probes++, (await body()) === `catalog-${next}`), "a change to be served by the skewed agent", 60_000, 100).catch(explain);
      const changeServedMs = Date.now() - changeAt;
      await new Promise((r) => setTimeout(r, 3000));
      const tally = await traffic.stop();
      // Every request sent through the skewed agent's proxies reaches the rollups (the shipper's report numbers must not fall behind the last agent's).
      const shippedFrom = Date.now();
      const rolled = await waitFor(async () => {
        const n = (await rolledUp()) - rolledBefore;
        return n >= tally.local.sent + probes && n;
      }, `the skewed agent's ${tally.local.sent} requests in the rollups`, 60_000, 500).catch(explain);
      await report(`clock skew ${skew} (east's agent)`, tally, changeServedMs, {
        servingMs,
        crossServingMs,
        crossKinds: tally.cross.kinds,
        clockSkewMs: east.clockSkewMs,
        rolledUp: rolled,
        telemetryLandedMs: Date.now() - shippedFrom,
        failures: [...tally.local.failures, ...tally.cross.failures].slice(0, 3),
      });
      expect(tally.local.failures).toEqual([]);
      expect(tally.cross.failures).toEqual([]);
      await westServing();
    });
  }

  it("a callee's proxy SIGKILLed: its traffic fails over, the agent restarts it; only requests in flight on it fail", async () => {
    // Both versions behind the route; v1 has two instances, so the killed one's share has somewhere to go.
    await admin.resources.applyDocuments.mutate({
      text: `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata: { name: catalog, namespace: shop }
spec:
  parentRefs: [{ kind: Service, name: catalog }]
  rules:
    - backendRefs: [{ kind: Service, name: catalog, version: v1, weight: 1 }, { kind: Service, name: catalog, version: v2, weight: 1 }]
`,
    });
    const seen = new Set<string>();
    await waitFor(async () => (seen.add(await body()), seen.has("catalog-v1") && seen.has("catalog-v2")), "both versions to answer", 30_000, 50).catch(explain);
    type Proxy = { id: string; state: string; pid?: number; restarts: number };
    const proxies = async () => ((await (await fetch(`http://127.0.0.1:${ports.agentAdmin}/status`)).json()) as { proxies: Proxy[] }).proxies;
    const victim = (await proxies()).find((p) => p.id === "shop/catalog-v1")!;
    // Requests that reach the victim's application (only through its proxy): it serves again once one arrives after the kill.
    let victimServed = 0;
    apps[1]!.server.on("request", () => victimServed++);
    const traffic = bothLoops(ports.webOut!);
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(victim.pid!, "SIGKILL");
    const killedAt = Date.now();
    const servedBefore = victimServed;
    await waitFor(async () => (await proxies()).some((p) => p.id === victim.id && p.state === "running" && p.restarts > victim.restarts), "the agent to restart the proxy", 30_000, 100).catch(explain);
    const restartedMs = Date.now() - killedAt;
    // The caller may have ejected the dead endpoint (outlier detection, 30 s): traffic returns when the ejection ends.
    await waitFor(async () => victimServed > servedBefore, "the restarted proxy to serve the caller's traffic", 90_000, 100).catch(explain);
    const servingMs = Date.now() - killedAt;
    // A little more traffic on the restored endpoint, then the count.
    await new Promise((r) => setTimeout(r, 1000));
    const tally = await traffic.stop();
    // In flight on the killed proxy: the request had been written to it, so the caller answers 502 "upstream reset" and
    // does not resend it (it may have been processed). A refused connection (503 "upstream connect failure") never reached
    // anything and must have gone to another endpoint.
    const inFlight = Object.entries(tally.local.kinds).filter(([kind]) => kind.startsWith("502 upstream reset")).reduce((n, [, c]) => n + c, 0);
    const otherFailures = Object.fromEntries(Object.entries(tally.local.kinds).filter(([kind]) => !kind.startsWith("502 upstream reset")));
    await report("callee proxy SIGKILL", tally, servingMs, { inFlight, failedOtherwise: tally.local.failed - inFlight, restartedMs, kinds: tally.local.kinds, crossKinds: tally.cross.kinds });
    expect(otherFailures).toEqual({});
    // The cross-cluster loop never touches the killed proxy: nothing of it fails.
    expect(tally.cross.failures).toEqual([]);
    await westServing();
    // Two traffic loops: at most one request each was in flight when the proxy died.
    expect(inFlight).toBeLessThanOrEqual(2);
  });
  it("a slow database (+200 ms per query) while agents and the dashboard API run", async () => {
    const target = new URL(pg.url);
    slowDb = await startLatencyProxy({ host: target.hostname, port: Number(target.port) }, 200);
    const slowUrl = new URL(pg.url);
    slowUrl.port = String(slowDb.port);
    const port = manager.port;
    const traffic = bothLoops(ports.webOut!);
    await manager.stop();
    const restartAt = Date.now();
    manager = await start(port, slowUrl.toString());
    admin = await adminClient(manager.url, manager.home);
    await waitFor(() => agentConnected(), "the agent to reconnect to the slow manager", 120_000, 200).catch(explain);
    const reconnectedMs = Date.now() - restartAt;
    await waitFor(() => westConnected(), "west's agent to reconnect to the slow manager", 120_000, 200).catch(explain);
    // The dashboard's reads (each several queries) and a change, timed at the caller.
    const timed = async <T>(f: () => Promise<T>) => {
      const t = Date.now();
      await f();
      return Date.now() - t;
    };
    const dashboard: number[] = [];
    for (let i = 0; i < 3; i++) {
      dashboard.push(await timed(() => admin.clusters.list.query()));
      dashboard.push(await timed(() => rolledUp()));
    }
    const next = await flip();
    const changeAt = Date.now();
    await admin.resources.applyDocuments.mutate({ text: route(next) });
    const acceptedMs = Date.now() - changeAt;
    await waitFor(async () => (await body()) === `catalog-${next}`, "a change to be served through the slow database", 60_000, 100).catch(explain);
    const changeServedMs = Date.now() - changeAt;
    expect(await health()).toBe(200);
    const tally = await traffic.stop();
    await report("slow database +200 ms", tally, changeServedMs, {
      managerRestartToAgentConnectedMs: reconnectedMs,
      changeAcceptedMs: acceptedMs,
      dashboardReadsMs: dashboard,
      dbConnections: slowDb.connections,
      failures: [...tally.local.failures, ...tally.cross.failures].slice(0, 3),
    });
    expect(tally.local.failures).toEqual([]);
    expect(tally.cross.failures).toEqual([]);
    await westServing();
  });
});
