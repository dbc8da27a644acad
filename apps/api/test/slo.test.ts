// SLOs through the manager: bad SLOs refused at their path with nothing
// stored; the evaluator on an injected clock (burn rates, alert states and
// history, one ticket per ticket-severity pair with its context, grouped
// notifications, recovery); viewers read SLOs and tickets but cannot touch
// channels; every change audited; the error-budget gate.
import { randomBytes } from "node:crypto";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "../src/testing.ts";
import { DEFAULT_DOWNSAMPLING_SETTINGS } from "../src/features/metrics/rollup-downsampler.ts";
import { TicketContextBuilder } from "../src/features/tickets/ticket-context.ts";
import { createLogger } from "../src/logger.ts";
import { createServices, type ServiceSettings } from "../src/services.ts";
import { UnitOfWork } from "../src/unit-of-work.ts";
import { startReceiver, type Received } from "./mesh-processes.ts";
import { refusal, seedDiscovery, userWithToken } from "./support.ts";
import { tokenClient } from "../src/testing.ts";

const MINUTE = 60_000;
const sloYaml = (spec: string, name = "checkout-availability") => `apiVersion: weft.io/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: ${name}
  namespace: shop
spec:
${spec}`;

describe("SLOs in the manager", () => {
  const settings: ServiceSettings = {
    ...TEST_SERVICE_SETTINGS,
    identity: { caKey: randomBytes(32) },
    downsampling: { ...DEFAULT_DOWNSAMPLING_SETTINGS, hourlyRetentionMs: 29 * 86_400_000 },
    clock: () => new Date(now),
    dashboardUrl: "http://dashboard.test",
    notifications: { retry: { baseBackoffMs: 100, maxBackoffMs: 1000 }, tickMs: 60_000, batch: 16 },
  };
  let m: TestManager;
  let admin: ApiClient;
  let agent: ApiClient;
  let now = Math.floor(Date.now() / MINUTE) * MINUTE;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let receiverUrl = "";
  let received: Received[] = [];

  /** `requests` requests of which `failed` answered 503, to checkout, in the minute of the test clock. */
  const traffic = async (requests: number, failed: number) => {
    const edge = (codeClass: "2xx" | "5xx", n: number) => {
      const sketch = new LatencySketch();
      for (let i = 0; i < n; i++) sketch.add(5 + (i % 20));
      return { minute: Math.floor(now / MINUTE) * MINUTE, source: { cluster: "west", namespace: "shop", service: "frontend", version: "v1" }, destination: { cluster: "east", namespace: "shop", service: "checkout", version: "v1" }, codeClass, requests: n, errors: codeClass === "5xx" ? n : 0, latency: sketch.toJSON() };
    };
    await agent.agent.reportTelemetry.mutate({ edges: [edge("2xx", requests - failed), ...(failed ? [edge("5xx", failed)] : [])] });
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    received = receiver.requests;
    receiverUrl = `${receiver.url}/hook`;
    m = await startTestManager({ settings });
    await seedDiscovery(m.db);
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    agent = (await joinedAgent(admin, m.url, "west")).client;
  });
  afterAll(async () => {
    await m?.stop();
    await receiver?.close();
  });

  it("refuses bad SLOs with the field's path and stores nothing", async () => {
    const before = (await admin.resources.list.query({ kind: "ServiceLevelObjective" })).length;
    const cases: [string, string][] = [
      ["  service: { name: payments }\n  indicator: { type: availability }\n  objective: 99.9\n", "spec.service.name"],
      ["  service: { name: checkout }\n  indicator: { type: availability }\n  objective: 100\n", "spec.objective"],
      ["  service: { name: checkout }\n  indicator: { type: availability }\n  objective: 0\n", "spec.objective"],
      ["  service: { name: checkout }\n  indicator: { type: availability }\n  objective: 90\n", "spec.alerting.preset"],
      // This manager keeps 29 days of hourly rollups.
      ["  service: { name: checkout }\n  indicator: { type: availability }\n  objective: 99.9\n  window: 30d\n", "spec.window"],
    ];
    for (const [spec, path] of cases) {
      const data = await refusal(admin.resources.applyDocuments.mutate({ text: sloYaml(spec) }));
      expect(data.fieldErrors?.map((f) => f.path)).toContain(path);
    }
    expect((await admin.resources.list.query({ kind: "ServiceLevelObjective" })).length).toBe(before);
  });

  it("judges an SLO on an injected clock: a page, one ticket with its context, grouped notifications, recovery", async () => {
    const { channel, signingSecret } = await admin.channels.create.mutate({ type: "WEBHOOK", name: "hooks", config: { url: receiverUrl }, timeoutMs: 2000 });
    expect(channel.hasSecret).toBe(true);
    expect(signingSecret).toMatch(/^whsec_/);
    // An hour of healthy traffic, then the SLO.
    for (let i = 0; i < 60; i++) {
      await traffic(100, 0);
      now += MINUTE;
    }
    const applied = await admin.resources.applyDocuments.mutate({ text: sloYaml("  service: { name: checkout }\n  indicator: { type: availability }\n  objective: 99.9\n  window: 28d\n  links: { runbook: 'https://runbooks.example/checkout' }\n"), message: "checkout promises 99.9 %" });
    expect(applied.status).toBe("applied");
    expect((await m.services.controllers.slo.tick()).leader).toBe(true);
    let [slo] = await admin.slos.list.query({});
    expect(slo?.statuses[0]).toMatchObject({ scope: "", sli: 1, budgetRemaining: 1 });
    expect(slo?.alerts.map((a) => [a.pair, a.state])).toEqual([["1h/5m", "INACTIVE"], ["6h/30m", "INACTIVE"], ["3d/6h", "INACTIVE"]]);

    // A change to checkout's routing, then 20 % errors.
    await admin.resources.applyDocuments.mutate({ text: "apiVersion: weft.io/v1alpha1\nkind: TrafficPolicy\nmetadata: { name: checkout, namespace: shop }\nspec:\n  targetRef: { name: checkout }\n  loadBalancer: { algorithm: RANDOM }\n", message: "try random load balancing" });
    const injectedAt = now;
    let fired: number | null = null;
    for (let i = 0; i < 10 && fired === null; i++) {
      await traffic(100, 20);
      now += MINUTE;
      const tick = await m.services.controllers.slo.tick();
      if (tick.leader && tick.result.transitions.some((t) => t.pair === "1h/5m" && t.to === "firing")) fired = now;
    }
    // 20 % errors burn 200× a 99.9 % budget: the 1h window crosses 14.4× after 0.001/0.2 × 60 min × 14.4 = 4.3 min; minute data gives 5.
    expect(fired).not.toBeNull();
    expect((fired! - injectedAt) / MINUTE).toBeLessThanOrEqual(6);
    [slo] = await admin.slos.list.query({});
    const states = Object.fromEntries(slo!.alerts.map((a) => [a.pair, a.state]));
    expect(states).toMatchObject({ "1h/5m": "FIRING", "6h/30m": "FIRING", "3d/6h": "FIRING" });

    // A restarted manager (new services on the same database) resumes from the stored states: nothing fires twice.
    const restarted = createServices(m.db, createLogger("silent"), settings);
    const resumed = await restarted.controllers.slo.tick();
    expect(resumed.leader && resumed.result.transitions).toEqual([]);
    await restarted.close();

    // One ticket (the ticket-severity pair), with the change that preceded it.
    const tickets = await admin.tickets.list.query({});
    expect(tickets).toHaveLength(1);
    const ticket = await admin.tickets.get.query({ id: tickets[0]!.id });
    const context = ticket.context as unknown as { changes: { kind: string; name: string; author: string; message: string; link: string }[]; slo: { alert: { pair: string } }; neighbourhood: { callers: { service: string; errorPercent: number }[] }; links: { label: string }[] };
    expect(context.slo.alert.pair).toBe("3d/6h");
    expect(context.changes[0]).toMatchObject({ kind: "TrafficPolicy", name: "checkout", author: "admin", message: "try random load balancing" });
    expect(context.changes[0]?.link).toMatch(/^http:\/\/dashboard\.test\/policies\/edit\?kind=TrafficPolicy&namespace=shop&name=checkout&revision=1$/);
    expect(context.neighbourhood.callers[0]?.service).toBe("frontend");
    expect(context.links.map((l) => l.label)).toEqual(["SLO in Weft", "Runbook"]);
    expect((ticket.context as unknown as { rollouts: unknown }).rollouts).toEqual({ available: true, note: "no rollout was running on the service", items: [] });

    // Notifications: one page and one ticket delivery (the two page pairs are one incident), signed.
    await m.services.controllers.notifications.tick();
    const events = received.map((r) => JSON.parse(r.body) as { type: string; data: { severity: string; action: string } });
    expect(events.map((e) => [e.type, e.data.severity])).toEqual(expect.arrayContaining([["slo.alert.firing", "page"], ["slo.alert.firing", "ticket"]]));
    expect(events.filter((e) => e.data.severity === "page")).toHaveLength(1);
    // Signed per Standard Webhooks: the receiver's library verifies every one.
    for (const r of received) expect(() => new Webhook(signingSecret!).verify(r.body, r.headers)).not.toThrow();

    // Recovery: healthy traffic until every window is clear (6 h short window of the ticket pair), on the injected clock.
    for (let i = 0; i < 8 * 6; i++) {
      await traffic(100, 0);
      now += 10 * MINUTE;
      await m.services.controllers.slo.tick();
    }
    [slo] = await admin.slos.list.query({});
    expect(slo!.alerts.every((a) => a.state === "RESOLVED")).toBe(true);
    expect((await admin.tickets.get.query({ id: ticket.id })).status).toBe("RESOLVED");
    await m.services.controllers.notifications.tick();
    const resolved = received.map((r) => JSON.parse(r.body) as { type: string; data: { severity: string } }).filter((e) => e.type === "slo.alert.resolved");
    expect(resolved.map((e) => e.data.severity).sort()).toEqual(["page", "ticket"]);
    const detail = await admin.slos.get.query({ namespace: "shop", name: "checkout-availability" });
    expect(detail.events.filter((e) => e.to === "FIRING").map((e) => e.pair).sort()).toEqual(["1h/5m", "3d/6h", "6h/30m"]);
  });

  it("gates promotion on the error budget with the evaluator's numbers", async () => {
    const pass = await admin.slos.errorBudget.query({ namespace: "shop", service: "checkout" });
    expect(pass.verdict).toBe("pass");
    for (let i = 0; i < 5; i++) {
      await traffic(100, 50);
      now += MINUTE;
    }
    const fail = await m.services.errorBudgetGate.check({ namespace: "shop", service: "checkout" }, new Date(now));
    expect(fail.verdict).toBe("fail");
    expect(fail.slos[0]?.reason).toMatch(/^burning [\d.]+× over 1h and [\d.]+× over 5m \(page threshold 14.4×\)/);
    expect(await m.services.errorBudgetGate.check({ namespace: "shop", service: "cart" }, new Date(now))).toEqual({ verdict: "no-slo", slos: [] });
  });

  it("lets viewers read SLOs and tickets but not channels; audits every change", async () => {
    const viewer = await userWithToken(admin, m.url, sessionClient, "vera", "VIEWER");
    const client = tokenClient(m.url, viewer.token);
    expect((await client.slos.list.query({})).length).toBe(1);
    expect((await client.tickets.list.query({})).length).toBe(1);
    expect((await refusal(client.channels.list.query())).code).toBe("FORBIDDEN");
    expect((await refusal(client.channels.create.mutate({ type: "SLACK", name: "chat", config: {}, secrets: { webhookUrl: "https://hooks.slack.test/x" } }))).code).toBe("FORBIDDEN");
    const [ticket] = await client.tickets.list.query({});
    expect((await refusal(client.tickets.acknowledge.mutate({ id: ticket!.id }))).code).toBe("FORBIDDEN");
    // Channels never show their secrets.
    const channels = await admin.channels.list.query();
    expect(JSON.stringify(channels)).not.toMatch(/whsec_/);
    const audit = await admin.audit.list.query({});
    const actions = audit.events.map((e) => `${e.action} ${e.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(["channels.create SUCCESS", "resources.applyDocuments SUCCESS", "channels.create DENIED", "tickets.acknowledge DENIED"]));
  });

  it("names the rollout running on the service in a ticket's context", async () => {
    const mesh = await m.db.prisma.mesh.findFirstOrThrow();
    await m.db.prisma.rolloutRun.create({
      data: { meshId: mesh.id, namespace: "shop", name: "checkout-v2", rolloutRevision: 3, document: {}, service: "checkout", stableVersion: "v1", canaryVersion: "v2", routeName: "checkout", activeService: "shop/checkout", phase: "PROGRESSING", state: {}, step: 1, affinityToken: "t", startedBy: "admin" },
    });
    const context = await new UnitOfWork(m.db.prisma).run((tx) => new TicketContextBuilder("http://dashboard.test").build(tx, { at: new Date(now), service: { namespace: "shop", name: "checkout" }, slo: null, lookbackMs: 3_600_000, links: [] }));
    expect(context.rollouts).toEqual({ available: true, note: "a rollout was running on the service", items: [{ namespace: "shop", name: "checkout-v2", revision: 3, step: "wave 1, step 2 (v1 → v2)", phase: "PROGRESSING" }] });
  });

  it("resolves a firing SLO's incidents on the channels when the SLO is deleted", async () => {
    const name = "checkout-retired";
    await admin.resources.applyDocuments.mutate({ text: sloYaml("  service: { name: checkout }\n  indicator: { type: availability }\n  objective: 99.9\n  window: 28d\n", name) });
    let firing = false;
    for (let i = 0; i < 10 && !firing; i++) {
      await traffic(100, 50);
      now += MINUTE;
      const tick = await m.services.controllers.slo.tick();
      firing = tick.leader && tick.result.transitions.some((t) => t.slo === `shop/${name}` && t.pair === "1h/5m" && t.to === "firing");
    }
    expect(firing).toBe(true);
    await m.services.controllers.notifications.tick();
    const ofThis = (action: string) =>
      received
        .map((r) => JSON.parse(r.body) as { data: { dedupKey: string; severity: string; action: string } })
        .filter((e) => e.data.dedupKey.startsWith(`slo:shop/${name}:`) && e.data.action === action)
        .map((e) => `${e.data.dedupKey} ${e.data.severity}`)
        .sort();
    const triggered = ofThis("trigger");
    expect(triggered).toContain(`slo:shop/${name}:mesh:page page`);
    await admin.resources.delete.mutate({ kind: "ServiceLevelObjective", namespace: "shop", name });
    await m.services.controllers.slo.tick();
    await m.services.controllers.notifications.tick();
    // Every incident the channels opened for it is closed, once each.
    expect(ofThis("resolve")).toEqual(triggered);
  });
});
