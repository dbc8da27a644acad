// The rollout controller advances each run on its own: a run whose step
// fails (here its metrics query) rolls back only its own writes, is told on
// its page once, and retried; the other runs walk on in the same step. And
// a rollout's notification links to the page the dashboard has for it.
import { randomBytes } from "node:crypto";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MetricSource } from "../src/features/metrics/metric-source.ts";
import { RolloutController } from "../src/features/rollouts/rollout.controller.ts";
import { RolloutRunWriter } from "../src/features/rollouts/rollout-run-writer.ts";
import { createLogger } from "../src/logger.ts";
import type { ServiceSettings } from "../src/services.ts";
import { joinedAgent, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "../src/testing.ts";
import { UnitOfWork, type TransactionRepositories } from "../src/unit-of-work.ts";
import { startReceiver } from "./mesh-processes.ts";
import { routeYaml, seedDiscovery } from "./support.ts";

const MINUTE = 60_000;

const rolloutYaml = (service: string) => `apiVersion: weft.io/v1alpha1
kind: Rollout
metadata: { name: ${service}, namespace: shop }
spec:
  service: { name: ${service} }
  stable: { version: v1 }
  canary: { version: v2 }
  strategy:
    canary:
      steps: [{ setWeight: 20 }, { setWeight: 50 }, { setWeight: 100 }]
  analysis: { interval: 1m, threshold: 2, minRequests: 20 }
`;

describe("rollout controller, one run at a time", { timeout: 120_000 }, () => {
  let now = Math.floor(Date.now() / MINUTE) * MINUTE + 5_000;
  const settings: ServiceSettings = { ...TEST_SERVICE_SETTINGS, identity: { caKey: randomBytes(32) }, clock: () => new Date(now), dashboardUrl: "http://dashboard.test/", notifications: { retry: { baseBackoffMs: 100, maxBackoffMs: 1000 }, tickMs: 60_000, batch: 16 } };
  let m: TestManager;
  let admin: ApiClient;
  let agent: ApiClient;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    m = await startTestManager({ settings });
    await seedDiscovery(m.db);
    // cart gets a v2 to roll out too.
    const cart = await m.db.prisma.service.findFirstOrThrow({ where: { namespace: "shop", name: "cart" } });
    const workload = await m.db.prisma.workload.create({ data: { clusterId: cart.clusterId, namespace: "shop", name: "cart-v2-0", serviceAccount: "cart", version: "v2" } });
    await m.db.prisma.endpoint.create({ data: { serviceId: cart.id, workloadId: workload.id, address: "10.0.0.99", port: 8080 } });
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    agent = (await joinedAgent(admin, m.url, "west")).client;
    await admin.channels.create.mutate({ type: "WEBHOOK", name: "hooks", config: { url: `${receiver.url}/hook` }, timeoutMs: 2000 });
    await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 100, v2: 0 }) });
    await admin.resources.applyDocuments.mutate({ text: routeYaml({ name: "cart", service: "cart", v1: 100, v2: 0 }) });
  });
  afterAll(async () => {
    await m?.stop();
    await receiver?.close();
  });

  it("advances every other run while one run's step fails, records that failure once, and links the notification to the rollout's page", async () => {
    // The manager's own metric source, except that every query about cart fails.
    const metricSourceIn = (tx: TransactionRepositories): MetricSource => {
      const real = m.services.metricSourceIn(tx);
      const refuse = (service: string) => (service === "cart" ? Promise.reject(new Error("the metrics backend refused the query")) : null);
      return { kind: real.kind, window: (q) => refuse(q.selector.service) ?? real.window(q), series: (q) => refuse(q.selector.service) ?? real.series(q) };
    };
    const s = m.services;
    const controller = new RolloutController({ uow: new UnitOfWork(m.db.prisma), writer: new RolloutRunWriter(s.resources, s.notifications, s.dashboardUrl), metricSourceIn, errorBudget: s.errorBudgetGate, audit: s.audit, log: createLogger("silent"), now: () => new Date(now), tickMs: 60_000, queued: () => {}, fetch });
    const checkout = (await admin.rollouts.start.mutate({ text: rolloutYaml("checkout") })).run!.id;
    const cart = (await admin.rollouts.start.mutate({ text: rolloutYaml("cart") })).run!.id;
    await controller.tick();
    // checkout's canary fails 10 % of its requests: two failed intervals roll it back, though cart's step fails every time.
    for (let i = 0; i < 2; i++) {
      const edge = (version: string, codeClass: "2xx" | "5xx", requests: number) => {
        const sketch = new LatencySketch();
        for (let j = 0; j < requests; j++) sketch.add(10);
        return { minute: Math.floor(now / MINUTE) * MINUTE, source: { cluster: "west", namespace: "shop", service: "frontend", version: "v1" }, destination: { cluster: "east", namespace: "shop", service: "checkout", version }, codeClass, requests, errors: codeClass === "5xx" ? requests : 0, latency: sketch.toJSON() };
      };
      await agent.agent.reportTelemetry.mutate({ edges: [edge("v1", "2xx", 400), edge("v2", "2xx", 90), edge("v2", "5xx", 10)] });
      now += MINUTE;
      expect((await controller.tick()).leader).toBe(true);
    }
    expect((await admin.rollouts.get.query({ id: checkout })).run.phase).toBe("RolledBack");
    const stuck = await admin.rollouts.get.query({ id: cart });
    expect(stuck.run).toMatchObject({ phase: "Progressing", step: 0, failedChecks: 0 });
    const errors = stuck.events.filter((e) => e.type === "controller-error");
    expect(errors.map((e) => e.message)).toEqual(["the controller could not advance the run: the metrics backend refused the query (retried every tick)"]);
    // The rolled-back notification links to the rollout's page as the dashboard serves it.
    await s.controllers.notifications.tick();
    const rolledBack = receiver.requests.map((r) => JSON.parse(r.body) as { type: string; data: { links: { label: string; url: string }[] } }).find((e) => e.type === "rollout.rolled-back");
    expect(rolledBack?.data.links[0]?.url).toBe("http://dashboard.test/rollouts/detail?namespace=shop&name=checkout");
  });
});
