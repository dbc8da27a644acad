import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionClient, startTestManager, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";
import { seedDiscovery, trafficPolicyYaml, userWithToken } from "./support.ts";

describe("audit log", () => {
  let m: TestManager;
  let admin: ApiClient;
  let startedAt: Date;

  beforeAll(async () => {
    m = await startTestManager();
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
});
