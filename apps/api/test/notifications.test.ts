// Notification channels against local receivers: a Standard Webhooks
// receiver that fails twice then succeeds (retried with backoff, processed
// once by its idempotency key, every signature verified with the
// `standardwebhooks` library, two secrets during a rotation), a receiver
// that hangs (the attempt times out, the delivery goes to the dead letter),
// a manager restarted mid-retry (the new one delivers); and PagerDuty
// Events v2, Slack, GitHub Issues and Jira payloads checked against the
// shapes of their public API documentation.
import { randomBytes } from "node:crypto";
import type { Server, ServerResponse } from "node:http";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { DEFAULT_DELIVERY_SETTINGS, DeliveryController } from "../src/features/notifications/delivery.controller.ts";
import type { NotificationEvent } from "../src/features/notifications/notifier.ts";
import { NotificationsRepository } from "../src/features/notifications/notifications.repository.ts";
import { createLogger } from "../src/logger.ts";
import { createServices, type Services } from "../src/services.ts";
import { sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "../src/testing.ts";
import { UnitOfWork } from "../src/unit-of-work.ts";
import { startReceiver as receiver, waitFor } from "./mesh-processes.ts";
import { refusal } from "./support.ts";

const json = (res: ServerResponse, status: number, body?: unknown) => {
  res.writeHead(status, { "content-type": "application/json" }).end(body === undefined ? undefined : JSON.stringify(body));
};

let serial = 0;
function event(namespace: string, action: NotificationEvent["action"] = "trigger", dedupKey = `incident-${namespace}`): NotificationEvent {
  serial++;
  return {
    id: `evt-${namespace}-${serial}`,
    type: action === "resolve" ? "slo.alert.resolved" : "slo.alert.firing",
    severity: "page",
    namespace,
    title: `${namespace}/checkout is burning its error budget`,
    summary: "Burn rate 16× over 1h and 20× over 5m (threshold 14.4×).",
    dedupKey,
    action,
    links: [{ label: "SLO in Weft", url: "http://dashboard.test/slos/detail?namespace=shop&name=checkout" }],
    data: { service: `${namespace}/checkout`, budgetRemaining: 0.7 },
    occurredAt: new Date(),
  };
}

describe("notification channels", { timeout: 120_000 }, () => {
  let m: TestManager;
  let admin: ApiClient;
  let services: Services;
  const servers: Server[] = [];
  const caKey = randomBytes(32);
  const settings = { ...TEST_SERVICE_SETTINGS, identity: { caKey }, notifications: { retry: { baseBackoffMs: 150, maxBackoffMs: 1_000 }, tickMs: 60_000, batch: 16 } };

  beforeAll(async () => {
    m = await startTestManager({ settings });
    services = m.services;
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
  });
  afterAll(async () => {
    // The services started for the "restart" are this test's to stop.
    if (services && services !== m?.services) await services.close();
    await m?.stop();
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  });

  const deliveriesOf = async (channelId: string) => admin.channels.deliveries.query({ channelId });
  /** Ticks the sender until the channel's newest delivery leaves PENDING (backoffs are real time here, 150 ms and up). */
  const settle = (channelId: string, svc = () => services) =>
    waitFor("the delivery to settle", async () => {
      await svc().controllers.notifications.tick();
      const [d] = await deliveriesOf(channelId);
      return d && d.status !== "PENDING" ? d : undefined;
    }, 30_000, 100);

  it("retries a receiver that fails twice, which processes the event once, every signature verified", async () => {
    const processed = new Set<string>();
    let calls = 0;
    const rx = await receiver((r, res) => {
      calls++;
      if (calls <= 2) return json(res, 500, { error: "not yet" });
      processed.add(r.headers["webhook-id"] as string);
      json(res, 200, {});
    });
    servers.push(rx.server);
    const secrets = [`whsec_${randomBytes(32).toString("base64")}`, `whsec_${randomBytes(32).toString("base64")}`];
    const { channel } = await admin.channels.create.mutate({ type: "WEBHOOK", name: "retrying", config: { url: `${rx.url}/hook` }, namespaces: ["retry"], secrets: { signingSecrets: secrets } });
    await services.notifier.notify(event("retry"));
    const delivered = await settle(channel.id);
    expect(delivered).toMatchObject({ status: "DELIVERED", attempts: 3 });
    expect(delivered.log.map((a) => a.status)).toEqual([500, 500, 200]);
    // The event once more than it failed, with one idempotency key: processed once.
    expect(rx.requests).toHaveLength(3);
    expect(new Set(rx.requests.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(processed.size).toBe(1);
    for (const r of rx.requests) {
      // Two signatures during a rotation; either secret verifies with the receiver's library.
      expect(r.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
      for (const secret of secrets) expect(() => new Webhook(secret).verify(r.body, r.headers)).not.toThrow();
      expect(() => new Webhook(`whsec_${randomBytes(32).toString("base64")}`).verify(r.body, r.headers)).toThrow();
    }
    expect(JSON.parse(rx.requests[2]!.body)).toMatchObject({ type: "slo.alert.firing", data: { severity: "page", action: "trigger", dedupKey: "incident-retry" } });
    // Queuing the same event again delivers nothing new: nothing is stored, and nothing more is sent.
    await services.notifier.notify({ ...event("retry"), id: JSON.parse(rx.requests[0]!.body).data.id as string });
    expect(await deliveriesOf(channel.id)).toHaveLength(1);
    await services.controllers.notifications.tick();
    await services.controllers.notifications.idle();
    expect(rx.requests).toHaveLength(3);
  });

  it("sends one incident's deliveries in order: a resolve waits for its trigger in backoff", async () => {
    let calls = 0;
    const rx = await receiver((_r, res) => json(res, ++calls === 1 ? 503 : 200, {}));
    servers.push(rx.server);
    const { channel } = await admin.channels.create.mutate({ type: "WEBHOOK", name: "ordered", config: { url: `${rx.url}/hook` }, namespaces: ["order"] });
    // Queued together (one claim would hold both): the trigger fails once and backs off.
    await services.notifier.notify(event("order", "trigger"));
    await services.notifier.notify(event("order", "resolve"));
    await waitFor("both delivered", async () => {
      await services.controllers.notifications.tick();
      const all = await deliveriesOf(channel.id);
      return all.length === 2 && all.every((d) => d.status === "DELIVERED") ? all : undefined;
    }, 30_000, 100);
    expect(rx.requests.map((r) => (JSON.parse(r.body) as { data: { action: string } }).data.action)).toEqual(["trigger", "trigger", "resolve"]);
  });

  it("records an attempt only while it holds its lease: a delivery taken over is neither counted twice nor sent again", async () => {
    const held: { res?: ServerResponse } = {};
    const rx = await receiver((_r, res) => {
      if (!held.res) held.res = res; // the first attempt hangs until the test answers it
      else json(res, 200, {});
    });
    servers.push(rx.server);
    const { channel } = await admin.channels.create.mutate({ type: "WEBHOOK", name: "leased", config: { url: `${rx.url}/hook` }, namespaces: ["lease"], timeoutMs: 60_000 });
    await services.notifier.notify(event("lease"));
    const first = services.controllers.notifications.tick();
    await waitFor("the first attempt", async () => rx.requests.length === 1 || undefined);
    // Another sender whose clock is past every lease of the first takes the delivery over and delivers it.
    const later = new DeliveryController(new UnitOfWork(m.db.prisma), new NotificationsRepository(m.db.prisma), services.notifications, createLogger("silent"), fetch, { ...DEFAULT_DELIVERY_SETTINGS, ...settings.notifications }, () => new Date(Date.now() + 10 * 60_000));
    await later.tick();
    expect(rx.requests).toHaveLength(2);
    // The first attempt ends late with a failure: it no longer holds the delivery, so it records nothing.
    held.res?.writeHead(500).end();
    await first;
    const [d] = await deliveriesOf(channel.id);
    expect(d).toMatchObject({ status: "DELIVERED", attempts: 1 });
    expect(d!.log.map((a) => a.status)).toEqual([200]);
    await services.controllers.notifications.tick();
    expect(rx.requests).toHaveLength(2);
  });

  it("asks for a channel's secret again when an update changes where it sends", async () => {
    const { channel } = await admin.channels.create.mutate({ type: "GITHUB", name: "issues", namespaces: ["moved"], config: { apiUrl: "https://github.example/api/v3", repository: "acme/shop" }, secrets: { token: "ghp_kept" } });
    const update = (config: { apiUrl: string; labels?: string[] }, secrets?: { token: string }) =>
      admin.channels.update.mutate({ id: channel.id, channel: { type: "GITHUB", name: "issues", namespaces: ["moved"], config: { repository: "acme/shop", ...config }, ...(secrets ? { secrets } : {}) } });
    const refused = await refusal(update({ apiUrl: "https://attacker.example" }));
    expect(refused.code).toBe("PRECONDITION_FAILED");
    expect(refused.fieldErrors?.[0]?.path).toBe("secrets");
    expect((await admin.channels.list.query()).find((c) => c.id === channel.id)?.config).toMatchObject({ apiUrl: "https://github.example/api/v3" });
    // The same destination keeps the stored secret; a new one with its secret is fine.
    await update({ apiUrl: "https://github.example/api/v3", labels: ["weft", "prod"] });
    await update({ apiUrl: "https://github.other/api/v3" }, { token: "ghp_new" });
    expect((await admin.channels.list.query()).find((c) => c.id === channel.id)?.config).toMatchObject({ apiUrl: "https://github.other/api/v3" });
  });

  it("times out a receiver that hangs, and dead-letters after the last attempt", async () => {
    const rx = await receiver(() => {
      /* never answers */
    });
    servers.push(rx.server);
    const { channel } = await admin.channels.create.mutate({ type: "WEBHOOK", name: "hanging", config: { url: `${rx.url}/hook` }, namespaces: ["hang"], timeoutMs: 300, maxAttempts: 2 });
    await services.notifier.notify(event("hang"));
    const dead = await settle(channel.id);
    expect(dead.status).toBe("DEAD");
    expect(dead.log.map((a) => a.error)).toEqual(["webhook: no answer within the timeout", "webhook: no answer within the timeout"]);
    expect(dead.lastError).toBe("webhook: no answer within the timeout; gave up after 2 attempts");
    rx.server.closeAllConnections();
    // An operator resends it from the dead letter.
    await admin.channels.resend.mutate({ id: dead.id });
    expect((await deliveriesOf(channel.id))[0]?.status).toBe("PENDING");
  });

  it("delivers after a restart of the manager in the middle of the retries", async () => {
    let failing = true;
    const rx = await receiver((_r, res) => json(res, failing ? 503 : 200, {}));
    servers.push(rx.server);
    const { channel } = await admin.channels.create.mutate({ type: "WEBHOOK", name: "restart", config: { url: `${rx.url}/hook` }, namespaces: ["restart"] });
    await services.notifier.notify(event("restart"));
    // The queued event wakes the sender by itself too (a poke), so one tick here may see one attempt or two.
    await waitFor("the first failed attempt", async () => {
      await services.controllers.notifications.tick();
      return ((await deliveriesOf(channel.id))[0]?.attempts ?? 0) >= 1 || undefined;
    });
    // The manager stops with the delivery pending (stop waits for an attempt in flight); a new one starts on the same database and key.
    await services.close();
    const failed = (await deliveriesOf(channel.id))[0]!;
    expect(failed.status).toBe("PENDING");
    services = createServices(m.db, createLogger("silent"), settings);
    failing = false;
    const delivered = await settle(channel.id);
    expect(delivered.status).toBe("DELIVERED");
    expect(delivered.log.map((a) => a.status)).toEqual([...Array<number>(failed.attempts).fill(503), 200]);
  });

  it("speaks PagerDuty Events v2, Slack, GitHub Issues and Jira as their documentation gives them", async () => {
    const PagerDutyEvent = z.object({
      routing_key: z.string().length(32),
      event_action: z.enum(["trigger", "acknowledge", "resolve"]),
      dedup_key: z.string().min(1).max(255),
      payload: z.object({ summary: z.string().min(1).max(1024), source: z.string().min(1), severity: z.enum(["critical", "error", "warning", "info"]), timestamp: z.iso.datetime().optional(), component: z.string().optional(), group: z.string().optional(), class: z.string().optional(), custom_details: z.record(z.string(), z.unknown()).optional() }).optional(),
      links: z.array(z.object({ href: z.url(), text: z.string() })).optional(),
    });
    const pd = await receiver((r, res) => {
      const parsed = PagerDutyEvent.safeParse(JSON.parse(r.body));
      if (!parsed.success || (parsed.data.event_action === "trigger" && !parsed.data.payload)) return json(res, 400, { status: "invalid event", errors: [String(parsed.error)] });
      json(res, 202, { status: "success", message: "Event processed", dedup_key: parsed.data.dedup_key });
    });
    const SlackMessage = z.object({ text: z.string().min(1), blocks: z.array(z.object({ type: z.enum(["header", "section", "context"]) }).loose()).max(50) });
    const slack = await receiver((r, res) => (SlackMessage.safeParse(JSON.parse(r.body)).success ? res.writeHead(200, { "content-type": "text/plain" }).end("ok") : res.writeHead(400).end("invalid_payload")));
    let issue = 0;
    const gh = await receiver((r, res) => {
      const ok = r.headers.authorization === "Bearer ghp_test" && r.headers.accept === "application/vnd.github+json" && r.headers["x-github-api-version"] === "2022-11-28";
      if (!ok) return json(res, 401, { message: "Bad credentials" });
      const body = JSON.parse(r.body) as Record<string, unknown>;
      if (r.method === "POST" && r.path === "/repos/acme/shop/issues" && z.object({ title: z.string().min(1), body: z.string(), labels: z.array(z.string()) }).safeParse(body).success) return json(res, 201, { number: ++issue, html_url: `https://github.test/acme/shop/issues/${issue}` });
      if (r.method === "POST" && /^\/repos\/acme\/shop\/issues\/\d+\/comments$/.test(r.path) && typeof body.body === "string") return json(res, 201, { id: 1 });
      if (r.method === "PATCH" && /^\/repos\/acme\/shop\/issues\/\d+$/.test(r.path) && body.state === "closed") return json(res, 200, { state: "closed" });
      json(res, 422, { message: "Validation Failed" });
    });
    const jira = await receiver((r, res) => {
      if (r.headers.authorization !== `Basic ${Buffer.from("ops@example.com:jira-token").toString("base64")}`) return json(res, 401, {});
      if (r.method === "POST" && r.path === "/rest/api/2/issue") {
        const ok = z.object({ fields: z.object({ project: z.object({ key: z.string() }), summary: z.string().min(1).max(255), description: z.string(), issuetype: z.object({ name: z.string() }) }).loose() }).safeParse(JSON.parse(r.body)).success;
        return ok ? json(res, 201, { id: "10001", key: "OPS-1", self: "https://jira.test/rest/api/2/issue/10001" }) : json(res, 400, { errorMessages: ["bad issue"] });
      }
      if (r.method === "POST" && r.path === "/rest/api/2/issue/OPS-1/comment" && typeof (JSON.parse(r.body) as { body?: unknown }).body === "string") return json(res, 201, { id: "1" });
      if (r.method === "GET" && r.path === "/rest/api/2/issue/OPS-1/transitions") return json(res, 200, { transitions: [{ id: "11", name: "In Progress" }, { id: "31", name: "Done" }] });
      if (r.method === "POST" && r.path === "/rest/api/2/issue/OPS-1/transitions" && (JSON.parse(r.body) as { transition?: { id?: string } }).transition?.id === "31") return res.writeHead(204).end();
      json(res, 400, { errorMessages: [`unexpected ${r.method} ${r.path}`] });
    });
    servers.push(pd.server, slack.server, gh.server, jira.server);
    const ids = {
      pd: (await admin.channels.create.mutate({ type: "PAGERDUTY", name: "pagerduty", namespaces: ["shop"], config: { url: `${pd.url}/v2/enqueue` }, secrets: { routingKey: "R0123456789ABCDEF0123456789ABCDE" } })).channel.id,
      slack: (await admin.channels.create.mutate({ type: "SLACK", name: "slack", namespaces: ["shop"], config: {}, secrets: { webhookUrl: `${slack.url}/services/T000/B000/XXXX` } })).channel.id,
      gh: (await admin.channels.create.mutate({ type: "GITHUB", name: "github", namespaces: ["shop"], config: { apiUrl: gh.url, repository: "acme/shop" }, secrets: { token: "ghp_test" } })).channel.id,
      jira: (await admin.channels.create.mutate({ type: "JIRA", name: "jira", namespaces: ["shop"], config: { baseUrl: jira.url, projectKey: "OPS", email: "ops@example.com" }, secrets: { token: "jira-token" } })).channel.id,
    };
    // Open, fire again, resolve: one incident.
    for (const action of ["trigger", "trigger", "resolve"] as const) {
      await services.notifier.notify(event("shop", action, "slo:shop/checkout:mesh:page"));
      for (const id of Object.values(ids)) expect((await settle(id)).status).toBe("DELIVERED");
    }
    expect(pd.requests.map((r) => (JSON.parse(r.body) as { event_action: string; dedup_key: string }).event_action)).toEqual(["trigger", "trigger", "resolve"]);
    expect(new Set(pd.requests.map((r) => (JSON.parse(r.body) as { dedup_key: string }).dedup_key))).toEqual(new Set(["slo:shop/checkout:mesh:page"]));
    expect(slack.requests).toHaveLength(3);
    // GitHub: one issue opened, a comment on the re-fire, a comment and the close on resolve.
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /repos/acme/shop/issues", "POST /repos/acme/shop/issues/1/comments", "POST /repos/acme/shop/issues/1/comments", "PATCH /repos/acme/shop/issues/1"]);
    expect(jira.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /rest/api/2/issue", "POST /rest/api/2/issue/OPS-1/comment", "POST /rest/api/2/issue/OPS-1/comment", "GET /rest/api/2/issue/OPS-1/transitions", "POST /rest/api/2/issue/OPS-1/transitions"]);
    // Secrets never come back through the API.
    const listed = JSON.stringify(await admin.channels.list.query());
    for (const secret of ["R0123456789ABCDEF0123456789ABCDE", "ghp_test", "jira-token", "/services/T000"]) expect(listed).not.toContain(secret);
  });

  it("sends a test notification from the channels page", async () => {
    const rx = await receiver((_r, res) => json(res, 200, {}));
    servers.push(rx.server);
    const { channel } = await admin.channels.create.mutate({ type: "WEBHOOK", name: "tested", config: { url: `${rx.url}/hook` }, severities: ["page"] });
    const { deliveryId } = await admin.channels.sendTest.mutate({ id: channel.id });
    expect(deliveryId).not.toBeNull();
    const delivered = await settle(channel.id);
    expect(delivered.eventType).toBe("channel.test");
    expect(JSON.parse(rx.requests[0]!.body)).toMatchObject({ type: "channel.test", data: { title: 'Test notification from Weft to "tested"' } });
  });
});
