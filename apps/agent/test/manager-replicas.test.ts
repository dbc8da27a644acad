// Two manager replicas on one PostgreSQL behind HAProxy (Debian's), an agent
// with a real proxy connected through the load balancer, and steady traffic
// through that proxy counted at the caller. The replica the agent's stream
// is on is SIGKILLed: the agent resumes on the other one without a full
// resync, and changes made on either replica reach it. Then a root rotation
// runs while the replica that leads the rotation controller is SIGKILLed:
// the survivor finishes it, and no step is applied twice.
//
// Needs PostgreSQL (DATABASE_URL, as CI sets it): the embedded database is
// single-process by design, so replicas cannot share it.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgentProcess, universalAgentArgs, type AgentProcess } from "./agent-process.ts";
import { freePort } from "./free-port.ts";
import { haproxyConfig } from "./haproxy.ts";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "./manager-process.ts";
import { send, startApp, type App } from "./mesh-harness.ts";
import { steadyTraffic } from "./steady-traffic.ts";
import { waitFor } from "./wait-for.ts";

const route = (version: string) => `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata: { name: catalog, namespace: shop }
spec:
  parentRefs: [{ kind: Service, name: catalog }]
  rules:
    - backendRefs: [{ kind: Service, name: catalog, version: ${version}, weight: 1 }]
`;

describe.skipIf(!process.env.DATABASE_URL)("manager replicas behind HAProxy on one PostgreSQL", { timeout: 240_000 }, () => {
  let dir: string;
  let database: TestDatabase;
  const caKey = randomBytes(32).toString("base64");
  const replicas = new Map<"a" | "b", ManagerProcess>();
  let haproxy: ChildProcess;
  let lbPort: number;
  let agent: AgentProcess | undefined;
  let apps: App[] = [];
  const ports = { inbound: 0, outbound: 0, admin: 0, agentAdmin: 0 };
  let home: string;
  const admins = new Map<"a" | "b", AdminClient>();

  const startReplica = async (name: "a" | "b", port?: number) => {
    const m = await startManager({ databaseUrl: database.url, ...(port && { port }), env: { WEFT_CA_KEY: caKey, WEFT_ROTATION_TICK: "500ms" } });
    replicas.set(name, m);
    return m;
  };
  const agentStatus = async () =>
    (await (await fetch(`http://127.0.0.1:${ports.agentAdmin}/status`)).json()) as {
      manager: { config?: { snapshots: number; configVersion?: string }; stream?: { state: string; reconnects: number }; apply?: { pushes: number } };
    };
  const servedBy = async (body: string) => (await send(ports.outbound, "catalog", { timeoutMs: 5000 })).body === body;
  const explain = (err: Error): never => {
    throw new Error(`${err.message}\n--- agent ---\n${agent?.output().slice(-3000) ?? ""}\n${[...replicas].map(([n, m]) => `--- replica ${n} ---\n${m.output().slice(-2000)}`).join("\n")}`);
  };
  const tokens = new Map<"a" | "b", string>();
  /** The replica's /metrics, with a VIEWER token minted on it. */
  const scrape = async (name: "a" | "b") => {
    if (!tokens.has(name)) tokens.set(name, (await admins.get(name)!.tokens.create.mutate({ name: `scrape-${name}-${Date.now()}`, role: "VIEWER" })).token);
    return (await fetch(`${replicas.get(name)!.url}/metrics`, { headers: { authorization: `Bearer ${tokens.get(name)!}` } })).text();
  };
  const sigkill = async (m: ManagerProcess) => {
    const gone = new Promise((resolve) => m.process.once("exit", resolve));
    m.process.kill("SIGKILL");
    await gone;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-replicas-"));
    database = await createTestDatabase();
    const a = await startReplica("a");
    // The first replica bootstraps the database (admin, CA); the second joins it.
    home = a.home;
    const b = await startReplica("b");
    admins.set("a", await adminClient(a.url, home));
    admins.set("b", await adminClient(b.url, home));

    lbPort = await freePort();
    const cfg = join(dir, "haproxy.cfg");
    await writeFile(cfg, haproxyConfig(lbPort, [{ name: "a", port: a.port }, { name: "b", port: b.port }]));
    haproxy = spawn("haproxy", ["-f", cfg, "-db"], { stdio: ["ignore", "ignore", "pipe"] });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${lbPort}/healthz`)).ok, "HAProxy to forward to a replica", 20_000, 200);

    apps = [await startApp(() => "web"), await startApp(() => "catalog-v1"), await startApp(() => "catalog-v2")];
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
    await writeFile(
      join(dir, "east.yaml"),
      `services:
  - name: web
    namespace: shop
    instances:
      - { name: web-1, address: 127.0.0.1, port: ${apps[0]!.port}, version: v1, serviceAccount: web, proxy: { inboundPort: ${ports.inbound}, outboundPort: ${ports.outbound}, adminPort: ${ports.admin} } }
  - name: catalog
    namespace: shop
    instances:
      - { name: catalog-v1, address: 127.0.0.1, port: ${apps[1]!.port}, version: v1 }
      - { name: catalog-v2, address: 127.0.0.1, port: ${apps[2]!.port}, version: v2 }
`,
    );
    const { joinToken } = await admins.get("a")!.clusters.create.mutate({ name: "east" });
    agent = startAgentProcess(universalAgentArgs({ manager: `http://127.0.0.1:${lbPort}`, joinToken, file: join(dir, "east.yaml"), stateDir: join(dir, "state"), adminPort: ports.agentAdmin }));
    await waitFor(async () => (await agentStatus()).manager.stream?.state === "connected" && (await servedBy("catalog-v1").catch(() => false)), "the agent connected through HAProxy, serving", 90_000, 250).catch(explain);
  }, 240_000);

  afterAll(async () => {
    await agent?.stop();
    haproxy?.kill("SIGTERM");
    for (const m of replicas.values()) await m.stop();
    for (const a of apps) a.server.close();
    await database?.drop();
    for (const m of replicas.values()) await rm(m.home, { recursive: true, force: true });
    if (home) await removeHome(home);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("keeps the agent's config stream across the loss of its replica, on the same version, and changes on either replica reach it", async () => {
    const traffic = steadyTraffic(ports.outbound);
    // The agent's stream is on a (HAProxy's `balance first`); a change made on b reaches it through PostgreSQL.
    let began = Date.now();
    const applied = await admins.get("b")!.resources.applyDocuments.mutate({ text: route("v2") });
    await waitFor(() => servedBy("catalog-v2"), "a change made on replica b to reach the agent on replica a", 30_000, 100).catch(explain);
    // The agent's status follows a moment after the proxy (it is written once the snapshot is applied and acknowledged).
    await waitFor(async () => (await agentStatus()).manager.config?.configVersion === String(applied.configVersion), "the agent's status to name that version", 30_000, 100).catch(explain);
    const crossReplicaMs = Date.now() - began;

    const before = await agentStatus();
    expect(await scrape("b")).toMatch(/^weft_manager_connected_agents 0$/m);
    await sigkill(replicas.get("a")!);
    began = Date.now();
    // The stream's client (tRPC over EventSource) reconnects by itself, sending its last event id.
    await waitFor(async () => /^weft_manager_connected_agents 1$/m.test(await scrape("b")), "the agent's stream to resume on replica b", 60_000, 100).catch(explain);
    const resumedMs = Date.now() - began;
    // Resumed on the same version. Usually b sends no snapshot at all; in some runs here it resent one and the
    // agent pushed once more (not diagnosed yet, docs/reliability.md): reported, not asserted.
    const after = await agentStatus();
    expect(after.manager.config?.configVersion).toBe(before.manager.config?.configVersion);
    const resent = (after.manager.config?.snapshots ?? 0) - (before.manager.config?.snapshots ?? 0);
    const pushes = (after.manager.apply?.pushes ?? 0) - (before.manager.apply?.pushes ?? 0);

    await admins.get("b")!.resources.applyDocuments.mutate({ text: route("v1") });
    await waitFor(() => servedBy("catalog-v1"), "a change on replica b to reach the agent now on b", 30_000, 100).catch(explain);
    const tally = await traffic.stop();
    console.log(`replicas: cross-replica change ${crossReplicaMs} ms; stream resumed ${resumedMs} ms after SIGKILL, ${resent} snapshot(s) resent, ${pushes} push(es); traffic ${tally.sent} sent, ${tally.failed} failed`);
    expect(tally.failures).toEqual([]);
    expect(tally.sent).toBeGreaterThan(50);
  });

  it("finishes a root rotation on the surviving replica after the one leading its controller is SIGKILLed, applying no step twice", async () => {
    // Two replicas again: a comes back on its port.
    const a = await startReplica("a", replicas.get("a")!.port);
    admins.set("a", await adminClient(a.url, home));
    const traffic = steadyTraffic(ports.outbound);
    const started = await admins.get("a")!.identity.rotation.start.mutate({});
    tokens.delete("a");
    const leaderOf = async (name: "a" | "b") => /^weft_manager_controller_leader\{controller="root rotation controller"\} 1$/m.test(await scrape(name));
    // Whichever replica led the latest rotation tick is the one to kill (leadership is per tick, under an advisory lock).
    const leader = await waitFor(async () => ((await leaderOf("a")) ? "a" : (await leaderOf("b")) ? "b" : false), "a replica to lead the rotation controller", 30_000, 200);
    const survivor = leader === "a" ? "b" : "a";
    const stepBefore = (await admins.get(survivor)!.identity.rotation.get.query({ id: started.id }))!.history.length;
    await sigkill(replicas.get(leader)!);
    const killedAt = Date.now();
    // The bound the README states: the survivor leads within a few ticks of the killed replica's database session ending.
    await waitFor(() => leaderOf(survivor), `replica ${survivor} to lead the rotation controller`, 30_000, 100).catch(explain);
    const takeoverMs = Date.now() - killedAt;
    const done = await waitFor(
      async () => {
        const r = (await admins.get(survivor)!.identity.rotation.get.query({ id: started.id }))!;
        return r.completedAt ? r : false;
      },
      `the rotation to complete on replica ${survivor}`,
      120_000,
      250,
    ).catch(explain);
    const completedMs = Date.now() - killedAt;
    const tally = await traffic.stop();

    // Each step once in the stored history, in order; each advance audited at most once.
    const steps = done.history.filter((h) => h.action === "advance" || h.action === "start").map((h) => h.step);
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps.at(-1)).toBe("COMPLETED");
    const audit = await admins.get(survivor)!.audit.list.query({ action: "identity.rotation.advance", target: started.id, limit: 50 });
    const moves = audit.events.map((e) => JSON.stringify(e.details));
    expect(moves.length).toBeGreaterThan(0);
    expect(new Set(moves).size).toBe(moves.length);
    console.log(
      `replicas: rotation leader ${leader} SIGKILLed after ${stepBefore} recorded steps; ${survivor} led ${takeoverMs} ms later and completed it ${completedMs} ms after the kill; traffic ${tally.sent} sent, ${tally.failed} failed`,
    );
    expect(tally.failures).toEqual([]);
  });
});
