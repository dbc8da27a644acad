// Issue 6 acceptance: the manager's `authorization.whatIf` agrees with what
// the proxies decide. AuthorizationPolicies are applied through the admin
// API; a real agent pushes them to real weft-proxy processes (STRICT mTLS);
// callers with different service accounts (each with its own proxy and SVID)
// send real requests over a matrix of paths and methods, and every answer
// (200 or 403) is compared with the what-if for the same source identity,
// destination, method and path: with no policy, with a DENY policy alone, and
// once an ALLOW policy exists too (default deny, DENY still overriding ALLOW).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IdentityStatus } from "../src/identity/identity-controller.ts";
import { startAgentProcess, type AgentProcess } from "./agent-process.ts";
import { freePort } from "./free-port.ts";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "./manager-process.ts";
import { closeApp, LogCapture, send, startApp, universalFile, type InstanceSpec } from "./mesh-harness.ts";
import { waitFor } from "./wait-for.ts";

/** Callers of `api.shop`: service account (= service name) and namespace. */
const CALLERS = [
  { sa: "web", namespace: "shop" },
  { sa: "admin", namespace: "shop" },
  { sa: "batch", namespace: "shop" },
  { sa: "ops", namespace: "tools" },
] as const;
const PATHS = ["/", "/items", "/items/42", "/admin/danger", "/admin/users", "/jobs/7", "/health"];
const METHODS = ["GET", "POST", "DELETE"] as const;

const DENY = `apiVersion: weft.io/v1alpha1
kind: AuthorizationPolicy
metadata:
  name: api-deny
  namespace: shop
spec:
  targetRef:
    name: api
  action: DENY
  rules:
    - to:
        methods: [DELETE]
        paths: ["/items*"]
    - from:
        identities: ["spiffe://weft.local/ns/shop/sa/admin"]
      to:
        paths: ["/admin/danger"]
    - from:
        namespaces: [tools]
      to:
        methods: [POST]
`;

const ALLOW = `apiVersion: weft.io/v1alpha1
kind: AuthorizationPolicy
metadata:
  name: api-allow
  namespace: shop
spec:
  targetRef:
    name: api
  action: ALLOW
  rules:
    - from:
        identities: ["spiffe://weft.local/ns/shop/sa/web"]
      to:
        methods: [GET]
        paths: ["/items*"]
    - from:
        identities: ["spiffe://weft.local/ns/shop/sa/admin"]
    - from:
        namespaces: [tools]
      to:
        paths: ["/health", "/admin/*"]
    - from:
        identities: ["*/sa/batch"]
      to:
        methods: [POST]
        paths: ["/jobs/*"]
`;

interface Outcome {
  caller: string;
  method: string;
  path: string;
  status: number;
  whatIf: "ALLOW" | "DENY";
  reason: string;
}

describe("authorization: the what-if agrees with the proxies' decisions", { timeout: 120_000 }, () => {
  let manager: ManagerProcess;
  let admin: AdminClient;
  let agent: AgentProcess | undefined;
  let dir: string;
  let clusterId: string;
  let trustDomain: string;
  const caKey = randomBytes(32).toString("base64");
  const logs = new LogCapture();
  const apps: Awaited<ReturnType<typeof startApp>>[] = [];
  const instances: InstanceSpec[] = [];
  let agentAdminPort = 0;

  const explain = (err: Error) => {
    throw new Error(`${err.message}\n--- manager ---\n${manager.output().slice(-4000)}\n--- agent ---\n${agent?.output().slice(-6000) ?? ""}`);
  };
  const caller = (sa: string) => instances.find((i) => i.serviceAccount === sa)!;
  const call = (sa: string, method: string, path: string) => send(caller(sa).proxy.outboundPort, "api.shop", { method, path });

  /** Every cell of the matrix: a real request through the caller's proxy, and the what-if for the same request. */
  const runMatrix = async (): Promise<Outcome[]> => {
    const outcomes: Outcome[] = [];
    for (const c of CALLERS) {
      for (const path of PATHS) {
        for (const method of METHODS) {
          const reply = await call(c.sa, method, path);
          const answer = await admin.authorization.whatIf.query({
            source: { identity: `spiffe://${trustDomain}/ns/${c.namespace}/sa/${c.sa}`, cluster: "east" },
            destination: { service: "api", namespace: "shop" },
            method,
            path,
          });
          outcomes.push({ caller: `${c.namespace}/${c.sa}`, method, path, status: reply.status, whatIf: answer.decision, reason: answer.reason });
        }
      }
    }
    return outcomes;
  };
  const disagreements = (outcomes: Outcome[]) => outcomes.filter((o) => !((o.whatIf === "ALLOW" && o.status === 200) || (o.whatIf === "DENY" && o.status === 403)));
  const statusOf = (outcomes: Outcome[], caller: string, method: string, path: string) => outcomes.find((o) => o.caller === caller && o.method === method && o.path === path)?.status;

  /** Applies documents and waits until the cluster's proxies run the new config version. */
  const apply = async (text: string, proof: { sa: string; method: string; path: string; status: number }) => {
    const applied = await admin.resources.applyDocuments.mutate({ text });
    await waitFor(
      async () => {
        const v = await admin.clusters.byId.query({ id: clusterId });
        return v.sync.state === "in-sync" && v.sync.appliedConfigVersion === applied.configVersion && v.proxyCounts.applied === v.proxyCounts.total;
      },
      `config version ${applied.configVersion} on every proxy`,
      30_000,
      200,
    ).catch(explain);
    // The acknowledgement comes from the agent; the proxy's own answer shows it enforces the new policy.
    await waitFor(async () => (await call(proof.sa, proof.method, proof.path)).status === proof.status, "the proxies to enforce the new policy", 20_000, 200).catch(explain);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-authz-agreement-"));
    manager = await startManager({ env: { WEFT_CA_KEY: caKey, WEFT_LOG_LEVEL: "debug" }, onOutput: logs.add("manager") });
    admin = await adminClient(manager.url, manager.home);
    trustDomain = (await admin.mesh.status.query()).trustDomain;
    for (const spec of [{ sa: "api", namespace: "shop" }, ...CALLERS]) {
      const app = await startApp((req) => `${spec.sa} ${req.method} ${req.url}`);
      apps.push(app);
      instances.push({
        service: spec.sa,
        namespace: spec.namespace,
        name: `${spec.sa}-1`,
        serviceAccount: spec.sa,
        appPort: app.port,
        proxy: { inboundPort: await freePort(), outboundPort: await freePort(), adminPort: await freePort() },
      });
    }
    await writeFile(join(dir, "east.yaml"), universalFile(instances));
    agentAdminPort = await freePort();
    const created = await admin.clusters.create.mutate({ name: "east" });
    clusterId = created.cluster.id;
    agent = startAgentProcess([
      "--manager",
      manager.url,
      "--universal-file",
      join(dir, "east.yaml"),
      "--state-dir",
      join(dir, "state"),
      "--admin-port",
      String(agentAdminPort),
      "--join-token",
      created.joinToken,
      "--log-level",
      "debug",
    ]);
    logs.attach("agent east", agent.process.stderr);
    await waitFor(
      async () => {
        const s = ((await (await fetch(`http://127.0.0.1:${agentAdminPort}/status`)).json()) as { identity?: IdentityStatus }).identity;
        return s?.state === "ready" && s.svids.length === instances.length;
      },
      "an SVID for every workload",
      90_000,
      200,
    ).catch(explain);
    for (const c of CALLERS) {
      await waitFor(async () => (await call(c.sa, "GET", "/").catch(() => undefined))?.body === "api GET /", `${c.sa} → api over mTLS`, 30_000, 200).catch(explain);
    }
  }, 180_000);

  afterAll(async () => {
    await agent?.stop();
    await manager?.stop();
    await Promise.all(apps.map(closeApp));
    if (manager) await removeHome(manager.home);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("lets everything through while no policy targets the service, and the what-if says so", async () => {
    const outcomes = await runMatrix();
    expect(disagreements(outcomes)).toEqual([]);
    expect(outcomes.every((o) => o.status === 200)).toBe(true);
    // The proxies saw the callers' identities as mTLS proved them (the app answered through the api's proxy).
    expect((await call("ops", "GET", "/health")).body).toBe("api GET /health");
  });

  it("with a DENY policy alone: matching requests get 403, everything else still passes", async () => {
    await apply(DENY, { sa: "web", method: "DELETE", path: "/items/42", status: 403 });
    const outcomes = await runMatrix();
    expect(disagreements(outcomes)).toEqual([]);
    expect(statusOf(outcomes, "shop/admin", "GET", "/admin/danger")).toBe(403);
    expect(statusOf(outcomes, "shop/web", "GET", "/admin/danger")).toBe(200);
    expect(statusOf(outcomes, "tools/ops", "POST", "/health")).toBe(403);
    expect(statusOf(outcomes, "tools/ops", "DELETE", "/health")).toBe(200);
    expect(statusOf(outcomes, "shop/batch", "DELETE", "/")).toBe(200);
    expect(outcomes.filter((o) => o.status === 403).length).toBeGreaterThan(10);
  });

  it("once an ALLOW policy exists, only what it allows passes, and DENY still overrides it", async () => {
    await apply(ALLOW, { sa: "web", method: "POST", path: "/items", status: 403 });
    const outcomes = await runMatrix();
    expect(disagreements(outcomes)).toEqual([]);
    // Allowed by a rule.
    expect(statusOf(outcomes, "shop/web", "GET", "/items/42")).toBe(200);
    expect(statusOf(outcomes, "shop/batch", "POST", "/jobs/7")).toBe(200);
    expect(statusOf(outcomes, "tools/ops", "GET", "/admin/users")).toBe(200);
    expect(statusOf(outcomes, "shop/admin", "POST", "/")).toBe(200);
    // Default deny: no ALLOW rule matches.
    expect(statusOf(outcomes, "shop/web", "GET", "/")).toBe(403);
    expect(statusOf(outcomes, "shop/batch", "GET", "/jobs/7")).toBe(403);
    expect(statusOf(outcomes, "tools/ops", "GET", "/items")).toBe(403);
    // DENY overrides ALLOW: admin is allowed everything, yet not these.
    expect(statusOf(outcomes, "shop/admin", "GET", "/admin/danger")).toBe(403);
    expect(statusOf(outcomes, "shop/admin", "DELETE", "/items/42")).toBe(403);
    expect(statusOf(outcomes, "tools/ops", "POST", "/admin/users")).toBe(403);
    const denied = outcomes.filter((o) => o.status === 403).length;
    expect(denied).toBeGreaterThan(20);
    expect(outcomes.length - denied).toBeGreaterThan(20);
    expect(outcomes.find((o) => o.caller === "shop/admin" && o.path === "/admin/danger")?.reason).toMatch(/api-deny/);
  });

  it("never wrote key material to any log line", async () => {
    await logs.collectKeys(join(dir, "state", "identity"));
    expect(logs.keysSeen).toBe(instances.length + 1);
    expect(logs.of("agent east")).toContain('"proxy log"');
    expect(logs.leaks([caKey])).toEqual([]);
  });
});
