// Exact telemetry across restarts: steady traffic through a real proxy while
// the manager is SIGKILLed and started again; while the agent is SIGKILLed and
// started again; and while the agent is SIGKILLed with the manager away (its
// buffer holding what it collected meanwhile). The manager's rollups — what
// the dashboard reads — must count exactly the requests the caller sent, per
// minute summed over the window: not one more (a retried report counted
// twice) and not one fewer (a report lost with a process).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killProxiesOf } from "../../src/supervision/proxy-process.ts";
import { startAgentProcess, type AgentProcess } from "../agent-process.ts";
import { freePort } from "../free-port.ts";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "../manager-process.ts";
import { send, startApp, closeApp, type App } from "../mesh-harness.ts";
import { steadyTraffic, type TrafficTally } from "../steady-traffic.ts";
import { waitFor } from "../wait-for.ts";

interface AgentStatus {
  manager: { stream?: { state: string }; telemetry?: { lastCollectAt?: string; lastShipAt?: string; shippedRequests: number; bufferedEdges: number; droppedRequests: number } };
}

describe("telemetry counts across a manager and an agent restart", { timeout: 300_000 }, () => {
  let dir: string;
  let manager: ManagerProcess;
  let admin: AdminClient;
  let joinToken: string;
  let agent: AgentProcess | undefined;
  let apps: App[] = [];
  const ports = { inbound: 0, outbound: 0, admin: 0, agentAdmin: 0 };
  const startedAt = new Date();

  const agentArgs = () => [
    "--manager",
    manager.url,
    "--mode",
    "universal",
    "--universal-file",
    join(dir, "east.yaml"),
    "--state-dir",
    join(dir, "state"),
    "--admin-port",
    String(ports.agentAdmin),
    "--telemetry-interval",
    "1",
  ];
  const agentStatus = async () => (await (await fetch(`http://127.0.0.1:${ports.agentAdmin}/status`)).json()) as AgentStatus;
  const sigkill = async (child: { kill(signal: NodeJS.Signals): boolean; once(event: "exit", listener: () => void): unknown; exitCode: number | null; signalCode: NodeJS.Signals | null }) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  };
  /** web → catalog in the rollups: the whole window's total, and the per-minute series summed. */
  const rolledUp = async () => {
    const window = { from: new Date(startedAt.getTime() - 60_000), to: new Date(Date.now() + 120_000) };
    const { edges } = await admin.telemetry.edges.query({ ...window, cluster: "east" });
    const total = edges.filter((e) => e.source.service === "web" && e.destination.service === "catalog").reduce((n, e) => n + e.requests, 0);
    const series = await admin.telemetry.serviceSeries.query({ service: { namespace: "shop", name: "catalog" }, ...window, step: 60 });
    const perMinute = series.points.map((p) => ({ minute: new Date(p.at).toISOString().slice(11, 16), requests: p.requests })).filter((p) => p.requests > 0);
    return { total, perMinute, summed: perMinute.reduce((n, p) => n + p.requests, 0) };
  };
  /** Waits for traffic to have grown by `more` requests since now. */
  const moreTraffic = (tally: TrafficTally, more: number) => {
    const target = tally.sent + more;
    return waitFor(() => tally.sent >= target, `${more} more requests`, 60_000, 50);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-telemetry-restarts-"));
    manager = await startManager();
    admin = await adminClient(manager.url, manager.home);
    joinToken = (await admin.clusters.create.mutate({ name: "east" })).joinToken;
    apps = [await startApp(() => "web"), await startApp(() => "catalog")];
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
    await writeFile(
      join(dir, "east.yaml"),
      `services:
  - name: web
    namespace: shop
    instances:
      - name: web-1
        address: 127.0.0.1
        port: ${apps[0]!.port}
        version: v1
        serviceAccount: web
        proxy: { inboundPort: ${ports.inbound}, outboundPort: ${ports.outbound}, adminPort: ${ports.admin} }
  - name: catalog
    namespace: shop
    instances:
      - { name: catalog-1, address: 127.0.0.1, port: ${apps[1]!.port}, version: v1 }
`,
    );
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    // Also after a case that failed with its agent SIGKILLed and not replaced: its proxies outlive it.
    if (dir) await killProxiesOf(join(dir, "state"));
    await manager?.stop();
    for (const a of apps) await closeApp(a);
    if (manager) await removeHome(manager.home);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  /** Requests sent through the web proxy so far, by every case (the rollups hold them all). */
  let sentBefore = 0;
  const restartManager = async () => {
    manager = await startManager({ home: manager.home, port: manager.port });
    admin = await adminClient(manager.url, manager.home);
  };
  const restartAgent = async () => {
    agent = startAgentProcess(agentArgs());
    // The restarted agent has shipped (its own collection or the previous run's pending telemetry).
    await waitFor(async () => (await agentStatus()).manager.telemetry?.lastShipAt !== undefined, "the restarted agent to ship telemetry", 90_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent!.output()}`);
    });
  };
  /** Runs steady traffic through `fault`, then checks the rollups hold every request sent so far, exactly. */
  const exactlyCounted = async (name: string, fault: (tally: TrafficTally) => Promise<void>) => {
    const traffic = steadyTraffic(ports.outbound, "catalog");
    await moreTraffic(traffic.tally, 100);
    await fault(traffic.tally).catch((err: Error) => {
      throw new Error(`${err.message}\n--- agent ---\n${agent?.output()}`);
    });
    await moreTraffic(traffic.tally, 100);
    const tally = await traffic.stop();
    const expected = sentBefore + tally.sent;
    sentBefore = expected;
    const counted = await waitFor(
      async () => {
        const r = await rolledUp();
        return r.total >= expected && r;
      },
      `${expected} requests in the rollups`,
      30_000,
      250,
    ).catch(async (err: Error) => {
      const r = await rolledUp();
      throw new Error(`${name}: ${err.message}: the rollups hold ${r.total} (${JSON.stringify(r.perMinute)}), ${expected - r.total} fewer than sent; ${tally.failed} of ${tally.sent} failed at the caller ${JSON.stringify(tally.failures)}\n--- agent ---\n${agent!.output()}`);
    });
    // Another collect-and-ship round: nothing late counts a request twice.
    const collectedAt = (await agentStatus()).manager.telemetry?.lastCollectAt;
    await waitFor(async () => (await agentStatus()).manager.telemetry?.lastCollectAt !== collectedAt, "another telemetry round", 10_000, 100);
    const again = await rolledUp();
    console.log(`fault: telemetry across ${name}: sent ${tally.sent}, failed ${tally.failed}; rollups ${again.total} for ${expected} sent in all, per minute ${JSON.stringify(again.perMinute)}`);
    expect({ failed: tally.failed, failures: tally.failures }).toEqual({ failed: 0, failures: [] });
    expect(counted.total).toBe(expected);
    expect(again.total).toBe(expected);
    expect(again.summed).toBe(expected);
    expect((await agentStatus()).manager.telemetry?.droppedRequests).toBe(0);
  };

  beforeAll(async () => {
    agent = startAgentProcess([...agentArgs(), "--join-token", joinToken]);
    // Every probe that reached the proxy is counted like the traffic. The wait includes the agent's start-up.
    await waitFor(
      async () => {
        const reply = await send(ports.outbound, "catalog", { timeoutMs: 5000 });
        sentBefore++;
        return reply.body === "catalog";
      },
      "traffic through the web proxy",
      90_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent!.output()}`);
    });
  }, 120_000);

  it("counts every request once when the manager is SIGKILLed mid-traffic and started again", async () => {
    await exactlyCounted("a manager SIGKILL", async (tally) => {
      await sigkill(manager.process);
      await moreTraffic(tally, 50);
      await restartManager();
      await waitFor(async () => (await agentStatus()).manager.stream?.state === "connected", "the agent to reconnect", 60_000, 200);
    });
  });

  it("counts every request once when the agent is SIGKILLed mid-traffic and started again", async () => {
    await exactlyCounted("an agent SIGKILL", async (tally) => {
      await sigkill(agent!.process);
      await moreTraffic(tally, 50);
      await restartAgent();
    });
  });

  it("counts every request once when the agent is SIGKILLed while the manager is away, holding what it collected meanwhile", async () => {
    await exactlyCounted("an agent SIGKILL while the manager is away", async (tally) => {
      await sigkill(manager.process);
      // Collected by the agent and not shipped: only its state folder keeps these once it is killed.
      const shipped = (await agentStatus()).manager.telemetry?.shippedRequests ?? 0;
      await moreTraffic(tally, 100);
      await waitFor(async () => ((await agentStatus()).manager.telemetry?.bufferedEdges ?? 0) > 0, "the agent to hold telemetry", 10_000, 100);
      expect((await agentStatus()).manager.telemetry?.shippedRequests).toBe(shipped);
      await sigkill(agent!.process);
      await moreTraffic(tally, 50);
      await restartManager();
      await restartAgent();
    });
  });
});
