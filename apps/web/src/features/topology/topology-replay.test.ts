import { describe, expect, it } from "vitest";
import { DEFAULT_THRESHOLDS, diffElements, isStructural, type GraphOptions } from "./graph-model.ts";
import { frameAt, frameElements, framesAround, markerHref, replayStepSeconds, replayUnion, timelinePercent, type ReplayEdgeLike, type ReplayFrameLike } from "./topology-replay.ts";

const T0 = Date.parse("2026-06-01T12:00:00Z");
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);
const end = (service: string, version = "v1") => ({ cluster: "east", namespace: "shop", service, version });
const edge = (source: string, destination: string, requests: number, errors = 0): ReplayEdgeLike => ({
  source: source === "unknown" ? { cluster: "", namespace: "", service: "unknown", version: "" } : end(source),
  destination: end(destination),
  requests,
  errors,
  rate: requests / 60,
  errorPercent: requests ? (errors / requests) * 100 : 0,
  successPercent: requests ? 100 - (errors / requests) * 100 : null,
  p99: 20,
  mtls: true,
});
const opts: GraphOptions = { splitVersions: false, thresholds: DEFAULT_THRESHOLDS, cluster: null, namespace: null, search: "" };

// frontend → checkout throughout; checkout → payments from minute 3 (a backend added during minute 2).
const frames: ReplayFrameLike[] = [0, 1, 2, 3, 4].map((m) => ({
  at: at(m),
  seconds: 60,
  edges: [edge("unknown", "frontend", 600), edge("frontend", "checkout", 600, m === 4 ? 60 : 0), ...(m >= 3 ? [edge("checkout", "payments", 120)] : [])],
}));
const PAYMENTS = "edge:svc:east/shop/checkout->svc:east/shop/payments";

describe("frame elements", () => {
  const union = replayUnion(frames, opts);
  const of = (i: number) => frameElements(union, frames[i], opts);

  it("draws every frame with the same nodes and edges, so moving the slider never lays the graph out again", () => {
    const ids = (i: number) => [...of(i).nodes.map((n) => n.id), ...of(i).edges.map((e) => e.id)];
    expect(ids(0)).toEqual(ids(4));
    for (let i = 1; i < frames.length; i++) expect(isStructural(diffElements(of(i - 1), of(i)))).toBe(false);
  });

  it("hides an edge in frames where it carried nothing and shows it, with that frame's numbers, where it did", () => {
    const payments = (i: number) => of(i).edges.find((e) => e.id === PAYMENTS);
    expect([0, 1, 2, 3, 4].map((i) => payments(i)?.absent)).toEqual([true, true, true, false, false]);
    expect(payments(3)).toMatchObject({ rate: 2, requests: 120, health: "healthy", label: "2.00/s · 0% · p99 20ms" });
    expect(payments(2)).toMatchObject({ rate: 0, requests: 0, health: "idle", label: "" });
  });

  it("dims a service with no traffic in the frame and colours each by that frame's health", () => {
    const node = (i: number, service: string) => of(i).nodes.find((n) => n.id === `svc:east/shop/${service}`);
    expect(node(2, "payments")).toMatchObject({ dimmed: true, health: "idle", rate: 0 });
    // Set to false, not left out: the canvas merges data, and a missing key would keep the last frame's dimming.
    expect(node(3, "payments")?.dimmed).toBe(false);
    expect(node(3, "checkout")?.health).toBe("healthy");
    expect(node(4, "checkout")?.health).toBe("failing");
  });
});

describe("the timeline", () => {
  it.each([
    ["a minute by minute hour", 60 * MIN, 60],
    ["12 hours", 12 * 60 * MIN, 60],
    ["a day in two-minute frames", 24 * 60 * MIN, 120],
  ])("steps %s", (_name, span, seconds) => {
    expect(replayStepSeconds(span)).toBe(seconds);
  });

  it.each([
    ["in the middle of minute 2", at(2.5), { before: 1, after: 3 }],
    ["on minute 3's first instant", at(3), { before: 2, after: 3 }],
    ["in the first minute", at(0.2), { before: null, after: 1 }],
    ["in the last minute", at(4.9), { before: 3, after: null }],
    ["before the window", at(-2), { before: null, after: 0 }],
    ["after the window", at(7), { before: 4, after: null }],
  ])("shows the graph just before and just after a change %s", (_name, when, expected) => {
    const frame = Math.floor((when.getTime() - T0) / MIN);
    expect(framesAround({ at: when, frame: frame < 0 ? -1 : frame }, frames)).toEqual(expected);
  });

  it.each([
    [at(0), 0],
    [at(2.5), 62.5],
    [at(4), 100],
    [at(9), 100],
    [at(-1), 0],
  ])("places a change at %s at %d % of the slider", (when, percent) => {
    expect(timelinePercent(when, at(0), MIN, frames.length)).toBeCloseTo(percent, 9);
  });

  it("finds the frame a time falls in", () => {
    expect([at(-1), at(0), at(2.9), at(4.5), at(20)].map((t) => frameAt(frames, t.getTime()))).toEqual([0, 0, 2, 4, 4]);
  });

  it.each([
    [{ type: "revision" as const, resource: { kind: "HTTPRoute", namespace: "shop", name: "checkout" }, revision: 3 }, "/policies/history?ns=shop&kind=HTTPRoute&namespace=shop&name=checkout&revision=3#history-heading"],
    [{ type: "rollout-event" as const, rollout: { namespace: "shop", name: "checkout" } }, "/rollouts/detail?ns=shop&namespace=shop&name=checkout"],
    [{ type: "rollout-step" as const, rollout: { namespace: "shop", name: "checkout" } }, "/rollouts/detail?ns=shop&namespace=shop&name=checkout"],
    [{ type: "slo-alert" as const, slo: { namespace: "shop", name: "checkout-availability" } }, "/slos/detail?ns=shop&namespace=shop&name=checkout-availability"],
  ])("links a marker to its details, keeping the view's filters", (marker, href) => {
    expect(markerHref(marker, new URLSearchParams("ns=shop"))).toBe(href);
  });
});
