// The agent against a real manager (weft-manager as a process, embedded
// database unless DATABASE_URL is set), with real proxies and upstreams on
// loopback: joining, config stream → compile → push → ack, the cache, the
// manager going away, a proxy refusing a config, and telemetry rollups.
import { spawnSync } from "node:child_process";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManagerClient, type ManagerClient } from "../src/manager-link/manager-client.ts";
import { startAgentProcess, universalAgentArgs, type AgentProcess } from "./agent-process.ts";
import { freePort } from "./free-port.ts";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "./manager-process.ts";
import { send, startApp, type App, type Reply } from "./mesh-harness.ts";
import { waitFor } from "./wait-for.ts";

const get = (port: number, host: string) => send(port, host, { timeoutMs: 5000 });
const app = (name: string) => startApp(() => name);

const ROUTE_TO_V2 = `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata:
  name: catalog
  namespace: shop
spec:
  parentRefs:
    - kind: Service
      name: catalog
  rules:
    - backendRefs:
        - kind: Service
          name: catalog
          version: v2
          weight: 1
`;
const LEAST_REQUEST = `apiVersion: weft.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: catalog
  namespace: shop
spec:
  targetRef:
    name: catalog
  loadBalancer:
    algorithm: LEAST_REQUEST
`;

describe("the agent with a real manager", { timeout: 120_000 }, () => {
  let dir: string;
  let manager: ManagerProcess;
  let admin: AdminClient;
  let east: { id: string; joinToken: string };
  let west: ManagerClient;
  let agent: AgentProcess | undefined;
  let apps: App[] = [];
  let squatter: TcpServer;
  const ports = { inbound: 0, outbound: 0, admin: 0, agentAdmin: 0, ledgerLocal: 0 };
  /** Requests the test sent through the web proxy's outbound listener, and their answers. */
  let sent = 0;
  const agentArgs = () => universalAgentArgs({ manager: manager.url, file: join(dir, "east.yaml"), stateDir: join(dir, "state"), adminPort: ports.agentAdmin }, "--telemetry-interval", "1");
  const callCatalog = async () => {
    sent++;
    return get(ports.outbound, "catalog");
  };
  const agentStatus = async () => (await fetch(`http://127.0.0.1:${ports.agentAdmin}/status`)).json() as Promise<{ manager: { config?: { servingFrom: string }; stream?: { state: string } }; proxies: { state: string; activeVersion: string | null }[] }>;
  const proxyVersion = async () => ((await (await fetch(`http://127.0.0.1:${ports.admin}/config`)).json()) as { version: string }).version;
  const eastView = () => admin.clusters.byId.query({ id: east.id });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-agent-sync-"));
    manager = await startManager();
    admin = await adminClient(manager.url, manager.home);
    const created = await admin.clusters.create.mutate({ name: "east" });
    east = { id: created.cluster.id, joinToken: created.joinToken };
    const westToken = (await admin.clusters.create.mutate({ name: "west" })).joinToken;
    west = createManagerClient(manager.url, (await createManagerClient(manager.url).agent.join.mutate({ joinToken: westToken })).credential);

    apps = [await app("web"), await app("catalog-v1"), await app("catalog-v2")];
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
    // Something else on this machine holds the port the ledger's local listener will want.
    squatter = createTcpServer();
    await new Promise<void>((resolve) => squatter.listen(ports.ledgerLocal, "127.0.0.1", resolve));
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
        proxy:
          inboundPort: ${ports.inbound}
          outboundPort: ${ports.outbound}
          adminPort: ${ports.admin}
          localPorts: [{ service: ledger, port: 5432, localPort: ${ports.ledgerLocal} }]
  - name: catalog
    namespace: shop
    instances:
      - { name: catalog-v1, address: 127.0.0.1, port: ${apps[1]!.port}, version: v1 }
      - { name: catalog-v2, address: 127.0.0.1, port: ${apps[2]!.port}, version: v2 }
`,
    );
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await manager?.stop();
    for (const a of apps) a.server.close();
    squatter?.close();
    if (manager) await removeHome(manager.home);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("joins with the one-time token, keeps the credential (0600) and reports discovery", async () => {
    agent = startAgentProcess([...agentArgs(), "--join-token", east.joinToken]);
    // The wait includes the agent process's own start-up (seconds on a loaded two-core machine).
    const view = await waitFor(async () => {
      const v = await eastView();
      return v.counts.services === 2 && v.status === "CONNECTED" && v;
    }, "east's discovery in the manager", 90_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent!.output()}`);
    });
    expect(view.counts).toMatchObject({ services: 2, workloads: 3, endpoints: 3 });
    const file = join(dir, "state", "credentials.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(file, "utf8")) as { cluster: string; credential: string };
    expect(stored.cluster).toBe("east");
    expect(stored.credential).toMatch(/^weftagent_/);
  });

  it("compiles the manager's config for its proxy, pushes it, acknowledges it and caches it", async () => {
    const applied = await admin.resources.applyDocuments.mutate({ text: ROUTE_TO_V2 });
    const view = await waitFor(async () => {
      const v = await eastView();
      return v.sync.state === "in-sync" && v.sync.appliedConfigVersion === applied.configVersion && v;
    }, "east to apply the route", 20_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent!.output()}`);
    });
    expect(view.proxyCounts).toEqual({ total: 1, applied: 1, rejected: 0 });
    const replies = await Promise.all(Array.from({ length: 20 }, () => callCatalog()));
    expect(replies.map((r) => r.body)).toEqual(Array(20).fill("catalog-v2"));
    const cache = JSON.parse(await readFile(join(dir, "state", "config-cache.json"), "utf8")) as { config: { configVersion: string; cluster: string } };
    expect(cache.config).toMatchObject({ cluster: "east", configVersion: applied.configVersion.toString() });
    // What the compiler said travels with the acknowledgement: the web proxy's local port for a ledger no cluster runs yet.
    const findings = (await admin.diagnostics.list.query({ cluster: "east" })).diagnostics;
    expect(findings).toContainEqual(expect.objectContaining({ severity: "error", code: "unknown_backend", proxies: ["shop/web-1"], proxyCount: 1, configVersion: applied.configVersion, message: expect.stringMatching(/ledger port 5432 is not in the catalog/) as string }));
  });

  it("exposes control-plane metrics on the manager (API token only) and the agent, which promtool accepts", async () => {
    const promtool = (text: string) => spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect((await fetch(`${manager.url}/metrics`)).status).toBe(401);
    const { token } = await admin.tokens.create.mutate({ name: "prometheus", role: "VIEWER" });
    const scraped = await fetch(`${manager.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    const managerText = await scraped.text();
    const agentText = await (await fetch(`http://127.0.0.1:${ports.agentAdmin}/metrics`)).text();
    for (const text of [managerText, agentText]) {
      const check = promtool(text);
      expect(check.error).toBeUndefined();
      expect({ status: check.status, problems: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, problems: "" });
    }
    const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    const { sync } = await eastView();
    // East applied the route above: its write-to-ack was timed, and it holds a stream to this manager.
    expect(value(managerText, "weft_manager_config_write_to_ack_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(value(managerText, "weft_manager_connected_agents")).toBe(1);
    expect(value(managerText, 'weft_manager_mesh_version{kind="config"}')).toBe(Number(sync.appliedConfigVersion));
    expect(value(agentText, "weft_agent_config_version")).toBe(Number(sync.appliedConfigVersion));
    expect(value(agentText, 'weft_agent_config_source{source="manager"}')).toBe(1);
    expect(value(agentText, "weft_agent_proxy_compile_seconds_count")).toBeGreaterThanOrEqual(1);
  });

  it("ships telemetry whose rollups match the requests sent, exactly", async () => {
    for (let i = 0; i < 37; i++) expect((await callCatalog()).status).toBe(200);
    const from = new Date(Date.now() - 10 * 60_000);
    const edges = await waitFor(async () => {
      const { edges } = await admin.telemetry.edges.query({ from, to: new Date(Date.now() + 60_000), cluster: "east" });
      const mine = edges.filter((e) => e.source.service === "web" && e.destination.service === "catalog");
      return mine.reduce((n, e) => n + e.requests, 0) === sent && mine;
    }, `${sent} requests web → catalog in the rollups`, 20_000, 250);
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({
      source: { cluster: "east", namespace: "shop", service: "web", version: "v1" },
      destination: { cluster: "east", namespace: "shop", service: "catalog", version: "v2" },
      requests: sent,
      errors: 0,
      byClass: { "2xx": sent },
    });
    expect(edges[0]!.p50).toBeGreaterThan(0);
  });

  it("keeps traffic flowing with zero failed requests while the manager is stopped", async () => {
    let stop = false;
    const results: Reply[] = [];
    const failures: string[] = [];
    const loop = async () => {
      while (!stop) results.push(await callCatalog().catch((err: Error) => (failures.push(err.message), { status: 0, body: "" })));
    };
    const loops = [loop(), loop(), loop()];
    await new Promise((r) => setTimeout(r, 500));
    await manager.stop();
    await waitFor(async () => (await agentStatus()).manager.stream?.state === "connecting", "the agent to notice", 10_000, 100);
    await new Promise((r) => setTimeout(r, 2500));
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(results.length).toBeGreaterThan(50);
    expect(results.filter((r) => r.status !== 200 || r.body !== "catalog-v2")).toEqual([]);
  });

  it("serves from its cache when restarted while the manager is down", async () => {
    const before = await proxyVersion();
    expect(await agent!.stop()).toBe(0);
    // Restarted with the same (already used) join token still set, as a Deployment's environment keeps it:
    // the agent recognises the token its credential came from and uses the stored credential instead of joining again.
    agent = startAgentProcess([...agentArgs(), "--join-token", east.joinToken]);
    await waitFor(async () => (await get(ports.outbound, "catalog")).body === "catalog-v2", "traffic through the restarted proxy", 60_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent!.output()}`);
    });
    sent++;
    // The proxy starts on a config in which its own instance is not ready yet (it is not running when that is compiled);
    // once it is ready, the cached config compiles to the version it ran before.
    await waitFor(async () => (await proxyVersion()) === before, "the proxy to run the version it ran before the restart", 30_000, 100);
    expect((await agentStatus()).manager.config?.servingFrom).toBe("cache");
    const replies = await Promise.all(Array.from({ length: 20 }, () => callCatalog()));
    expect(replies.every((r) => r.status === 200 && r.body === "catalog-v2")).toBe(true);
  });

  it("reports a config its proxy refuses as rejected, with the reason, while the previous version keeps serving", async () => {
    manager = await startManager({ home: manager.home, port: manager.port });
    admin = await adminClient(manager.url, manager.home);
    await waitFor(async () => (await agentStatus()).manager.stream?.state === "connected", "the agent to reconnect", 30_000, 200);
    const active = await proxyVersion();
    const appliedBefore = (await eastView()).sync.appliedConfigVersion;

    // West starts a TCP ledger; east's web proxy has a local port for it that another process holds.
    await west.agent.resyncDiscovery.mutate({
      seq: 1,
      services: [{ namespace: "shop", name: "ledger", ports: [{ port: 5432, protocol: "tcp" }] }],
      workloads: [{ namespace: "shop", name: "ledger-1", serviceAccount: "ledger" }],
      endpoints: [{ namespace: "shop", service: "ledger", address: "10.9.0.1", port: 5432, protocol: "tcp", ready: true, workload: "ledger-1" }],
    });
    const next = await admin.resources.applyDocuments.mutate({ text: LEAST_REQUEST });
    const view = await waitFor(async () => {
      const v = await eastView();
      return v.sync.state === "rejected" && v.lastRejection?.version === next.configVersion && v;
    }, "east to reject the new version", 20_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent!.output()}`);
    });
    expect(view.sync.appliedConfigVersion).toBe(appliedBefore);
    expect(view.lastRejection?.reason).toContain("proxy shop/web-1 refused: cannot bind listener");
    expect(view.lastRejection?.reason).toContain("EADDRINUSE");
    expect(view.lastRejection?.proxies).toEqual([{ proxy: "shop/web-1", reason: expect.stringContaining("EADDRINUSE") as string }]);
    expect(view.proxyCounts).toEqual({ total: 1, applied: 0, rejected: 1 });
    // The previous version keeps serving.
    expect(await proxyVersion()).toBe(active);
    const replies = await Promise.all(Array.from({ length: 20 }, () => callCatalog()));
    expect(replies.every((r) => r.status === 200 && r.body === "catalog-v2")).toBe(true);
    // The ledger exists now: its finding is gone with this acknowledgement.
    expect((await admin.diagnostics.list.query({ cluster: "east" })).diagnostics.filter((d) => d.code === "unknown_backend")).toEqual([]);
  });
});
