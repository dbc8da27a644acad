// Topology replay against recorded telemetry: an agent reports a caller's
// traffic minute by minute, an operator changes the route (adding a
// backend), the agent reports the new edge in the minutes after; the replay
// shows the edge only from the frame after the change, with the change's
// author and message on the frame it happened in. Rollout steps and SLO
// alert transitions, which controllers write, are stored directly here.
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, joinedAgent, sessionClient, startTestManager, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";
import { refusal, userWithToken } from "./support.ts";

const MINUTE = 60_000;
const end = (service: string, namespace = "shop") => ({ cluster: "east", namespace, service, version: "v1" });
function sketch(values: number[]) {
  const s = new LatencySketch();
  for (const v of values) s.add(v);
  return s.toJSON();
}
const route = (backends: string[]) => ({
  apiVersion: "weft.io/v1alpha1",
  kind: "HTTPRoute",
  metadata: { name: "checkout", namespace: "shop" },
  spec: { parentRefs: [{ kind: "Service", name: "checkout" }], rules: [{ backendRefs: backends.map((name) => ({ kind: "Service", name, weight: Math.floor(100 / backends.length) })) }] },
});

describe("topology replay", () => {
  let m: TestManager;
  let admin: ApiClient;
  let viewer: ApiClient;
  let east: ApiClient;
  /** The first recorded minute; the route changes during minute `base + 4`. */
  let base: number;
  let changedAt: number;

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    viewer = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "vera", "VIEWER")).token);
    east = (await joinedAgent(admin, m.url, "east")).client;
    const services = ["frontend", "checkout", "checkout-canary"];
    await east.agent.resyncDiscovery.mutate({
      seq: 1,
      services: services.map((name) => ({ namespace: "shop", name, ports: [{ port: 8080, protocol: "http" as const }] })),
      workloads: services.map((name) => ({ namespace: "shop", name: `${name}-0`, serviceAccount: name, version: "v1" })),
      endpoints: services.map((name, i) => ({ namespace: "shop", service: name, address: `10.0.2.${i + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: `${name}-0` })),
    });
    await admin.resources.applyDocuments.mutate({ documents: [route(["checkout"])], message: "checkout serves itself" });
    await admin.resources.applyDocuments.mutate({ documents: [route(["checkout", "checkout-canary"])], message: "add the canary backend" });
    const [latest] = await admin.resources.history.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    changedAt = latest!.createdAt.getTime();
    // Minutes are placed around the change's minute (base + 4), whenever the manager got here.
    base = Math.floor(changedAt / MINUTE) * MINUTE - 4 * MINUTE;
    // Four whole minutes of frontend → checkout before the change: 600 requests a minute, 12 of them failed slowly.
    for (let i = 0; i < 4; i++)
      await east.agent.reportTelemetry.mutate({
        edges: [
          { minute: base + i * MINUTE, source: end("frontend"), destination: end("checkout"), codeClass: "2xx", requests: 588, errors: 0, latency: sketch(Array(588).fill(12)) },
          { minute: base + i * MINUTE, source: end("frontend"), destination: end("checkout"), codeClass: "5xx", requests: 12, errors: 12, latency: sketch(Array(12).fill(400)) },
        ],
      });
    // The minute after the change's (an agent's clock may run ahead by up to five minutes): the new backend is called.
    await east.agent.reportTelemetry.mutate({
      edges: [
        { minute: base + 5 * MINUTE, source: end("frontend"), destination: end("checkout"), codeClass: "2xx", requests: 300, errors: 0, latency: sketch(Array(300).fill(12)) },
        { minute: base + 5 * MINUTE, source: end("frontend"), destination: end("checkout-canary"), codeClass: "2xx", requests: 300, errors: 0, latency: sketch(Array(300).fill(30)) },
      ],
    });
  });
  afterAll(async () => {
    await m?.stop();
  });

  const edgesOf = (frame: { edges: { source: { service: string }; destination: { service: string } }[] } | undefined) => frame?.edges.map((e) => `${e.source.service}→${e.destination.service}`).sort();

  it("redraws the graph minute by minute: the new backend's edge appears after the change, not before", async () => {
    const replay = await viewer.telemetry.topologyReplay.query({ from: new Date(base), to: new Date(base + 6 * MINUTE) });
    expect(replay.frames.map((f) => f.at.getTime())).toEqual([0, 1, 2, 3, 4, 5].map((i) => base + i * MINUTE));
    expect(replay.frames.map(edgesOf)).toEqual([
      ["frontend→checkout"],
      ["frontend→checkout"],
      ["frontend→checkout"],
      ["frontend→checkout"],
      [],
      ["frontend→checkout", "frontend→checkout-canary"],
    ]);
    // The numbers match what was recorded for each minute.
    expect(replay.frames[0]?.edges[0]).toMatchObject({ requests: 600, errors: 12, rate: 10, successPercent: 98 });
    // 2 % of the minute's requests took 400 ms: its p99 is one of them (within the sketch's accuracy).
    expect(replay.frames[0]?.edges[0]?.p99).toBeCloseTo(400, -1);
    const canary = replay.frames[5]?.edges.find((e) => e.destination.service === "checkout-canary");
    expect(canary).toMatchObject({ requests: 300, rate: 5, successPercent: 100 });
    expect(canary?.p99).toBeCloseTo(30, 0);
  });

  it("marks the change on the frame it happened in, with its author and message", async () => {
    const replay = await viewer.telemetry.topologyReplay.query({ from: new Date(base), to: new Date(base + 6 * MINUTE) });
    const revisions = replay.markers.filter((mk) => mk.type === "revision");
    const change = revisions.find((mk) => mk.type === "revision" && mk.revision === 2);
    expect(change).toMatchObject({ author: "admin", message: "add the canary backend", resource: { kind: "HTTPRoute", namespace: "shop", name: "checkout" }, action: "update" });
    expect(change?.at.getTime()).toBe(changedAt);
    expect(change?.frame).toBe(4);
    // Before the change's frame the canary is never called; from the frame after, it is.
    const frame = change!.frame;
    expect(replay.frames.slice(0, frame + 1).flatMap(edgesOf)).not.toContain("frontend→checkout-canary");
    expect(edgesOf(replay.frames[frame + 1])).toContain("frontend→checkout-canary");
  });

  it("marks rollout steps and SLO alert transitions on the same timeline, and filters changes by namespace", async () => {
    const prisma = m.db.prisma;
    const mesh = await prisma.mesh.findUniqueOrThrow({ where: { name: "default" } });
    const stepAt = new Date(base + 2 * MINUTE + 10_000);
    const run = await prisma.rolloutRun.create({
      data: { meshId: mesh.id, namespace: "shop", name: "checkout", rolloutRevision: 1, document: {}, service: "checkout", stableVersion: "v1", canaryVersion: "v2", routeName: "checkout", state: {}, affinityToken: "t", startedBy: "alice" },
    });
    await prisma.rolloutStepRecord.create({ data: { runId: run.id, attempt: 1, wave: 0, step: 0, kind: "weight", traffic: [{ mode: "weighted", weight: 20 }], routeRevision: null, enteredAt: stepAt } });
    const slo = await prisma.resource.create({ data: { meshId: mesh.id, kind: "ServiceLevelObjective", namespace: "shop", name: "checkout-availability", revision: 1 } });
    const alert = await prisma.sloAlert.create({ data: { resourceId: slo.id, pair: "1h/5m", severity: "page", state: "FIRING", since: new Date(base + MINUTE + 5_000), threshold: 14.4 } });
    await prisma.sloAlertEvent.create({ data: { alertId: alert.id, at: new Date(base + MINUTE + 5_000), from: "PENDING", to: "FIRING", reason: "burning 16.2× over 1h, 20.1× over 5m (threshold 14.4×)" } });

    const replay = await viewer.telemetry.topologyReplay.query({ from: new Date(base), to: new Date(base + 6 * MINUTE) });
    expect(replay.markers.filter((mk) => mk.type !== "revision").map((mk) => [mk.type, mk.frame, mk.author, mk.message])).toEqual([
      ["slo-alert", 1, "SLO evaluator", "SLO shop/checkout-availability 1h/5m page alert pending → firing: burning 16.2× over 1h, 20.1× over 5m (threshold 14.4×)"],
      ["rollout-step", 2, "rollout controller (run started by alice)", "Rollout shop/checkout step 1 (weight): v2 at 20 %"],
    ]);
    const elsewhere = await viewer.telemetry.topologyReplay.query({ from: new Date(base), to: new Date(base + 6 * MINUTE), namespace: "payments" });
    expect(elsewhere.markers).toEqual([]);
    expect(elsewhere.frames.every((f) => f.edges.length === 0)).toBe(true);
  });

  it("marks a rollout's approvals, pauses and resumes, aborts and rollbacks from its event timeline, with who acted", async () => {
    const prisma = m.db.prisma;
    const mesh = await prisma.mesh.findUniqueOrThrow({ where: { name: "default" } });
    const run = await prisma.rolloutRun.create({
      data: { meshId: mesh.id, namespace: "shop", name: "cart", rolloutRevision: 1, document: {}, service: "cart", stableVersion: "v1", canaryVersion: "v2", routeName: "cart", state: {}, affinityToken: "t2", startedBy: "alice" },
    });
    const at = (minute: number, seconds: number) => new Date(base + minute * MINUTE + seconds * 1000);
    // As the controller and the operators' actions write them (rollout-plan.ts events), plus ones the replay leaves out.
    await prisma.rolloutEvent.createMany({
      data: [
        { runId: run.id, attempt: 1, wave: 0, step: 0, at: at(0, 20), type: "started", message: "started by alice", actor: "alice" },
        { runId: run.id, attempt: 1, wave: 0, step: 1, at: at(1, 30), type: "waiting-approval", message: "waiting for approval", actor: null },
        { runId: run.id, attempt: 1, wave: 0, step: 1, at: at(2, 30), type: "approved", message: "bob approved step 2", actor: "bob" },
        { runId: run.id, attempt: 1, wave: 0, step: 2, at: at(3, 5), type: "paused", message: "paused by carol", actor: "carol" },
        { runId: run.id, attempt: 1, wave: 0, step: 2, at: at(3, 40), type: "resumed", message: "resumed by carol", actor: "carol" },
        { runId: run.id, attempt: 1, wave: 0, step: 2, at: at(4, 10), type: "analysis-failed", message: "error rate 9 % > 1 %", actor: null },
        { runId: run.id, attempt: 1, wave: 0, step: 2, at: at(4, 11), type: "rolled-back", message: "error rate 9 % > 1 %", actor: null },
        { runId: run.id, attempt: 2, wave: 0, step: 0, at: at(5, 1), type: "aborted", message: "aborted by dave", actor: "dave" },
        // Outside the window: not marked.
        { runId: run.id, attempt: 2, wave: 0, step: 0, at: at(7, 0), type: "approved", message: "erin approved step 1", actor: "erin" },
      ],
    });

    const replay = await viewer.telemetry.topologyReplay.query({ from: new Date(base), to: new Date(base + 6 * MINUTE) });
    const events = replay.markers.filter((mk) => mk.type === "rollout-event");
    expect(events.map((mk) => [mk.frame, mk.type === "rollout-event" ? mk.event : "", mk.author, mk.message])).toEqual([
      [2, "approved", "bob", "Rollout shop/cart approved at step 2: bob approved step 2"],
      [3, "paused", "carol", "Rollout shop/cart paused at step 3: paused by carol"],
      [3, "resumed", "carol", "Rollout shop/cart resumed at step 3: resumed by carol"],
      [4, "rolled-back", "rollout controller", "Rollout shop/cart rolled back at step 3: error rate 9 % > 1 %"],
      [5, "aborted", "dave", "Rollout shop/cart aborted at step 1: aborted by dave"],
    ]);
    expect(events[0]).toMatchObject({ rollout: { namespace: "shop", name: "cart" }, service: "cart", step: { attempt: 1, wave: 0, step: 1 } });
    // Ids are unique (keys and links); the timeline stays in time order with the other markers.
    expect(new Set(replay.markers.map((mk) => mk.id)).size).toBe(replay.markers.length);
    const times = replay.markers.map((mk) => mk.at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Another namespace's replay does not show them.
    const elsewhere = await viewer.telemetry.topologyReplay.query({ from: new Date(base), to: new Date(base + 6 * MINUTE), namespace: "payments" });
    expect(elsewhere.markers.filter((mk) => mk.type === "rollout-event")).toEqual([]);
  });

  it("refuses a window that is backwards, too wide or too finely cut, at the field it is about", async () => {
    const at = (minutes: number) => new Date(base + minutes * MINUTE);
    const paths = async (input: { from: Date; to: Date; step?: number }) => (await refusal(viewer.telemetry.topologyReplay.query(input))).fieldErrors?.map((f) => f.path);
    expect(await paths({ from: at(5), to: at(1) })).toEqual(["to"]);
    expect(await paths({ from: at(0), to: at(25 * 60) })).toEqual(["to"]);
    expect(await paths({ from: at(0), to: at(13 * 60) })).toEqual(["step"]);
    expect(await paths({ from: at(0), to: at(10), step: 90 })).toEqual(["step"]);
  });

  it("is for signed-in users only", async () => {
    const anonymous = await refusal(apiClient(m.url).telemetry.topologyReplay.query({ from: new Date(base), to: new Date(base + MINUTE) }));
    expect(anonymous.code).toBe("UNAUTHORIZED");
  });
});
