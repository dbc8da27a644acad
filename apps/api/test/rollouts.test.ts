// The rollout controller and rollouts.* against a real manager and database,
// on an injected clock (an interval of one minute takes no time): telemetry
// arrives as an agent reports it, the controller is ticked directly. A
// healthy canary walks every step (no data holds first) and is promoted; a
// failing one rolls back after `threshold` failed intervals and is
// announced; another manager on the same database resumes a run from its
// stored step; people cannot edit the route a run drives; bad input and
// the wrong roles are refused, nothing stored.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { createServices, type ServiceSettings } from "../src/services.ts";
import { joinedAgent, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "../src/testing.ts";
import { startReceiver, waitFor } from "./mesh-processes.ts";
import { checkoutEdges } from "./rollout-traffic.ts";
import { refusal, routeYaml, seedDiscovery, userWithToken } from "./support.ts";

const MINUTE = 60_000;

function rolloutYaml(options: { name?: string; stable?: string; canary?: string; steps?: string; extra?: string } = {}): string {
  const { name = "checkout", stable = "v1", canary = "v2", steps = "[{ setWeight: 20 }, { setWeight: 50 }, { setWeight: 100 }]", extra = "" } = options;
  return `apiVersion: weft.io/v1alpha1
kind: Rollout
metadata: { name: ${name}, namespace: shop }
spec:
  service: { name: checkout }
  stable: { version: ${stable} }
  canary: { version: ${canary} }
  strategy:
    canary:
      steps: ${steps}
  analysis: { interval: 1m, threshold: 2, minRequests: 20 }
${extra}`;
}

describe("rollouts", { timeout: 120_000 }, () => {
  let now = Math.floor(Date.now() / MINUTE) * MINUTE + 5_000;
  const settings: ServiceSettings = { ...TEST_SERVICE_SETTINGS, identity: { caKey: randomBytes(32) }, clock: () => new Date(now), notifications: { retry: { baseBackoffMs: 100, maxBackoffMs: 1000 }, tickMs: 60_000, batch: 16 } };
  let m: TestManager;
  let admin: ApiClient;
  let agent: ApiClient;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  /** Requests to checkout in the test clock's minute, per version: [requests, failed]. */
  const traffic = async (byVersion: Record<string, [number, number]>, cluster = "east") => {
    await agent.agent.reportTelemetry.mutate({ edges: checkoutEdges(byVersion, cluster, now) });
  };
  /** One interval later: the controller judges it. */
  const interval = async () => {
    now += MINUTE;
    const tick = await m.services.controllers.rollouts.tick();
    expect(tick.leader).toBe(true);
  };
  const route = async () => (await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" })).document as { spec: { rules: { backendRefs: { version?: string; weight: number }[] }[] } };
  const weights = async () => Object.fromEntries((await route()).spec.rules[0]!.backendRefs.map((b) => [b.version, b.weight]));

  beforeAll(async () => {
    receiver = await startReceiver();
    m = await startTestManager({ settings });
    await seedDiscovery(m.db);
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    agent = (await joinedAgent(admin, m.url, "west")).client;
    await admin.channels.create.mutate({ type: "WEBHOOK", name: "hooks", config: { url: `${receiver.url}/hook` }, timeoutMs: 2000 });
    await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 100, v2: 0 }) });
  });
  afterAll(async () => {
    await m?.stop();
    await receiver?.close();
  });

  it("refuses bad Rollouts with the field's path, and the wrong roles; nothing is stored", async () => {
    const cases: [string, string][] = [
      [rolloutYaml({ canary: "v9" }), "spec.canary.version"],
      [rolloutYaml({ steps: "[{ setWeight: 150 }]" }), "spec.strategy.canary.steps[0].setWeight"],
      [rolloutYaml({ steps: "[{ setWeight: 20 }, { setWeight: 50 }]" }), "spec.strategy.canary.steps"],
      [rolloutYaml().replace("name: checkout }", "name: nowhere }"), "spec.service.name"],
    ];
    for (const [text, path] of cases) {
      const err = await refusal(admin.rollouts.start.mutate({ text }));
      expect(err.fieldErrors?.map((f) => f.path), text).toContain(path);
    }
    const viewer = await userWithToken(admin, m.url, sessionClient, "vic", "VIEWER");
    expect((await refusal(viewer.client.rollouts.start.mutate({ text: rolloutYaml() }))).code).toBe("FORBIDDEN");
    // An operator of payments only cannot roll out in shop.
    const elsewhere = await userWithToken(admin, m.url, sessionClient, "pat", "VIEWER", [{ role: "OPERATOR", namespace: "payments" }]);
    expect((await refusal(elsewhere.client.rollouts.start.mutate({ text: rolloutYaml() }))).code).toBe("FORBIDDEN");
    expect(await admin.resources.list.query({ kind: "Rollout" })).toEqual([]);
    expect(await admin.rollouts.list.query()).toEqual([]);
  });

  it("walks a healthy canary through every step: no data holds, each step is a route revision, then it is promoted", async () => {
    const started = await admin.rollouts.start.mutate({ text: rolloutYaml() });
    expect(started.status).toBe("started");
    const id = started.run!.id;
    expect((await refusal(admin.rollouts.start.mutate({ text: rolloutYaml({ name: "other" }) }))).fieldErrors?.[0]?.path).toBe("spec.service.name");
    await m.services.controllers.rollouts.tick();
    expect(await weights()).toEqual({ v1: 80, v2: 20 });
    const [latest] = await admin.resources.history.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect(latest).toMatchObject({ authorName: "rollout controller", message: expect.stringContaining("rollout shop/checkout: step 1/3 (20 %)") });
    // People cannot edit the route under a running rollout: the error names it.
    const edit = await refusal(admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 50, v2: 50 }) }));
    expect(edit.code).toBe("CONFLICT");
    expect(edit.fieldErrors?.[0]?.path).toBe("metadata.name");
    // No canary traffic: the step holds (no data), it neither passes nor fails.
    await interval();
    let detail = await admin.rollouts.get.query({ id });
    expect(detail.run).toMatchObject({ phase: "Progressing", step: 0, failedChecks: 0 });
    expect(detail.checks[0]).toMatchObject({ kind: "metric", verdict: "no-data", sampleCount: 0 });
    // Each passing interval enters the next step; the promotion (100 %) is judged once more, then the route is left clean.
    for (const expected of [{ v1: 50, v2: 50 }, { v1: 0, v2: 100 }, { v2: 100 }]) {
      await traffic({ v1: [400, 0], v2: [100, 0] });
      await interval();
      expect(await weights()).toEqual(expected);
    }
    detail = await admin.rollouts.get.query({ id });
    expect(detail.run.phase).toBe("Succeeded");
    expect(detail.steps.map((s) => [s.step, s.kind])).toEqual([[0, "weight"], [1, "weight"], [2, "promote"]]);
    expect(detail.steps.every((s) => s.routeRevision !== null && s.completedAt !== null)).toBe(true);
    const passed = detail.checks.find((c) => c.verdict === "pass")!;
    expect(passed).toMatchObject({ name: "success-rate", threshold: { op: ">=", value: 99, unit: "%" }, sampleCount: 100 });
    expect(passed.query).toContain("rollups");
    expect(passed.values).toMatchObject({ value: 100, stableValue: 100 });
  });

  it("rolls a failing canary back after `threshold` failed intervals, announces it, and another manager resumes a run where it stopped", async () => {
    const { run } = await admin.rollouts.start.mutate({ text: rolloutYaml({ stable: "v2", canary: "v1" }) });
    const id = run!.id;
    await m.services.controllers.rollouts.tick();
    expect(await weights()).toMatchObject({ v1: 20, v2: 80 });
    // The manager that started it stops; another one on the same database takes over from the stored step.
    const other = createServices(m.db, createLogger("silent"), settings);
    try {
      const stored = await admin.rollouts.get.query({ id });
      await traffic({ v2: [400, 0], v1: [100, 10] });
      now += MINUTE;
      await other.controllers.rollouts.tick();
      let detail = await admin.rollouts.get.query({ id });
      expect(detail.steps).toEqual(stored.steps); // step 1 not applied again, none skipped
      expect(detail.run).toMatchObject({ phase: "Progressing", step: 0, failedChecks: 1 });
      expect(detail.checks[0]).toMatchObject({ verdict: "fail", sampleCount: 100, values: { value: 90 } });
      await traffic({ v2: [400, 0], v1: [100, 10] });
      now += MINUTE;
      await other.controllers.rollouts.tick();
      detail = await admin.rollouts.get.query({ id });
      expect(detail.run.phase).toBe("RolledBack");
      expect(detail.events.filter((e) => e.type === "analysis-failed")).toHaveLength(2);
      expect(await weights()).toEqual({ v2: 100 });
      await other.controllers.notifications.tick();
      expect(receiver.requests.some((r) => r.body.includes("rollout.rolled-back") && r.body.includes("v2 → v1"))).toBe(true);
    } finally {
      await other.close();
    }
    // Retry starts attempt 2; abort sends it back to stable at once, recorded with who did it.
    const retried = await admin.rollouts.retry.mutate({ id });
    expect(retried).toMatchObject({ phase: "Initializing", attempt: 2, active: true });
    await m.services.controllers.rollouts.tick();
    expect(await weights()).toMatchObject({ v1: 20 });
    expect(await admin.rollouts.abort.mutate({ id, reason: "enough" })).toMatchObject({ phase: "Aborted", active: false });
    expect(await weights()).toEqual({ v2: 100 });
    const audit = await admin.audit.list.query({});
    expect(audit.events.map((e) => e.action)).toEqual(expect.arrayContaining(["rollouts.start", "rollouts.retry", "rollouts.abort"]));
  });

  it("judges every cluster together: a canary failing only in west fails the shared analysis and the route goes back to stable everywhere", async () => {
    const { run } = await admin.rollouts.start.mutate({ text: rolloutYaml({ stable: "v2", canary: "v1" }) });
    await m.services.controllers.rollouts.tick();
    for (let i = 0; i < 2; i++) {
      await traffic({ v2: [400, 0], v1: [900, 0] }, "east");
      await traffic({ v2: [400, 0], v1: [100, 5] }, "west");
      await interval();
    }
    const detail = await admin.rollouts.get.query({ id: run!.id });
    expect(detail.run.phase).toBe("RolledBack");
    const last = detail.checks.filter((c) => c.at.getTime() === detail.checks[0]!.at.getTime());
    // All clusters together: 99.5 % passes; west alone: 95 % fails the interval (the per-cluster guard); east alone passes.
    expect(Object.fromEntries(last.map((c) => [c.cluster ?? "all", [c.verdict, (c.values as { value: number }).value]]))).toEqual({ all: ["pass", 99.5], east: ["pass", 100], west: ["fail", 95] });
    expect(await weights()).toEqual({ v2: 100 });
  });

  it("holds on a refusing confirm-traffic-increase webhook, counts a timed-out rollout webhook as a failed check, and stores both calls", async () => {
    const hang = await startReceiver(() => undefined); // never answers
    const refuse = await startReceiver((_r, res) => void res.writeHead(500).end());
    try {
      const hooks = `    webhooks:
      - { name: gate, type: confirm-traffic-increase, url: "${refuse.url}/gate", retries: 1, timeout: 2s }
      - { name: slow, type: rollout, url: "${hang.url}/slow", retries: 0, timeout: 300ms }`;
      const { run } = await admin.rollouts.start.mutate({ text: rolloutYaml({ stable: "v2", canary: "v1" }).replace("  analysis: { interval: 1m, threshold: 2, minRequests: 20 }\n", `  analysis:\n    interval: 1m\n    threshold: 2\n    minRequests: 20\n${hooks}\n`) });
      const id = run!.id;
      // The gate is asked outside the controller's transaction: a later tick decides with its answer.
      const held = await waitFor("the refusing gate to hold the first step", async () => {
        await m.services.controllers.rollouts.tick();
        const d = await admin.rollouts.get.query({ id });
        return d.state.hold?.reason === "confirm-traffic-increase" ? d : undefined;
      });
      expect(held.run).toMatchObject({ phase: "Initializing", canaryWeight: 0 });
      expect(held.checks[0]).toMatchObject({ kind: "webhook", name: "gate", verdict: "fail", values: { status: 500, attempts: 2 } });
      expect(refuse.requests.length).toBe(2);
      // An operator overrides the gate; then each interval's rollout hook hangs, times out and counts as a failure.
      await admin.rollouts.promote.mutate({ id });
      expect(await weights()).toMatchObject({ v1: 20 });
      for (let i = 0; i < 2; i++) {
        await traffic({ v2: [400, 0], v1: [100, 0] });
        now += MINUTE;
        const before = (await admin.rollouts.get.query({ id })).run.failedChecks;
        await waitFor("the rollout webhook's timeout to count", async () => {
          await m.services.controllers.rollouts.tick();
          return (await admin.rollouts.get.query({ id })).run.failedChecks > before;
        });
      }
      const detail = await admin.rollouts.get.query({ id });
      expect(detail.run.phase).toBe("RolledBack");
      expect(detail.checks.find((c) => c.name === "slow")).toMatchObject({ verdict: "fail", values: { status: null, error: "timed out after 300ms" } });
      // The metric passed meanwhile: the webhook alone failed the intervals.
      expect(detail.checks.filter((c) => c.kind === "metric" && c.cluster === null).every((c) => c.verdict === "pass")).toBe(true);
    } finally {
      hang.server.closeAllConnections();
      await hang.close();
      await refuse.close();
    }
  });
});
