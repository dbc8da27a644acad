// End to end with real proxies on an injected clock: a weft-proxy process
// beside `frontend` calls `catalog` (a real app behind it); the proxy's
// telemetry is shipped as its agent would, stamped with the test's clock,
// so six hours of history take seconds. After a config change, catalog
// starts failing 20 % of its requests: exactly one ticket opens (naming
// that change) and exactly one page-severity webhook is delivered, within
// the workbook's detection time; recovery resolves both.
import { randomBytes } from "node:crypto";
import { alertWindowsOf, detectionTimeMs, ServiceLevelObjectiveSchema } from "@weft/mesh-model";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "../src/testing.ts";
import { send, startApp, startProxy, startReceiver, tempDir, TelemetryPump, waitFor, type App, type ProxyProcess, type Received } from "./mesh-processes.ts";

const MINUTE = 60_000;
const SLO = `apiVersion: weft.io/v1alpha1
kind: ServiceLevelObjective
metadata: { name: catalog-availability, namespace: shop }
spec:
  service: { name: catalog }
  indicator: { type: availability }
  objective: 99.9
  window: 7d
`;

describe("SLO end to end with real proxies", { timeout: 300_000 }, () => {
  let m: TestManager;
  let admin: ApiClient;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let catalog: App;
  let frontend: ProxyProcess;
  let pump: TelemetryPump;
  let hook: Awaited<ReturnType<typeof startReceiver>>;
  let now = Math.floor(Date.now() / MINUTE) * MINUTE;
  let served = 0;
  let failing = false;
  const sent = { requests: 0, failed: 0 };
  let received: Received[] = [];

  /** Waits until nothing queued is left to send (the evaluator wakes the sender itself; this waits for it). */
  const delivered = () =>
    waitFor("the queued notifications to be sent", async () => {
      await m.services.controllers.notifications.tick();
      return (await admin.channels.deliveries.query({ status: "PENDING" })).length === 0;
    });

  /** One step of the clock: `n` real requests through the frontend's proxy, shipped stamped with the test's minute. */
  const step = async (n: number, advanceMs: number) => {
    for (let i = 0; i < n; i++) {
      const status = await send(frontend.outboundPort, "catalog");
      sent.requests++;
      if (status !== 200) sent.failed++;
    }
    await pump.flush(now);
    now += advanceMs;
  };

  beforeAll(async () => {
    tmp = await tempDir("weft-slo-e2e-");
    hook = await startReceiver();
    received = hook.requests;
    m = await startTestManager({ settings: { ...TEST_SERVICE_SETTINGS, identity: { caKey: randomBytes(32) }, clock: () => new Date(now), notifications: { retry: { baseBackoffMs: 100, maxBackoffMs: 1000 }, tickMs: 60_000, batch: 16 } } });
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    const east = await joinedAgent(admin, m.url, "east");
    const cluster = await m.db.prisma.cluster.findFirstOrThrow({ where: { name: "east" } });
    for (const name of ["catalog", "frontend"]) await m.db.prisma.service.create({ data: { clusterId: cluster.id, namespace: "shop", name, ports: [{ name: "http", port: 8080, protocol: "HTTP" }] } });
    // While `failing`, every fifth request fails: 20 % errors.
    catalog = await startApp((_req, res) => {
      served++;
      res.writeHead(failing && served % 5 === 0 ? 503 : 200).end("catalog");
    });
    frontend = await startProxy(tmp.dir, { cluster: "east", namespace: "shop", service: "frontend", version: "v1" }, [{ service: "catalog", namespace: "shop", endpoints: [{ port: catalog.port, version: "v1", cluster: "east" }] }]);
    pump = new TelemetryPump([frontend], new Map([["east", east.client]]));
  });
  afterAll(async () => {
    await frontend?.stop();
    await catalog?.close();
    await m?.stop();
    await tmp?.remove();
    await hook?.close();
  });

  it("opens one ticket and one page within the detection time, and recovery resolves both", async () => {
    const { signingSecret } = await admin.channels.create.mutate({ type: "WEBHOOK", name: "oncall", config: { url: `${hook.url}/weft` } });
    expect((await admin.resources.applyDocuments.mutate({ text: SLO })).status).toBe("applied");
    // Six hours of healthy history, 10 requests a minute: every alert window up to 6 h is full.
    for (let i = 0; i < 6 * 60; i++) await step(10, MINUTE);
    await m.services.controllers.slo.tick();
    let [slo] = await admin.slos.list.query({});
    expect(slo?.statuses[0]).toMatchObject({ sli: 1, requests: sent.requests, bad: 0 });

    // The config change, then the errors.
    await admin.resources.applyDocuments.mutate({ text: "apiVersion: weft.io/v1alpha1\nkind: TrafficPolicy\nmetadata: { name: catalog, namespace: shop }\nspec:\n  targetRef: { name: catalog }\n  loadBalancer: { algorithm: LEAST_REQUEST }\n", message: "catalog: least-request balancing" });
    failing = true;
    const start = now;
    const before = { ...sent };
    let paged: number | null = null;
    for (let i = 0; i < 15 && paged === null; i++) {
      await step(10, MINUTE);
      await m.services.controllers.slo.tick();
      await delivered();
      const pages = received.map((r) => JSON.parse(r.body) as { type: string; data: { severity: string } }).filter((e) => e.data.severity === "page" && e.type === "slo.alert.firing");
      if (pages.length > 0) paged = now;
    }
    // Every edge as the proxy counted it: 20 % of the requests since the injection failed.
    expect((sent.failed - before.failed) / (sent.requests - before.requests)).toBeCloseTo(0.2, 10);
    // Detection time on the injected clock: the workbook's formula for the fastest page pair, within one step of the clock.
    const spec = ServiceLevelObjectiveSchema.parse({ apiVersion: "weft.io/v1alpha1", kind: "ServiceLevelObjective", metadata: { name: "x", namespace: "shop" }, spec: { service: { name: "catalog" }, indicator: { type: "availability" }, objective: 99.9 } }).spec;
    const expected = Math.min(...alertWindowsOf(spec).filter((w) => w.severity === "page").map((w) => detectionTimeMs(w, 99.9, 0.2) ?? Infinity));
    expect(expected).toBeCloseTo(4.32 * MINUTE, 0);
    expect(paged).not.toBeNull();
    expect(paged! - start).toBeGreaterThanOrEqual(expected);
    expect(paged! - start).toBeLessThanOrEqual(expected + MINUTE);

    // Exactly one page delivery and exactly one ticket; the ticket names the change made just before.
    const firing = () => received.map((r) => JSON.parse(r.body) as { type: string; data: { severity: string } }).filter((e) => e.type === "slo.alert.firing");
    expect(firing().filter((e) => e.data.severity === "page")).toHaveLength(1);
    for (const r of received) expect(() => new Webhook(signingSecret!).verify(r.body, r.headers)).not.toThrow();
    const tickets = await admin.tickets.list.query({});
    expect(tickets).toHaveLength(1);
    const ticket = await admin.tickets.get.query({ id: tickets[0]!.id });
    const context = ticket.context as unknown as { changes: { kind: string; name: string; message: string; author: string }[]; neighbourhood: { callers: { service: string; errorPercent: number }[] } };
    expect(context.changes[0]).toMatchObject({ kind: "TrafficPolicy", name: "catalog", author: "admin", message: "catalog: least-request balancing" });
    expect(context.neighbourhood.callers.map((c) => c.service)).toEqual(["frontend"]);

    // Recovery: healthy traffic; after six hours the ticket pair's short window is clear too.
    failing = false;
    for (let i = 0; i < 38; i++) {
      await step(10, 10 * MINUTE);
      await m.services.controllers.slo.tick();
    }
    await delivered();
    [slo] = await admin.slos.list.query({});
    // The pairs that fired have resolved; 6h/30m never fired (the page came first and the errors stopped).
    expect(Object.fromEntries(slo!.alerts.map((a) => [a.pair, a.state]))).toEqual({ "1h/5m": "RESOLVED", "6h/30m": "INACTIVE", "3d/6h": "RESOLVED" });
    expect((await admin.tickets.get.query({ id: ticket.id })).status).toBe("RESOLVED");
    const resolved = received.map((r) => JSON.parse(r.body) as { type: string; data: { severity: string } }).filter((e) => e.type === "slo.alert.resolved");
    expect(resolved.filter((e) => e.data.severity === "page")).toHaveLength(1);
    expect(firing().filter((e) => e.data.severity === "page")).toHaveLength(1);
  });
});
