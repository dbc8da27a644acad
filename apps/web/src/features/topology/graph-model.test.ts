import { describe, expect, it } from "vitest";
import { buildGraph, classifyHealth, DEFAULT_THRESHOLDS, diffElements, edgeLabel, isStructural, nodeIdOf, parseThresholds, type GraphOptions, type Health, type TrafficEdge } from "./graph-model.ts";

const end = (cluster: string, namespace: string, service: string, version = "") => ({ cluster, namespace, service, version });
const edge = (source: ReturnType<typeof end>, destination: ReturnType<typeof end>, requests: number, errors: number, p99: number | null, extra: Partial<TrafficEdge> = {}): TrafficEdge => ({
  source,
  destination,
  requests,
  errors,
  rate: requests / 60,
  errorPercent: requests ? (errors / requests) * 100 : 0,
  p50: p99,
  p99,
  ...extra,
});

const opts: GraphOptions = { splitVersions: false, thresholds: DEFAULT_THRESHOLDS, cluster: null, namespace: null, search: "" };

const fixture: TrafficEdge[] = [
  edge(end("", "", "unknown"), end("east", "shop", "frontend", "v1"), 600, 0, 40),
  edge(end("east", "shop", "frontend", "v1"), end("east", "shop", "checkout", "v1"), 540, 0, 80),
  edge(end("east", "shop", "frontend", "v1"), end("east", "shop", "checkout", "v2"), 60, 6, 900, { mtls: true }),
  edge(end("east", "shop", "checkout", "v1"), end("west", "pay", "payments", "v1"), 300, 30, 150, { mtls: true }),
];

describe("classifyHealth", () => {
  it.each<[string, { requests: number; errorPercent: number; p99: number | null }, Health]>([
    ["no traffic", { requests: 0, errorPercent: 0, p99: null }, "idle"],
    ["clean", { requests: 10, errorPercent: 0.5, p99: 100 }, "healthy"],
    ["errors degrade", { requests: 10, errorPercent: 1, p99: 100 }, "degraded"],
    ["errors fail", { requests: 10, errorPercent: 5, p99: 100 }, "failing"],
    ["slow degrades", { requests: 10, errorPercent: 0, p99: 500 }, "degraded"],
    ["very slow fails", { requests: 10, errorPercent: 0, p99: 2500 }, "failing"],
    ["no latency samples", { requests: 10, errorPercent: 0, p99: null }, "healthy"],
  ])("%s", (_n, stats, expected) => expect(classifyHealth(stats, DEFAULT_THRESHOLDS)).toBe(expected));

  it("uses the thresholds it is given", () => {
    expect(classifyHealth({ requests: 1, errorPercent: 0.2, p99: 10 }, { ...DEFAULT_THRESHOLDS, errorDegraded: 0.1 })).toBe("degraded");
  });
});

describe("nodeIdOf / edgeLabel", () => {
  it.each<[ReturnType<typeof end>, boolean, string]>([
    [end("east", "shop", "checkout", "v2"), false, "svc:east/shop/checkout"],
    [end("east", "shop", "checkout", "v2"), true, "svc:east/shop/checkout@v2"],
    [end("east", "shop", "checkout", ""), true, "svc:east/shop/checkout"],
    [end("", "", "unknown"), false, "ext:unknown"],
  ])("%j split=%s → %s", (e, split, id) => expect(nodeIdOf(e, split)).toBe(id));

  it.each([
    [{ rate: 12.4, errorPercent: 0.5, p99: 120.2 }, "12/s · 0.5% · p99 120ms"],
    [{ rate: 0.005, errorPercent: 0, p99: null }, "<0.01/s · 0% · p99 n/a"],
    [{ rate: 1.5, errorPercent: 0.01, p99: 4.25 }, "1.50/s · <0.1% · p99 4.3ms"],
  ])("%j", (e, label) => expect(edgeLabel(e)).toBe(label));
});

describe("buildGraph", () => {
  it("nests services in namespaces in clusters; callers from outside stand alone", () => {
    const g = buildGraph(fixture, opts);
    expect(g.nodes.map((n) => [n.id, n.parent ?? null])).toEqual([
      ["cluster:east", null],
      ["cluster:west", null],
      ["ns:east/shop", "cluster:east"],
      ["ns:west/pay", "cluster:west"],
      ["svc:east/shop/checkout", "ns:east/shop"],
      ["svc:east/shop/frontend", "ns:east/shop"],
      ["svc:west/pay/payments", "ns:west/pay"],
      ["ext:unknown", null],
    ]);
  });

  it("merges version edges unless split, and takes the worst p99", () => {
    const merged = buildGraph(fixture, opts).edges.find((e) => e.id === "edge:svc:east/shop/frontend->svc:east/shop/checkout");
    expect(merged).toMatchObject({ requests: 600, errors: 6, errorPercent: 1, p99: 900, health: "degraded", mtls: true, mtlsState: "on" });
    const split = buildGraph(fixture, { ...opts, splitVersions: true });
    expect(split.edges.map((e) => e.id)).toContain("edge:svc:east/shop/frontend@v1->svc:east/shop/checkout@v2");
    expect(split.nodes.find((n) => n.id === "svc:east/shop/checkout@v2")?.label).toBe("checkout v2");
  });

  it.each<[string, Partial<GraphOptions>, number]>([
    ["no filter (versions merged)", {}, 3],
    ["no filter, versions split", { splitVersions: true }, 4],
    ["cluster west keeps edges touching it", { cluster: "west" }, 1],
    ["namespace shop", { namespace: "shop" }, 3],
    ["unknown cluster", { cluster: "north" }, 0],
  ])("filter: %s", (_n, o, count) => expect(buildGraph(fixture, { ...opts, ...o }).edges).toHaveLength(count));

  it("colours a service by its worst inbound edge and sums its inbound rate", () => {
    const payments = buildGraph(fixture, opts).nodes.find((n) => n.id === "svc:west/pay/payments");
    expect(payments).toMatchObject({ health: "failing", rate: 5 });
  });

  it("search marks matches and dims the rest", () => {
    const g = buildGraph(fixture, { ...opts, search: "PAY" });
    expect(g.nodes.filter((n) => n.matched).map((n) => n.id)).toEqual(["svc:west/pay/payments"]);
    expect(g.nodes.find((n) => n.id === "svc:east/shop/frontend")?.dimmed).toBe(true);
    expect(g.edges.find((e) => e.target === "svc:west/pay/payments")?.dimmed).toBe(false);
  });

  it("says dimmed: false once the search is cleared (the canvas merges data, so a missing flag would keep the old one)", () => {
    const g = buildGraph(fixture, { ...opts, search: "" });
    const services = g.nodes.filter((n) => n.kind === "service");
    expect(services.length).toBeGreaterThan(0);
    for (const n of services) expect(n).toMatchObject({ dimmed: false, matched: false });
    for (const e of g.edges) expect(e.dimmed).toBe(false);
  });

  it("leaves mtls unknown when the data does not say", () => {
    expect(buildGraph(fixture, opts).edges.find((e) => e.source === "ext:unknown")?.mtls).toBeNull();
  });
});

describe("diffElements", () => {
  const before = buildGraph(fixture, opts);

  it("no change, no work", () => {
    const d = diffElements(before, buildGraph(fixture, opts));
    expect(d).toEqual({ addNodes: [], addEdges: [], remove: [], update: [] });
    expect(isStructural(d)).toBe(false);
  });

  it("new traffic numbers update in place", () => {
    const busier = fixture.map((e) => ({ ...e, requests: e.requests * 2, rate: e.rate * 2, errors: e.errors * 2 }));
    const d = diffElements(before, buildGraph(busier, opts));
    expect(isStructural(d)).toBe(false);
    expect(d.update.map((x) => x.id)).toContain("edge:svc:east/shop/frontend->svc:east/shop/checkout");
  });

  it("a new caller adds nodes and an edge; a vanished one is removed", () => {
    const next = [...fixture.slice(0, 3), edge(end("west", "pay", "ledger"), end("west", "pay", "payments"), 60, 0, 10)];
    const d = diffElements(before, buildGraph(next, opts));
    expect(d.addNodes.map((n) => n.id)).toEqual(["svc:west/pay/ledger"]);
    expect(d.addEdges.map((e) => e.id)).toEqual(["edge:svc:west/pay/ledger->svc:west/pay/payments"]);
    expect(d.remove).toEqual(["edge:svc:east/shop/checkout->svc:west/pay/payments"]);
    expect(isStructural(d)).toBe(true);
  });
});

describe("parseThresholds", () => {
  it.each([
    [{ errorDegraded: "2", errorFailing: "10", p99Degraded: "300", p99Failing: "1000" }, { errorDegraded: 2, errorFailing: 10, p99Degraded: 300, p99Failing: 1000 }],
    [{ errorDegraded: "x", errorFailing: "", p99Degraded: "-1", p99Failing: "3000" }, { ...DEFAULT_THRESHOLDS, p99Failing: 3000 }],
    [{ errorDegraded: "8", errorFailing: "5", p99Degraded: "500", p99Failing: "2000" }, { ...DEFAULT_THRESHOLDS, errorDegraded: 8, errorFailing: 8 }],
  ])("%j", (input, expected) => expect(parseThresholds(input, DEFAULT_THRESHOLDS)).toEqual(expected));
});

describe("buildGraph: multi-cluster marks", () => {
  const mark = (cluster: string, service: string, exported: boolean, calledFrom: string[] = [], mode: "All" | "Selected" = "Selected") => ({ cluster, namespace: "shop", service, exported, mode, to: exported ? ["east", "west"].filter((c) => c !== cluster) : [], calledFrom });
  const exports = [mark("east", "frontend", false), mark("east", "catalog", true), mark("west", "catalog", true, ["east"]), mark("west", "reviews", false, ["east"])];
  const traffic: TrafficEdge[] = [
    edge(end("east", "shop", "frontend"), end("east", "shop", "catalog"), 60, 0, 10),
    edge(end("east", "shop", "frontend"), end("west", "shop", "catalog"), 30, 0, 20),
    // An unexported service's callers elsewhere have no endpoint: their telemetry names no cluster.
    edge(end("east", "shop", "frontend"), end("", "shop", "reviews"), 20, 20, 1),
  ];

  it("marks exported services, services called from elsewhere without export, and cross-cluster edges", () => {
    const g = buildGraph(traffic, { ...opts, exports });
    const state = Object.fromEntries(g.nodes.filter((n) => n.kind === "service").map((n) => [n.id, n.exportState]));
    expect(state).toEqual({ "svc:east/shop/catalog": "exported", "svc:east/shop/frontend": "none", "svc:west/shop/catalog": "exported", "svc:west/shop/reviews": "not-exported" });
    const cross = Object.fromEntries(g.edges.map((e) => [e.id, [e.crossCluster, e.health]]));
    expect(cross).toEqual({
      "edge:svc:east/shop/frontend->svc:east/shop/catalog": [false, "healthy"],
      "edge:svc:east/shop/frontend->svc:west/shop/catalog": [true, "healthy"],
      // drawn to the cluster that does not export it, failing, not to "outside the mesh"
      "edge:svc:east/shop/frontend->svc:west/shop/reviews": [true, "failing"],
    });
  });

  it("without export marks nothing is marked and a call that reached no cluster stays outside", () => {
    const g = buildGraph(traffic, opts);
    expect(g.nodes.filter((n) => n.kind === "service").every((n) => n.exportState === "none")).toBe(true);
    expect(g.edges.map((e) => e.target)).toContain("ext:reviews");
  });

  it("a call to a service the caller's own cluster runs is not re-pointed to another cluster", () => {
    const g = buildGraph([edge(end("east", "shop", "frontend"), end("", "shop", "catalog"), 5, 5, 1)], { ...opts, exports: [...exports, mark("west", "catalog", false, ["east"])] });
    expect(g.edges.map((e) => e.target)).toEqual(["ext:catalog"]);
  });
});
