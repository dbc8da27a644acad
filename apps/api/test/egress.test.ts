// The egress allow-list (WEFT_OUTBOUND_ALLOW) on the manager's own calls,
// through the real API and controllers: a channel or a rollout webhook whose
// URL names a refused address is refused when saved, naming the field; a URL
// that passed (a name, or an address allowed then) is judged again when the
// call connects — a manager whose policy refuses loopback reaches neither
// the channel's nor the webhook's receiver, says why, and does not retry.
import { randomBytes } from "node:crypto";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { createServices, type ServiceSettings, type Services } from "../src/services.ts";
import { joinedAgent, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "../src/testing.ts";
import { PUBLIC_ONLY } from "../src/transport/egress-policy.ts";
import { startReceiver, waitFor } from "./mesh-processes.ts";
import { refusal, routeYaml, seedDiscovery } from "./support.ts";

const MINUTE = 60_000;
const LOOPBACK_REFUSED = "refused to connect: 127.0.0.1 is a loopback address (it is the manager's own host); add a CIDR covering 127.0.0.1 to WEFT_OUTBOUND_ALLOW to allow it";

describe("egress allow-list", () => {
  let now = Math.floor(Date.now() / MINUTE) * MINUTE + 5_000;
  // The manager under test allows loopback (its receivers run here); `strict` is a second manager on the same database that does not.
  const settings: ServiceSettings = { ...TEST_SERVICE_SETTINGS, identity: { caKey: randomBytes(32) }, clock: () => new Date(now), notifications: { retry: { baseBackoffMs: 100, maxBackoffMs: 1000 }, tickMs: 60_000, batch: 16 } };
  let m: TestManager;
  let strict: Services;
  let admin: ApiClient;
  let agent: ApiClient;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    m = await startTestManager({ settings });
    await seedDiscovery(m.db);
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    agent = (await joinedAgent(admin, m.url, "west")).client;
    await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 100, v2: 0 }) });
    strict = createServices(m.db, createLogger("silent"), { ...settings, outbound: PUBLIC_ONLY });
  });
  afterAll(async () => {
    await strict?.close();
    await m?.stop();
    await receiver?.close();
  });

  it("refuses a channel or a rollout whose URL names a refused address, naming the field; nothing is stored", async () => {
    const channel = await refusal(admin.channels.create.mutate({ type: "WEBHOOK", name: "metadata", config: { url: "http://169.254.169.254/latest/meta-data" } }));
    expect(channel).toMatchObject({ code: "BAD_REQUEST", fieldErrors: [{ path: "config.url" }] });
    const slack = await refusal(admin.channels.create.mutate({ type: "SLACK", name: "slack", config: {}, secrets: { webhookUrl: "http://[fd00:ec2::254]/services/T/B/X" } }));
    expect(slack.fieldErrors?.[0]?.path).toBe("secrets.webhookUrl");
    expect(await admin.channels.list.query()).toEqual([]);
    const rollout = `apiVersion: weft.io/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  service: { name: checkout }
  stable: { version: v1 }
  canary: { version: v2 }
  strategy: { canary: { steps: [{ setWeight: 50 }, { setWeight: 100 }] } }
  analysis:
    webhooks:
      - { name: ok, type: rollout, url: "https://hooks.example.com/ok" }
      - { name: imds, type: rollout, url: "http://169.254.169.254/latest/api/token" }
`;
    const refused = await refusal(admin.rollouts.start.mutate({ text: rollout }));
    expect(refused.fieldErrors?.[0]?.path).toBe("spec.analysis.webhooks[1].url");
    expect(await admin.resources.list.query({ kind: "Rollout" })).toEqual([]);
  });

  it("judges a channel's address when it delivers: a manager that refuses loopback dead-letters at once, saying why", async () => {
    const { channel } = await admin.channels.create.mutate({ type: "WEBHOOK", name: "local", config: { url: `${receiver.url}/hook` }, timeoutMs: 2000 });
    await strict.notifications.sendTest({ username: "admin" }, channel.id, "http://dashboard.test");
    const [dead] = await waitFor("the delivery to end", async () => {
      await strict.controllers.notifications.tick();
      const rows = await admin.channels.deliveries.query({ channelId: channel.id });
      return rows[0]?.status === "DEAD" && rows;
    });
    expect(dead).toMatchObject({ attempts: 1, lastError: `webhook: ${LOOPBACK_REFUSED}; not retried (the same request would fail again)` });
    expect(receiver.requests).toHaveLength(0);
    // The manager that allows loopback delivers the same channel.
    await m.services.notifications.sendTest({ username: "admin" }, channel.id, "http://dashboard.test");
    await waitFor("the test to arrive", async () => {
      await m.services.controllers.notifications.tick();
      return receiver.requests.length > 0;
    });
    await admin.channels.delete.mutate({ id: channel.id });
  });

  it("judges a rollout webhook's address when it calls: the refusal is the stored check, without retries", async () => {
    const rollout = `apiVersion: weft.io/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  service: { name: checkout }
  stable: { version: v1 }
  canary: { version: v2 }
  strategy: { canary: { steps: [{ setWeight: 50 }, { setWeight: 100 }] } }
  analysis:
    interval: 1m
    threshold: 1
    minRequests: 20
    webhooks:
      - { name: local, type: rollout, url: "${receiver.url}/rollout", retries: 3 }
`;
    const { run } = await admin.rollouts.start.mutate({ text: rollout });
    const id = run!.id;
    const before = receiver.requests.length;
    await strict.controllers.rollouts.tick();
    const sketch = new LatencySketch();
    for (let i = 0; i < 100; i++) sketch.add(5);
    await agent.agent.reportTelemetry.mutate({ edges: [{ minute: Math.floor(now / MINUTE) * MINUTE, source: { cluster: "west", namespace: "shop", service: "frontend", version: "v1" }, destination: { cluster: "east", namespace: "shop", service: "checkout", version: "v2" }, codeClass: "2xx", requests: 100, errors: 0, latency: sketch.toJSON() }] });
    now += MINUTE;
    const detail = await waitFor("the webhook's check", async () => {
      await strict.controllers.rollouts.tick();
      const d = await admin.rollouts.get.query({ id });
      return d.checks.some((c) => c.kind === "webhook") && d;
    });
    expect(detail.checks.find((c) => c.kind === "webhook")).toMatchObject({ name: "local", verdict: "fail", values: { status: null, attempts: 1, error: LOOPBACK_REFUSED } });
    // threshold 1: the refused webhook failed the interval and rolled the canary back; the receiver heard nothing.
    expect(detail.run.phase).toBe("RolledBack");
    expect(receiver.requests.length).toBe(before);
  });
});
