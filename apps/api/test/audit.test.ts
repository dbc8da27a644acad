import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionClient, startTestManager, TEST_SERVICE_SETTINGS, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";
import { seedDiscovery, trafficPolicyYaml, userWithToken } from "./support.ts";

describe("audit log", () => {
  let m: TestManager;
  let admin: ApiClient;
  let startedAt: Date;

  beforeAll(async () => {
    m = await startTestManager({ settings: { ...TEST_SERVICE_SETTINGS, audit: { anonymousRefusalsPerWindow: 3, windowMs: 1_500 } } });
    await seedDiscovery(m.db);
    startedAt = new Date();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    const op = await userWithToken(admin, m.url, sessionClient, "otto", "OPERATOR");
    const viewer = await userWithToken(admin, m.url, sessionClient, "vic", "VIEWER");
    await sessionClient(m.url, "otto", "wrong-password").catch(() => undefined);
    await tokenClient(m.url, op.token).resources.applyDocuments.mutate({ text: trafficPolicyYaml(), message: "lb" });
    await tokenClient(m.url, op.token).resources.applyDocuments.mutate({ text: trafficPolicyYaml(), dryRun: true });
    await tokenClient(m.url, viewer.token).resources.delete.mutate({ kind: "TrafficPolicy", namespace: "shop", name: "cart" }).catch(() => undefined);
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("records logins, failed logins, mutations and refusals", async () => {
    const { events } = await admin.audit.list.query({ limit: 500 });
    const lines = events.map((e) => `${e.actorName} ${e.action} ${e.outcome}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        "admin auth.login SUCCESS",
        "otto auth.login FAILURE",
        "otto resources.applyDocuments SUCCESS",
        "vic resources.delete DENIED",
        "admin users.create SUCCESS",
        "otto tokens.create SUCCESS",
      ]),
    );
    const apply = events.find((e) => e.action === "resources.applyDocuments" && e.details.dryRun === false);
    expect(apply).toMatchObject({ actorType: "TOKEN", target: "TrafficPolicy/shop/cart", namespace: "shop", details: { actions: ["create TrafficPolicy/shop/cart"], configVersion: "1" } });
    expect(events.find((e) => e.action === "auth.login" && e.outcome === "FAILURE")?.details).toMatchObject({ reason: "bad-password" });
  });

  it.each([
    [{ actor: "otto" }, (e: { actorName: string }) => e.actorName === "otto"],
    [{ action: "resources.*" }, (e: { action: string }) => e.action.startsWith("resources.")],
    [{ action: "auth.login", outcome: "FAILURE" as const }, (e: { action: string; outcome: string }) => e.action === "auth.login" && e.outcome === "FAILURE"],
    [{ target: "shop/cart" }, (e: { target: string | null }) => (e.target ?? "").includes("shop/cart")],
  ])("filters by %o", async (filter, matches) => {
    const { events } = await admin.audit.list.query(filter);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => (matches as (e: unknown) => boolean)(e))).toBe(true);
  });

  it("filters by time range and pages newest first", async () => {
    expect((await admin.audit.list.query({ to: startedAt })).events).toEqual([]);
    const all = (await admin.audit.list.query({ from: startedAt, limit: 500 })).events;
    const first = await admin.audit.list.query({ limit: 3 });
    const second = await admin.audit.list.query({ limit: 3, before: first.nextCursor ?? undefined });
    expect([...first.events, ...second.events].map((e) => e.id)).toEqual(all.slice(0, 6).map((e) => e.id));
    expect(first.events[0]?.id).toBeGreaterThan(first.events[2]?.id ?? 0n);
  });
  it("writes at most N anonymous refusals per client address and window, then one summary with the count", async () => {
    const anonymous = () => fetch(`${m.url}/trpc/namespaces.protect`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ json: { namespace: "ops" } }) });
    for (let i = 0; i < 12; i++) expect((await anonymous()).status).toBe(401);
    const deadline = Date.now() + 10_000;
    let summary: { details: Record<string, unknown> } | undefined;
    while (!summary && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      summary = (await admin.audit.list.query({ action: "audit.refusalsSuppressed" })).events[0];
    }
    expect(summary).toMatchObject({ actorName: "anonymous", outcome: "DENIED", ip: expect.any(String), details: { suppressed: 9, actions: ["namespaces.protect"] } });
    const written = (await admin.audit.list.query({ action: "namespaces.protect", outcome: "DENIED", limit: 500 })).events.filter((e) => e.actorName === "anonymous");
    expect(written).toHaveLength(3);
  });

  it("never stores the raw message of an unexpected error, only the masked one with its request id", async () => {
    const changeRequests = m.services.changeRequests;
    const original = changeRequests.protect;
    changeRequests.protect = async () => {
      throw Object.assign(new Error('Invalid `prisma.protectedNamespace.upsert()` invocation:\n\nconnection to "10.0.0.5:5432" password "hunter2" failed'), { name: "PrismaClientUnknownRequestError" });
    };
    try {
      const failed = await admin.namespaces.protect.mutate({ namespace: "vault" }).catch((e: unknown) => e as Error);
      expect((failed as Error).message).toMatch(/^internal error \(request id [\w.-]+\)$/);
    } finally {
      changeRequests.protect = original;
    }
    const [event] = (await admin.audit.list.query({ action: "namespaces.protect", outcome: "FAILURE" })).events;
    expect(event?.details.error).toMatch(/^internal error \(request id [\w.-]+\)$/);
    expect(JSON.stringify({ ...event, id: String(event?.id) })).not.toMatch(/prisma|hunter2|10\.0\.0\.5/i);
  });
});
