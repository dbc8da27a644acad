// Universal mode with a real manager and real proxies: an instance with a
// proxy is ready only while its proxy is (running, serving a config). The
// manager's view, the local callers' configs and the callers' traffic follow:
// at start-up (a proxy that cannot come up yet) and after a SIGKILL.
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgentProcess, universalAgentArgs, type AgentProcess } from "./agent-process.ts";
import { freePort } from "./free-port.ts";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "./manager-process.ts";
import { send, startApp, type App } from "./mesh-harness.ts";
import { waitFor } from "./wait-for.ts";

interface Ports {
  in: number;
  out: number;
  admin: number;
}

/** What the caller's proxy (/stats) knows of one endpoint of catalog. */
interface EndpointStats {
  port: number;
  health: string;
  requests: number;
}

/**
 * Something else holding a proxy's inbound port (on every address, as the
 * proxy binds it): the proxy cannot come up while it does. Every connection
 * it accepts is a caller that picked an endpoint whose proxy was not there.
 */
async function squat(port: number): Promise<{ server: TcpServer; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
  });
  // Right after a SIGKILL the port may take a moment to be free.
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        server.once("error", () => resolve(false));
        server.listen(port, "0.0.0.0", () => resolve(true));
      }),
    `port ${port} to be free`,
    10_000,
    10,
  );
  return {
    server,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("universal mode: an instance with a proxy is ready only while its proxy is", { timeout: 240_000 }, () => {
  let dir: string;
  let manager: ManagerProcess;
  let admin: AdminClient;
  let agent: AgentProcess | undefined;
  let apps: App[] = [];
  const ports: Record<"web" | "cat1" | "cat2", Ports> = { web: { in: 0, out: 0, admin: 0 }, cat1: { in: 0, out: 0, admin: 0 }, cat2: { in: 0, out: 0, admin: 0 } };
  let agentAdmin = 0;
  let squatter: Awaited<ReturnType<typeof squat>> | undefined;

  let joinToken = "";
  const agentArgs = () => universalAgentArgs({ manager: manager.url, joinToken, file: join(dir, "east.yaml"), stateDir: join(dir, "state"), adminPort: agentAdmin });
  const proxy = (p: Ports) => `{ inboundPort: ${p.in}, outboundPort: ${p.out}, adminPort: ${p.admin} }`;
  /** catalog-1 in the manager's view (what other clusters and the dashboard see). */
  const managerView = async () => {
    const { endpoints } = await admin.discovery.endpoints.query({ namespace: "shop", name: "catalog" });
    return Object.fromEntries(endpoints.map((e) => [e.workload, e.healthy]));
  };
  /** catalog's endpoints as the caller's proxy holds them: health, and requests it sent each. */
  const callerView = async (): Promise<Map<number, EndpointStats>> => {
    const stats = (await (await fetch(`http://127.0.0.1:${ports.web.admin}/stats`)).json()) as { backends: Record<string, { service: string; endpoints: EndpointStats[] }> };
    const endpoints = Object.values(stats.backends)
      .filter((b) => b.service === "catalog")
      .flatMap((b) => b.endpoints);
    // One backend per version subset may list an endpoint again: sum its requests.
    const byPort = new Map<number, EndpointStats>();
    for (const e of endpoints) {
      const seen = byPort.get(e.port);
      byPort.set(e.port, { port: e.port, health: e.health, requests: (seen?.requests ?? 0) + e.requests });
    }
    return byPort;
  };
  const proxyStatus = async (id: string) => {
    const status = (await (await fetch(`http://127.0.0.1:${agentAdmin}/status`)).json()) as { proxies: { id: string; pid?: number; ready: boolean; restarts: number; adoptedAt?: string }[] };
    return status.proxies.find((p) => p.id === id);
  };
  /** `n` calls from web to catalog through web's proxy: the answers (the app that served each). */
  const callCatalog = async (n: number) => {
    const answers: string[] = [];
    for (let i = 0; i < n; i++) {
      const reply = await send(ports.web.out, "catalog", { timeoutMs: 5000 });
      answers.push(reply.status === 200 ? reply.body : `HTTP ${reply.status}`);
    }
    return answers;
  };
  const withOutput = (err: Error) => {
    throw new Error(`${err.message}\n--- agent ---\n${agent?.output() ?? ""}`);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-agent-readiness-"));
    manager = await startManager();
    admin = await adminClient(manager.url, manager.home);
    apps = [await startApp(() => "web"), await startApp(() => "catalog-1"), await startApp(() => "catalog-2")];
    for (const p of Object.values(ports)) for (const k of ["in", "out", "admin"] as const) p[k] = await freePort();
    agentAdmin = await freePort();
    await writeFile(
      join(dir, "east.yaml"),
      `services:
  - name: web
    namespace: shop
    instances:
      - { name: web-1, address: 127.0.0.1, port: ${apps[0]!.port}, serviceAccount: web, proxy: ${proxy(ports.web)} }
  - name: catalog
    namespace: shop
    instances:
      - { name: catalog-1, address: 127.0.0.1, port: ${apps[1]!.port}, servicePort: 8080, serviceAccount: catalog, proxy: ${proxy(ports.cat1)} }
      - { name: catalog-2, address: 127.0.0.1, port: ${apps[2]!.port}, servicePort: 8080, serviceAccount: catalog, proxy: ${proxy(ports.cat2)} }
`,
    );
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await squatter?.close();
    await manager?.stop();
    for (const a of apps) a.server.close();
    if (manager) await removeHome(manager.home);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("at start-up: catalog-1's endpoint is not ready (manager, caller) while its proxy cannot come up, and no call goes to it; ready once it is", async () => {
    // catalog-1's proxy cannot bind its inbound port: it exits and is restarted (with backoff) until the port is free.
    squatter = await squat(ports.cat1.in);
    joinToken = (await admin.clusters.create.mutate({ name: "east" })).joinToken;
    agent = startAgentProcess(agentArgs());
    // The manager hears of all three instances; catalog-2 and web become ready, catalog-1 does not.
    await waitFor(async () => {
      const view = await managerView().catch(() => ({}) as Record<string, boolean>);
      return view["catalog-2"] === true && view["catalog-1"] === false;
    }, "catalog-2 ready and catalog-1 not ready in the manager's view", 120_000, 200).catch(withOutput);
    // The caller's proxy holds catalog-1 as unhealthy (it was never started on a config calling it healthy).
    const before = await waitFor(async () => {
      const view = await callerView().catch(() => new Map<number, EndpointStats>());
      return view.get(ports.cat2.in)?.health === "healthy" && view;
    }, "web's proxy to call catalog-2", 60_000).catch(withOutput);
    expect(before.get(ports.cat1.in)?.health).toBe("unhealthy");

    // While catalog-1's proxy is down, every call is answered, by catalog-2, and none reaches catalog-1's port.
    const answers = await callCatalog(40);
    expect(new Set(answers)).toEqual(new Set(["catalog-2"]));
    expect(squatter.connections()).toBe(0);
    expect((await callerView()).get(ports.cat1.in)?.requests ?? 0).toBe(0);
    expect(await managerView()).toMatchObject({ "catalog-1": false });
    expect((await proxyStatus("shop/catalog-1"))?.ready).toBe(false);

    // The port is freed: the proxy comes up on its next restart, and only then is its endpoint ready, everywhere.
    await squatter.close();
    squatter = undefined;
    await waitFor(async () => (await managerView())["catalog-1"] === true, "catalog-1 ready in the manager's view", 90_000, 200).catch(withOutput);
    expect((await fetch(`http://127.0.0.1:${ports.cat1.admin}/ready`)).status).toBe(200);
    await waitFor(async () => (await callCatalog(4)).includes("catalog-1"), "web's calls to reach catalog-1", 30_000).catch(withOutput);
  });

  it("a SIGKILLed proxy's endpoint turns not ready (manager, caller) until it is restarted and ready again", async () => {
    const before = await proxyStatus("shop/catalog-1");
    expect(before).toMatchObject({ ready: true });
    process.kill(before!.pid!, "SIGKILL");
    // Its port taken at once: the restart cannot come up until the test frees it (the not-ready window is the test's, not a race).
    squatter = await squat(ports.cat1.in);
    await waitFor(async () => (await managerView())["catalog-1"] === false, "catalog-1 not ready in the manager's view", 60_000, 100).catch(withOutput);
    await waitFor(async () => (await callerView()).get(ports.cat1.in)?.health === "unhealthy", "web's proxy to hold catalog-1 unhealthy", 30_000).catch(withOutput);
    const connections = squatter.connections();
    // Once the caller knows, its calls go to catalog-2 only.
    expect(new Set(await callCatalog(30))).toEqual(new Set(["catalog-2"]));
    expect(squatter.connections()).toBe(connections);
    expect(await managerView()).toMatchObject({ "catalog-1": false, "catalog-2": true });

    await squatter.close();
    squatter = undefined;
    await waitFor(async () => (await managerView())["catalog-1"] === true, "catalog-1 ready again in the manager's view", 90_000, 200).catch(withOutput);
    const after = await proxyStatus("shop/catalog-1");
    expect(after).toMatchObject({ ready: true });
    expect(after!.restarts).toBeGreaterThan(before!.restarts);
    await waitFor(async () => (await callerView()).get(ports.cat1.in)?.health === "healthy", "web's proxy to hold catalog-1 healthy again", 30_000).catch(withOutput);
    await waitFor(async () => (await callCatalog(4)).includes("catalog-1"), "web's calls to reach catalog-1 again", 30_000).catch(withOutput);
  });
  it("an agent that crashed and is restarted adopts the running proxies without ever reporting them not ready", async () => {
    const pids = await Promise.all(["shop/web-1", "shop/catalog-1", "shop/catalog-2"].map(async (id) => (await proxyStatus(id))?.pid));
    agent!.process.kill("SIGKILL");
    await new Promise<void>((resolve) => (agent!.process.exitCode !== null || agent!.process.signalCode !== null ? resolve() : agent!.process.once("exit", () => resolve())));
    // Watched from the crash until the new agent has adopted its proxies and reported: the manager's view and the caller's.
    const seen = { manager: new Set<string>(), caller: new Set<string>() };
    let watching = true;
    let rounds = 0;
    const watch = (async () => {
      for (; watching; rounds++) {
        const view = await managerView().catch(() => ({}) as Record<string, boolean>);
        for (const [workload, healthy] of Object.entries(view)) if (!healthy) seen.manager.add(workload);
        const caller = await callerView().catch(() => new Map<number, EndpointStats>());
        for (const e of caller.values()) if (e.health !== "healthy") seen.caller.add(String(e.port));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    agent = startAgentProcess(agentArgs());
    await waitFor(async () => {
      const adopted = await Promise.all(["shop/web-1", "shop/catalog-1", "shop/catalog-2"].map((id) => proxyStatus(id)));
      return adopted.every((p) => p?.ready === true && p.adoptedAt !== undefined);
    }, "the new agent to adopt the three proxies", 90_000, 200).catch(withOutput);
    // Its first (full) discovery report accepted by the manager, and its first configs pushed to the adopted proxies.
    await waitFor(async () => {
      const status = (await (await fetch(`http://127.0.0.1:${agentAdmin}/status`)).json()) as {
        manager: { sync: { fullReports: number }; apply?: { last: { status: string } | null } };
        proxies: { activeVersion: string | null }[];
      };
      return status.manager.sync.fullReports >= 1 && status.manager.apply?.last?.status === "applied" && status.proxies.every((p) => p.activeVersion !== null);
    }, "the new agent's first report and configs", 60_000, 100).catch(withOutput);
    // Two more complete rounds of the watch see what they did.
    const after = rounds;
    await waitFor(() => rounds >= after + 2, "two more rounds of the watch", 30_000);
    watching = false;
    await watch;
    expect(seen).toEqual({ manager: new Set(), caller: new Set() });
    expect(await Promise.all(["shop/web-1", "shop/catalog-1", "shop/catalog-2"].map(async (p) => (await proxyStatus(p))?.pid))).toEqual(pids);
  });
});
