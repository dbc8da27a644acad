// The fault suite (`npm run test:faults`): a manager on a PostgreSQL server of
// the suite's own, an agent with real proxies (web calls catalog through its
// proxy; catalog's two versions have proxies too), and steady traffic counted
// at the caller while the control plane is hurt. Each fault prints one line
// "fault: <name>: sent N, failed M, recovery T ms" (docs/reliability.md keeps
// the measured table) and asserts zero failed requests.
import { randomBytes } from "node:crypto";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgentProcess, type AgentProcess } from "../agent-process.ts";
import { freePort } from "../free-port.ts";
import { adminClient, startManager, type AdminClient, type ManagerProcess } from "../manager-process.ts";
import { send, startApp, type App } from "../mesh-harness.ts";
import { steadyTraffic, type TrafficTally } from "../steady-traffic.ts";
import { waitFor } from "../wait-for.ts";
import { startPrivatePostgres, type PrivatePostgres } from "./private-postgres.ts";

const route = (version: string) => `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata: { name: catalog, namespace: shop }
spec:
  parentRefs: [{ kind: Service, name: catalog }]
  rules:
    - backendRefs: [{ kind: Service, name: catalog, version: ${version}, weight: 1 }]
`;

/** One line per fault, printed and (with WEFT_FAULTS_REPORT set) appended to that file as JSON. */
async function report(name: string, tally: TrafficTally, recoveryMs: number | null, extra: Record<string, unknown> = {}): Promise<void> {
  const line = { fault: name, sent: tally.sent, failed: tally.failed, recoveryMs, ...extra };
  console.log(`fault: ${name}: sent ${tally.sent}, failed ${tally.failed}, recovery ${recoveryMs ?? "-"} ms ${Object.keys(extra).length ? JSON.stringify(extra) : ""}`);
  if (process.env.WEFT_FAULTS_REPORT) await appendFile(process.env.WEFT_FAULTS_REPORT, `${JSON.stringify(line)}\n`);
}

describe("control-plane faults under steady traffic", () => {
  let dir: string;
  let pg: PrivatePostgres;
  let manager: ManagerProcess;
  let admin: AdminClient;
  let agent: AgentProcess | undefined;
  let apps: App[] = [];
  const ports: Record<string, number> = {};
  const caKey = randomBytes(32).toString("base64");
  let agentArgs: string[] = [];

  const body = async () => (await send(ports.webOut!, "catalog", { timeoutMs: 5000 })).body;
  const health = async () => (await fetch(`${manager.url}/healthz`, { signal: AbortSignal.timeout(5000) })).status;
  const agentConnected = async () =>
    (((await (await fetch(`http://127.0.0.1:${ports.agentAdmin}/status`)).json()) as { manager: { stream?: { state: string } } }).manager.stream?.state ?? "") === "connected";
  const explain = (err: Error): never => {
    throw new Error(`${err.message}\n--- agent ---\n${agent?.output().slice(-3000) ?? ""}\n--- manager ---\n${manager?.output().slice(-3000) ?? ""}`);
  };
  const start = (port?: number) => startManager({ databaseUrl: pg.url, ...(port && { port }), ...(manager && { home: manager.home }), env: { WEFT_CA_KEY: caKey } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-faults-"));
    pg = await startPrivatePostgres();
    manager = await start();
    admin = await adminClient(manager.url, manager.home);
    apps = [await startApp(() => "web"), await startApp(() => "catalog-v1"), await startApp(() => "catalog-v2")];
    for (const name of ["webIn", "webOut", "webAdmin", "c1In", "c1Out", "c1Admin", "c2In", "c2Out", "c2Admin", "agentAdmin"]) ports[name] = await freePort();
    const proxy = (p: string) => `{ inboundPort: ${ports[`${p}In`]}, outboundPort: ${ports[`${p}Out`]}, adminPort: ${ports[`${p}Admin`]} }`;
    await writeFile(
      join(dir, "east.yaml"),
      `services:
  - name: web
    namespace: shop
    instances:
      - { name: web-1, address: 127.0.0.1, port: ${apps[0]!.port}, version: v1, serviceAccount: web, proxy: ${proxy("web")} }
  - name: catalog
    namespace: shop
    instances:
      - { name: catalog-v1, address: 127.0.0.1, port: ${apps[1]!.port}, version: v1, serviceAccount: catalog, proxy: ${proxy("c1")} }
      - { name: catalog-v2, address: 127.0.0.1, port: ${apps[2]!.port}, version: v2, serviceAccount: catalog, proxy: ${proxy("c2")} }
`,
    );
    const { joinToken, cluster } = await admin.clusters.create.mutate({ name: "east" });
    agentArgs = ["--manager", manager.url, "--mode", "universal", "--universal-file", join(dir, "east.yaml"), "--state-dir", join(dir, "state"), "--admin-port", String(ports.agentAdmin)];
    agent = startAgentProcess([...agentArgs, "--join-token", joinToken]);
    // Routes may name only services some cluster has discovered.
    await waitFor(async () => (await admin.clusters.byId.query({ id: cluster.id })).counts.services === 2, "east's discovery", 90_000, 250).catch(explain);
    await admin.resources.applyDocuments.mutate({ text: route("v1") });
    // Serving v1 through mTLS between the proxies (the mesh has a CA): the steady state every fault starts from.
    await waitFor(async () => (await body().catch(() => "")) === "catalog-v1" && (await agentConnected()), "web → catalog-v1 through the proxies", 120_000, 250).catch(explain);
  }, 240_000);

  afterAll(async () => {
    await agent?.stop();
    await manager?.stop();
    for (const a of apps) a.server.close();
    await pg?.stop();
    if (manager) await rm(manager.home, { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("a config change every 100 ms for 20 s, alternating two route versions", async () => {
    const traffic = steadyTraffic(ports.webOut!);
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
    expect(tally.failures).toEqual([]);
  });

  it("PostgreSQL restarted under the manager: /healthz reports it, the manager recovers without a restart", async () => {
    const traffic = steadyTraffic(ports.webOut!);
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
    expect(tally.failures).toEqual([]);
  });

  it("the manager down for 20 s, then back", async () => {
    const traffic = steadyTraffic(ports.webOut!);
    const port = manager.port;
    await manager.stop();
    await waitFor(async () => !(await agentConnected()), "the agent to notice", 30_000, 100).catch(explain);
    await new Promise((r) => setTimeout(r, 20_000));
    const restartAt = Date.now();
    manager = await start(port);
    admin = await adminClient(manager.url, manager.home);
    await waitFor(() => agentConnected(), "the agent to reconnect", 60_000, 100).catch(explain);
    const reconnectedMs = Date.now() - restartAt;
    const next = (await body()) === "catalog-v1" ? "v2" : "v1";
    await admin.resources.applyDocuments.mutate({ text: route(next) });
    await waitFor(async () => (await body()) === `catalog-${next}`, "a change after the restart to be served", 30_000, 100).catch(explain);
    const tally = await traffic.stop();
    await report("manager down 20 s", tally, reconnectedMs);
    expect(tally.failures).toEqual([]);
  });
});
