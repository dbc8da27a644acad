import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { describe, expect, it } from "vitest";
import type { EdgeMinuteRow } from "./telemetry.repository.ts";
import { buildFrames, buildMarkers, describeTraffic, frameIndexOf, minuteWindow, type RevisionFact, type RolloutStepFact, type SloAlertFact } from "./topology-replay.ts";
import { TopologyReplayInputSchema } from "./topology-replay.schema.ts";

const T0 = Date.parse("2026-06-01T12:00:00Z");
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);
const end = (service: string, version = "v1") => ({ cluster: "east", namespace: "shop", service, version });
function sketch(...ms: number[]) {
  const s = new LatencySketch();
  for (const v of ms) s.add(v);
  return s.toJSON();
}
const row = (minute: number, source: string, destination: string, requests: number, errors: number, latencies: number[], codeClass = "2xx", mtls = requests): EdgeMinuteRow => ({
  minute: at(minute),
  source: end(source),
  destination: end(destination),
  codeClass,
  requests,
  errors,
  mtlsRequests: mtls,
  latency: sketch(...latencies),
});

describe("buildFrames", () => {
  // frontend → checkout every minute; checkout → payments only from minute 3 on (a backend added then).
  const rows = [
    ...[0, 1, 2, 3, 4].map((m) => row(m, "frontend", "checkout", 600, 0, Array(100).fill(20))),
    row(2, "frontend", "checkout", 60, 60, Array(60).fill(900), "5xx"),
    row(3, "checkout", "payments", 120, 0, Array(120).fill(5)),
    row(4, "checkout", "payments", 240, 12, Array(240).fill(7), "2xx", 200),
  ];
  const frames = buildFrames(rows, { from: at(0), to: at(5), stepMs: MIN }, at(60));

  it("gives one frame per minute, each with only the edges that had traffic in it", () => {
    expect(frames.map((f) => f.at)).toEqual([0, 1, 2, 3, 4].map(at));
    expect(frames.map((f) => f.edges.map((e) => `${e.source.service}→${e.destination.service}`).sort())).toEqual([
      ["frontend→checkout"],
      ["frontend→checkout"],
      ["frontend→checkout"],
      ["checkout→payments", "frontend→checkout"],
      ["checkout→payments", "frontend→checkout"],
    ]);
  });

  it("gives each edge its rate over the frame, success rate, p99 and mTLS from that frame's rows only", () => {
    const checkout = (i: number) => frames[i]?.edges.find((e) => e.destination.service === "checkout");
    expect(checkout(0)).toMatchObject({ requests: 600, errors: 0, rate: 10, successPercent: 100, mtls: true });
    // Minute 2 adds 60 failed requests of 900 ms: success 600/660, and the p99 is the slow tail.
    expect(checkout(2)).toMatchObject({ requests: 660, errors: 60, rate: 11 });
    expect(checkout(2)?.successPercent).toBeCloseTo((600 / 660) * 100, 6);
    expect(checkout(2)?.p99).toBeGreaterThan(850);
    expect(checkout(1)?.p99).toBeLessThan(21);
    const payments = frames[4]?.edges.find((e) => e.destination.service === "payments");
    expect(payments).toMatchObject({ requests: 240, errors: 12, rate: 4, successPercent: 95, mtls: false });
  });

  it.each([
    ["a whole step", 60, 180],
    ["a frame under way covers the time so far", 4.5, 90],
    ["but at least a minute, as telemetry.edges", 3.2, 60],
  ])("divides by %s", (_name, nowMinutes, seconds) => {
    const f = buildFrames([row(3, "a", "b", 360, 0, [1])], { from: at(0), to: at(6), stepMs: 3 * MIN }, at(nowMinutes));
    expect(f[1]?.seconds).toBe(seconds);
    expect(f[1]?.edges[0]?.rate).toBeCloseTo(360 / seconds, 9);
  });

  it("groups minutes into wider steps, the last frame cut at the window's end", () => {
    const f = buildFrames(rows, { from: at(0), to: at(5), stepMs: 2 * MIN }, at(60));
    expect(f.map((x) => [x.at.getTime(), x.seconds])).toEqual([
      [at(0).getTime(), 120],
      [at(2).getTime(), 120],
      [at(4).getTime(), 60],
    ]);
    expect(f[0]?.edges[0]).toMatchObject({ requests: 1200, rate: 10 });
  });
});

describe("marker placement", () => {
  it.each([
    ["at a frame's start", 3, 3],
    ["inside a frame", 3.5, 3],
    ["just before the next", 3.999, 3],
    ["before the window", -0.5, -1],
  ])("places a change %s", (_name, minutes, frame) => {
    expect(frameIndexOf(at(minutes), at(0), MIN)).toBe(frame);
  });

  const revision: RevisionFact = { at: at(2.5), kind: "HTTPRoute", namespace: "shop", name: "checkout", revision: 2, action: "update", author: "alice", message: "send 10 % to payments v2", services: ["shop/checkout"] };
  const step: RolloutStepFact = { at: at(2.5), namespace: "shop", name: "checkout", service: "checkout", canaryVersion: "v2", stableVersion: "v1", startedBy: "bob", attempt: 1, wave: 0, step: 1, kind: "weight", traffic: [{ mode: "weighted", weight: 20 }], routeRevision: 3 };
  const alert: SloAlertFact = { at: at(1), namespace: "shop", name: "checkout-availability", scope: "", pair: "1h/5m", severity: "page", from: "PENDING", to: "FIRING", reason: "burning 16.2× over 1h" };

  it("marks every change on its frame, earliest first, with who and why", () => {
    const markers = buildMarkers({ revisions: [revision], rolloutSteps: [step], sloAlerts: [alert] }, { from: at(0), stepMs: MIN });
    expect(markers.map((m) => [m.type, m.frame, m.author, m.message])).toEqual([
      ["slo-alert", 1, "SLO evaluator", "SLO shop/checkout-availability 1h/5m page alert pending → firing: burning 16.2× over 1h"],
      ["revision", 2, "alice", "send 10 % to payments v2"],
      ["rollout-step", 2, "rollout controller (run started by bob)", "Rollout shop/checkout step 2 (weight): v2 at 20 %"],
    ]);
    expect(markers[1]).toMatchObject({ id: "revision:HTTPRoute/shop/checkout@2", resource: { kind: "HTTPRoute", namespace: "shop", name: "checkout" }, revision: 2 });
    expect(new Set(markers.map((m) => m.id)).size).toBe(3);
  });

  it("says what a revision without a message did", () => {
    const [m] = buildMarkers({ revisions: [{ ...revision, kind: "Mesh", namespace: "", name: "default", message: "", action: "create" }], rolloutSteps: [], sloAlerts: [] }, { from: at(0), stepMs: MIN });
    expect(m?.message).toBe("Mesh default created (no message)");
  });

  it.each([
    [[{ mode: "weighted", weight: 20 }], "v2 at 20 %"],
    [[{ mode: "mirror", percent: 5 }], "5 % mirrored to v2"],
    [[{ mode: "weighted", weight: 50 }, { mode: "stable" }], "wave 1: v2 at 50 %, wave 2: all to stable"],
    [[{ mode: "canary" }, { mode: "canary" }], "all to v2"],
    [null, ""],
  ])("describes step traffic %j", (traffic, words) => {
    expect(describeTraffic(traffic, "v2")).toBe(words);
  });
});

describe("the replay window", () => {
  it("rounds out to whole minutes", () => {
    expect(minuteWindow(new Date(T0 + 1_500), new Date(T0 + 61_000))).toEqual({ from: at(0), to: at(2) });
  });

  it.each([
    ["to before from", { from: at(5), to: at(1) }, [["to", "must be after from"]]],
    ["an empty window", { from: at(1), to: at(1) }, [["to", "must be after from"]]],
    ["more than a day", { from: at(0), to: at(24 * 60 + 1) }, [["to", "the window may span at most 24 hours"]]],
    ["too many frames", { from: at(0), to: at(13 * 60) }, [["step", "too many frames (at most 720): widen the step or narrow the window"]]],
    ["a step that is not whole minutes", { from: at(0), to: at(10), step: 90 }, [["step", expect.stringContaining("multiple of 60")]]],
  ])("refuses %s at the field it is about", (_name, input, issues) => {
    const parsed = TopologyReplayInputSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual(issues);
  });

  it("takes a day at two-minute steps, and a minute-by-minute hour", () => {
    expect(TopologyReplayInputSchema.safeParse({ from: at(0), to: at(24 * 60), step: 120 }).success).toBe(true);
    expect(TopologyReplayInputSchema.parse({ from: at(0), to: at(60) }).step).toBe(60);
  });
});
