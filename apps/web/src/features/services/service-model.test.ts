import { describe, expect, it } from "vitest";
import type { TrafficEdge } from "../topology/graph-model.ts";
import { averageRate, changeMarkers, hasTraffic, toColumns } from "./series-model.ts";
import { indexServices, neighbours } from "./service-index.ts";

const end = (cluster: string, namespace: string, service: string, version = "") => ({ cluster, namespace, service, version });
const edge = (s: ReturnType<typeof end>, d: ReturnType<typeof end>, requests: number, errors: number, p99: number | null): TrafficEdge => ({
  source: s,
  destination: d,
  requests,
  errors,
  rate: requests / 60,
  errorPercent: requests ? (errors / requests) * 100 : 0,
  p50: p99,
  p99,
});

const edges = [
  edge(end("", "", "unknown"), end("east", "shop", "frontend", "v1"), 120, 0, 20),
  edge(end("east", "shop", "frontend", "v1"), end("east", "shop", "checkout", "v1"), 60, 3, 80),
  edge(end("east", "shop", "frontend", "v1"), end("west", "shop", "checkout", "v2"), 60, 0, 300),
];

describe("indexServices", () => {
  const services = indexServices(edges, [{ namespace: "shop", name: "cart" }, { namespace: "shop", name: "*" }]);
  it.each<[string, object]>([
    ["shop/cart", { clusters: [], requests: 0, callers: 0, callees: 0 }],
    ["shop/checkout", { clusters: ["east", "west"], versions: ["v1", "v2"], requests: 120, errors: 3, errorPercent: 2.5, p99: 300, callers: 1, callees: 0 }],
    ["shop/frontend", { clusters: ["east"], requests: 120, callers: 1, callees: 1 }],
  ])("%s", (key, expected) => {
    expect(services.find((s) => `${s.namespace}/${s.name}` === key)).toMatchObject(expected);
  });
  it("lists no outside callers and no wildcard", () => expect(services.map((s) => s.name)).toEqual(["cart", "checkout", "frontend"]));
});

describe("neighbours", () => {
  it("callers, callees and instances per cluster/version", () => {
    const n = neighbours(edges, { namespace: "shop", name: "checkout" });
    expect(n.callers.map((c) => `${c.cluster}/${c.service}`)).toEqual(["east/frontend", "east/frontend"]);
    expect(n.callees).toEqual([]);
    expect(n.instances).toEqual([
      { cluster: "east", version: "v1", rate: 1, errorPercent: 5, p99: 80 },
      { cluster: "west", version: "v2", rate: 1, errorPercent: 0, p99: 300 },
    ]);
  });
});

describe("series", () => {
  const at = (s: number) => new Date(s * 1000);
  const points = [
    { at: at(60), requests: 0, rate: 0, errorPercent: 0, p50: null, p90: null, p99: null },
    { at: at(120), requests: 10, rate: 0.16, errorPercent: 10, p50: 5, p90: 9, p99: 12 },
  ];
  it("columns in seconds; no error rate without requests", () => {
    expect(toColumns(points)).toEqual({ x: [60, 120], rate: [0, 0.16], errorPercent: [null, 10], p50: [null, 5], p90: [null, 9], p99: [null, 12] });
  });
  it.each([
    [points, true],
    [points.slice(0, 1), false],
    [[], false],
  ])("hasTraffic %#", (p, expected) => expect(hasTraffic(p)).toBe(expected));

  it("markers inside the window only, in time order", () => {
    const rev = (s: number, revision: number) => ({ createdAt: at(s), kind: "HTTPRoute", namespace: "shop", name: "checkout", revision, authorName: "alice", action: "update" });
    expect(changeMarkers([rev(150, 3), rev(90, 2), rev(30, 1), rev(200, 4)], at(60), at(200))).toEqual([
      { at: 90, label: "update HTTPRoute shop/checkout rev 2 by alice" },
      { at: 150, label: "update HTTPRoute shop/checkout rev 3 by alice" },
    ]);
  });
});

describe("averageRate: the chart's number over the time its data covers", () => {
  const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 12, m));
  const point = (m: number, requests: number) => ({ at: at(m), requests, rate: requests / 60, errorPercent: 0, p50: null, p90: null, p99: null });
  it("divides by the minutes since traffic began, not the whole window", () => {
    const points = [point(0, 0), point(1, 0), point(57, 600), point(58, 600), point(59, 600)];
    expect(averageRate(points, at(60), at(75).getTime())).toEqual({ rate: 10, seconds: 180 });
    // Now inside the window: up to now.
    expect(averageRate(points, at(60), at(59).getTime() + 30_000)).toEqual({ rate: 1800 / 150, seconds: 150 });
    expect(averageRate([point(0, 0)], at(60), at(75).getTime())).toBeNull();
  });
});
