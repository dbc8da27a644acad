// The rollout controller's gates against a real manager and database, on an
// injected clock, with telemetry reported as an agent reports it (like
// rollouts.test.ts): cluster waves (wave 1 to 100 % before wave 2 starts; a
// failing wave pauses with onFailure Pause and rolls every cluster back with
// RollbackAll), advisory metrics (recorded, never failing a step), shadow
// mode (RecordOnly judges every step and never writes the route;
// PauseOnFailure moves traffic and pauses instead of rolling back) and the
// error-budget gate (no SLO: not blocking; a spent budget holds the
// promotion until the progress deadline rolls the canary back).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceSettings } from "../src/services.ts";
import { joinedAgent, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "../src/testing.ts";
import { startReceiver, waitFor } from "./mesh-processes.ts";
import { checkoutEdges } from "./rollout-traffic.ts";
import { routeYaml, seedDiscovery } from "./support.ts";

const MINUTE = 60_000;

/** A Rollout of checkout v1 → v2; `spec` is appended to the spec (indented two spaces). */
function rolloutYaml(spec: string, options: { steps?: string; analysis?: string } = {}): string {
  const { steps = "[{ setWeight: 50 }, { setWeight: 100 }]", analysis = "{ interval: 1m, threshold: 2, minRequests: 20 }" } = options;
  return `apiVersion: weft.io/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  service: { name: checkout }
  stable: { version: v1 }
  canary: { version: v2 }
  strategy:
    canary:
      steps: ${steps}
  analysis: ${analysis}
${spec}`;
}

interface RouteRuleView {
  clusters?: string[];
  backendRefs: { version?: string; weight: number }[];
}

describe("rollout gates", { timeout: 180_000 }, () => {
  let now = Math.floor(Date.now() / MINUTE) * MINUTE + 5_000;
  const settings: ServiceSettings = { ...TEST_SERVICE_SETTINGS, identity: { caKey: randomBytes(32) }, clock: () => new Date(now), notifications: { retry: { baseBackoffMs: 100, maxBackoffMs: 1000 }, tickMs: 60_000, batch: 16 } };
  let m: TestManager;
  let admin: ApiClient;
  let agent: ApiClient;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  /** Requests to checkout in `cluster` in the test clock's minute, per version: [requests, failed]. */
  const traffic = async (byVersion: Record<string, [number, number]>, cluster = "east") => {
    await agent.agent.reportTelemetry.mutate({ edges: checkoutEdges(byVersion, cluster, now) });
  };
  /** One interval later: the controller judges it. */
  const interval = async () => {
    now += MINUTE;
    const tick = await m.services.controllers.rollouts.tick();
    expect(tick.leader).toBe(true);
  };
  /** Ticks until the webhooks and the error budget asked outside the transaction have answered and `done` holds. */
  const tickUntil = <T>(what: string, done: () => Promise<T | undefined | false>) =>
    waitFor(what, async () => {
      await m.services.controllers.rollouts.tick();
      return done();
    });
  const route = async () => (await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" })).document as { spec: { rules: RouteRuleView[] } };
  /** The route's rules as `clusters (or "*") → { version: weight }`, in order. */
  const rules = async () => (await route()).spec.rules.map((r) => [r.clusters?.join(",") ?? "*", Object.fromEntries(r.backendRefs.map((b) => [b.version, b.weight]))]);
  const routeRevision = async () => (await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" })).revision;
  const detail = (id: string) => admin.rollouts.get.query({ id });

  beforeAll(async () => {
    receiver = await startReceiver();
    m = await startTestManager({ settings });
    await seedDiscovery(m.db);
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    const west = await joinedAgent(admin, m.url, "west");
    agent = west.client;
    // checkout runs in west too (v1 and v2), so a rollout may name both clusters.
    const service = await m.db.prisma.service.create({ data: { clusterId: west.clusterId, namespace: "shop", name: "checkout", ports: [{ name: "http", port: 8080, protocol: "HTTP" }] } });
    for (const [i, version] of ["v1", "v2"].entries()) {
      const workload = await m.db.prisma.workload.create({ data: { clusterId: west.clusterId, namespace: "shop", name: `checkout-${version}-0`, serviceAccount: "checkout", version } });
      await m.db.prisma.endpoint.create({ data: { serviceId: service.id, workloadId: workload.id, address: `10.1.0.${10 + i}`, port: 8080 } });
    }
    await admin.channels.create.mutate({ type: "WEBHOOK", name: "hooks", config: { url: `${receiver.url}/hook` }, timeoutMs: 2000 });
    await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 100, v2: 0 }) });
  });
  afterAll(async () => {
    await m?.stop();
    await receiver?.close();
  });

  describe("cluster waves", () => {
    const waves = (onFailure: string) => `  waves:\n    groups: [{ clusters: [east] }, { clusters: [west] }]\n    onFailure: ${onFailure}\n`;

    /** Walks wave 1 (east) to 100 % and enters wave 2 (west) at 50 %; returns the run's id. */
    const throughWaveOne = async (onFailure: string) => {
      const { run } = await admin.rollouts.start.mutate({ text: rolloutYaml(waves(onFailure)) });
      const id = run!.id;
      await m.services.controllers.rollouts.tick();
      // Wave 1 only: east's callers split, every other cluster stays on v1.
      expect(await rules()).toEqual([
        ["east", { v1: 50, v2: 50 }],
        ["*", { v1: 100 }],
      ]);
      await traffic({ v1: [400, 0], v2: [100, 0] }, "east");
      await interval();
      expect(await rules()).toEqual([
        ["east", { v1: 0, v2: 100 }],
        ["*", { v1: 100 }],
      ]);
      expect((await detail(id)).run).toMatchObject({ phase: "Promoting", wave: 0, step: 1 });
      // East at 100 % passes its promotion interval: wave 2 starts, east keeps the canary.
      await traffic({ v2: [500, 0] }, "east");
      await interval();
      const d = await detail(id);
      expect(d.run).toMatchObject({ phase: "Progressing", wave: 1, step: 0, canaryWeight: 50 });
      expect(d.events.map((e) => e.type)).toContain("wave-completed");
      expect(await rules()).toEqual([
        ["east", { v1: 0, v2: 100 }],
        ["west", { v1: 50, v2: 50 }],
        ["*", { v1: 100 }],
      ]);
      return id;
    };

    /** Two failing intervals in west (v2 fails 10 %) while east's canary is perfect: wave 2 judges west alone. */
    const failWest = async (id: string) => {
      for (let i = 0; i < 2; i++) {
        await traffic({ v2: [900, 0] }, "east");
        await traffic({ v1: [400, 0], v2: [100, 10] }, "west");
        await interval();
      }
      const d = await detail(id);
      const waveTwo = d.checks.filter((c) => c.wave === 1 && c.kind === "metric");
      expect(waveTwo.length).toBeGreaterThan(0);
      // East's 900 good canary requests are not in wave 2's numbers.
      expect(waveTwo.every((c) => c.verdict === "fail" && c.sampleCount === 100 && (c.values as { value: number }).value === 90)).toBe(true);
      return d;
    };

    it("onFailure Pause: a failing wave 2 goes back to stable and pauses, wave 1 keeps the canary; resume restarts the wave, abort restores every cluster", async () => {
      const id = await throughWaveOne("Pause");
      const d = await failWest(id);
      expect(d.run).toMatchObject({ phase: "Paused", wave: 1, active: true });
      expect(d.state.pause).toMatchObject({ reason: "wave-failure" });
      expect(d.events.find((e) => e.type === "paused")?.message).toContain("wave 2 (west) failed and is back on stable; earlier waves keep the canary");
      expect(await rules()).toEqual([
        ["east", { v1: 0, v2: 100 }],
        ["*", { v1: 100 }],
      ]);
      // Paused: nothing is judged and nothing moves while it waits for an operator.
      await traffic({ v1: [400, 0], v2: [100, 50] }, "west");
      await interval();
      expect((await detail(id)).run.phase).toBe("Paused");
      await m.services.controllers.notifications.tick();
      expect(receiver.requests.some((r) => r.body.includes("rollout.paused") && r.body.includes("wave 2 failed"))).toBe(true);
      // Resume: wave 2 starts again from its first step, with its failed checks forgotten.
      await admin.rollouts.resume.mutate({ id });
      await m.services.controllers.rollouts.tick();
      expect((await detail(id)).run).toMatchObject({ phase: "Progressing", wave: 1, step: 0, failedChecks: 0 });
      expect(await rules()).toEqual([
        ["east", { v1: 0, v2: 100 }],
        ["west", { v1: 50, v2: 50 }],
        ["*", { v1: 100 }],
      ]);
      await admin.rollouts.abort.mutate({ id, reason: "west is not ready" });
      expect(await rules()).toEqual([["*", { v1: 100 }]]);
    });

    it("onFailure RollbackAll: a failing wave 2 sends every cluster, wave 1 included, back to stable", async () => {
      const id = await throughWaveOne("RollbackAll");
      const d = await failWest(id);
      expect(d.run).toMatchObject({ phase: "RolledBack", active: false });
      expect(d.run.message).toContain("rolled back at wave 2/2, step 1/2 (50 %)");
      expect(await rules()).toEqual([["*", { v1: 100 }]]);
    });
  });

  it("records a failing advisory metric on every interval and never fails a step with it", async () => {
    // threshold 1: a single blocking failure would roll back at once.
    const metrics = "[{ name: success, type: SuccessRate, min: 99 }, { name: p99, type: LatencyP99, max: 2ms, mode: Advisory }]";
    const { run } = await admin.rollouts.start.mutate({ text: rolloutYaml("", { analysis: `{ interval: 1m, threshold: 1, minRequests: 20, metrics: ${metrics} }` }) });
    const id = run!.id;
    await m.services.controllers.rollouts.tick();
    for (const expected of [[["*", { v1: 0, v2: 100 }]], [["*", { v2: 100 }]]]) {
      await traffic({ v1: [400, 0], v2: [100, 0] });
      await interval();
      expect(await rules()).toEqual(expected);
    }
    const d = await detail(id);
    expect(d.run).toMatchObject({ phase: "Succeeded", failedChecks: 0 });
    const p99 = d.checks.filter((c) => c.name === "p99");
    expect(p99).toHaveLength(2);
    // The canary's p99 (about 24 ms) misses 2 ms: recorded as a failure, marked advisory, with the numbers it judged.
    for (const c of p99) {
      expect(c).toMatchObject({ verdict: "fail", mode: "Advisory", threshold: { op: "<=", value: 2, unit: "ms" }, sampleCount: 100 });
      expect((c.values as { value: number }).value).toBeGreaterThan(2);
    }
    expect(d.events.filter((e) => e.type === "analysis-passed").every((e) => e.message.includes("advisory failing: p99"))).toBe(true);
    expect(d.events.some((e) => e.type === "analysis-failed")).toBe(false);
  });

  describe("shadow mode", () => {
    it("RecordOnly: judges every step as if traffic moved and would roll back, but never writes the route", async () => {
      await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 100, v2: 0 }) });
      const revision = await routeRevision();
      const { run } = await admin.rollouts.start.mutate({ text: rolloutYaml("  shadow: { mode: RecordOnly }\n", { steps: "[{ setWeight: 20 }, { setWeight: 50 }, { setWeight: 100 }]" }) });
      const id = run!.id;
      await m.services.controllers.rollouts.tick();
      // The canary still gets its share of the route as it is (here: whatever the callers send it) and is judged on it.
      await traffic({ v1: [400, 0], v2: [100, 0] });
      await interval();
      let d = await detail(id);
      expect(d.run).toMatchObject({ phase: "Progressing", step: 1, canaryWeight: 50 });
      expect(d.steps.map((s) => [s.step, s.routeRevision])).toEqual([
        [0, null],
        [1, null],
      ]);
      for (let i = 0; i < 2; i++) {
        await traffic({ v1: [400, 0], v2: [100, 10] });
        await interval();
      }
      d = await detail(id);
      expect(d.run.phase).toBe("RolledBack");
      expect(d.run.message).toContain("would have rolled back at step 2/3 (50 %) (shadow RecordOnly)");
      expect(d.checks.filter((c) => c.kind === "metric" && c.verdict === "fail")).toHaveLength(2);
      expect(d.checks.find((c) => c.verdict === "fail")).toMatchObject({ sampleCount: 100, values: { value: 90, stableValue: 100 } });
      // Not one weight changed: no route revision, the weights as the operator left them.
      expect(await routeRevision()).toBe(revision);
      expect(await rules()).toEqual([["*", { v1: 100, v2: 0 }]]);
      await m.services.controllers.notifications.tick();
      expect(receiver.requests.some((r) => r.body.includes("would have rolled back (shadow mode)"))).toBe(true);
    });

    it("PauseOnFailure: moves traffic, and pauses where it is instead of rolling back", async () => {
      const { run } = await admin.rollouts.start.mutate({ text: rolloutYaml("  shadow: { mode: PauseOnFailure }\n") });
      const id = run!.id;
      await m.services.controllers.rollouts.tick();
      expect(await rules()).toEqual([["*", { v1: 50, v2: 50 }]]);
      for (let i = 0; i < 2; i++) {
        await traffic({ v1: [400, 0], v2: [100, 10] });
        await interval();
      }
      const d = await detail(id);
      expect(d.run).toMatchObject({ phase: "Paused", failedChecks: 2, active: true });
      expect(d.state.pause).toMatchObject({ reason: "failure" });
      expect(await rules()).toEqual([["*", { v1: 50, v2: 50 }]]);
      expect(await admin.rollouts.resume.mutate({ id })).toMatchObject({ phase: "Progressing", failedChecks: 0 });
      await admin.rollouts.abort.mutate({ id });
      expect(await rules()).toEqual([["*", { v1: 100 }]]);
    });
  });

  describe("error-budget gate", () => {
    const gated = rolloutYaml("", { analysis: "{ interval: 1m, threshold: 2, minRequests: 20, errorBudgetGate: true, progressDeadline: 3m }" });

    it("without an SLO it records that it has nothing to read and does not block the promotion", async () => {
      const started = await admin.rollouts.start.mutate({ text: gated });
      expect(started.change?.findings.map((f) => f.code)).toContain("WEFT5005");
      const id = started.run!.id;
      await m.services.controllers.rollouts.tick();
      await traffic({ v1: [400, 0], v2: [100, 0] });
      await interval();
      // The promotion's gate is asked outside the transaction: a later tick decides with its answer.
      const d = await tickUntil("the promotion to be entered", async () => {
        const x = await detail(id);
        return x.run.phase === "Promoting" && x;
      });
      expect(d.checks.find((c) => c.kind === "error-budget")).toMatchObject({ verdict: "no-slo", message: expect.stringContaining("has no ServiceLevelObjective") });
      expect(await rules()).toEqual([["*", { v1: 0, v2: 100 }]]);
      await traffic({ v2: [500, 0] });
      await interval();
      expect((await detail(id)).run.phase).toBe("Succeeded");
      await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 100, v2: 0 }) });
    });

    it("with the SLO's budget spent it holds the promotion (the canary stays at its weight), and the progress deadline rolls it back", async () => {
      const slo = `apiVersion: weft.io/v1alpha1
kind: ServiceLevelObjective
metadata: { name: checkout-availability, namespace: shop }
spec:
  service: { name: checkout }
  indicator: { type: availability }
  objective: 99
  window: 7d
`;
      await admin.resources.applyDocuments.mutate({ text: slo });
      // Ten minutes of v1 failing 20 %: a 1 % budget is spent many times over.
      for (let i = 0; i < 10; i++) {
        await traffic({ v1: [1000, 200] });
        now += MINUTE;
      }
      const started = await admin.rollouts.start.mutate({ text: gated });
      expect(started.change?.findings.map((f) => f.code) ?? []).not.toContain("WEFT5005");
      const id = started.run!.id;
      await m.services.controllers.rollouts.tick();
      expect(await rules()).toEqual([["*", { v1: 50, v2: 50 }]]);
      // A healthy canary passes its interval: only the error budget stands between it and the promotion.
      await traffic({ v1: [400, 0], v2: [400, 0] });
      await interval();
      let d = await tickUntil("the error budget to hold the promotion", async () => {
        const x = await detail(id);
        return x.state.hold?.reason === "error-budget" && x;
      });
      expect(d.run).toMatchObject({ phase: "WaitingPromotion", step: 1, canaryWeight: 50, failedChecks: 0 });
      const check = d.checks.find((c) => c.kind === "error-budget")!;
      expect(check).toMatchObject({ verdict: "fail", message: expect.stringContaining("shop/checkout-availability") });
      const [verdict] = (check.values as { slos: { slo: string; verdict: string; budgetRemaining: number }[] }).slos;
      expect(verdict).toMatchObject({ slo: "shop/checkout-availability", verdict: "fail" });
      expect(verdict!.budgetRemaining).toBeLessThan(0);
      expect(await rules()).toEqual([["*", { v1: 50, v2: 50 }]]);
      // Healthy intervals do not release it (the budget stays spent); after 3 minutes on hold the deadline rolls the canary back.
      for (let i = 0; i < 4 && (await detail(id)).run.active; i++) {
        await traffic({ v1: [400, 0], v2: [400, 0] });
        now += MINUTE;
        const before = (await detail(id)).run.updatedAt.getTime();
        await tickUntil("the controller to judge the minute", async () => (await detail(id)).run.updatedAt.getTime() !== before);
      }
      d = await detail(id);
      expect(d.run.phase).toBe("RolledBack");
      expect(d.run.message).toMatch(/the progress deadline \(3m\) passed while holding: the error budget refuses promotion: shop\/checkout-availability: /);
      expect(d.checks.filter((c) => c.kind === "error-budget").every((c) => c.verdict === "fail")).toBe(true);
      expect(await rules()).toEqual([["*", { v1: 100 }]]);
    });
  });
});
