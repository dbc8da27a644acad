import { describe, expect, it } from "vitest";
import { buildGraph, DEFAULT_THRESHOLDS, type TrafficEdge } from "./graph-model.ts";
import { CELL, chooseLayout, groupBoxes, groupedGridPositions, LARGE_GRAPH_SERVICES, layoutOptions, shelfPack, type Point } from "./topology-layout.ts";

describe("chooseLayout", () => {
  it.each([
    [0, "fcose"],
    [12, "fcose"],
    [LARGE_GRAPH_SERVICES, "fcose"],
    [LARGE_GRAPH_SERVICES + 1, "grouped-grid"],
    [1000, "grouped-grid"],
  ])("%i services → %s", (services, variant) => expect(chooseLayout(services)).toBe(variant));
});

describe("layoutOptions", () => {
  it.each([
    ["fcose", true, "default", false],
    ["fcose-draft", true, "draft", false],
    // Draft cannot place nodes incrementally around fixed ones.
    ["fcose-draft", false, "default", true],
  ] as const)("%s first=%s → quality %s, animated %s", (variant, first, quality, animate) => {
    expect(layoutOptions(variant, { first, fixed: [] })).toMatchObject({ name: "fcose", quality, animate, randomize: first, fit: first });
  });

  it("keeps nodes already shown fixed on a refresh", () => {
    const fixed = [{ nodeId: "svc:a/b/c", position: { x: 1, y: 2 } }];
    expect(layoutOptions("fcose", { first: false, fixed })).toMatchObject({ fixedNodeConstraint: fixed });
  });
});

describe("shelfPack", () => {
  it("wraps rows so the block is landscape, and never overlaps", () => {
    const boxes = Array.from({ length: 9 }, () => ({ width: 100, height: 100 }));
    const { at, width, height } = shelfPack(boxes, 10);
    expect(width).toBeGreaterThan(height);
    const cells = new Set(at.map((p) => `${p.x},${p.y}`));
    expect(cells.size).toBe(9);
    expect(at[0]).toEqual({ x: 0, y: 0 });
  });

  it("an empty list packs to nothing", () => expect(shelfPack([], 10)).toEqual({ at: [], width: 0, height: 0 }));
});

describe("groupedGridPositions", () => {
  const end = (cluster: string, namespace: string, service: string) => ({ cluster, namespace, service, version: "v1" });
  const call = (from: ReturnType<typeof end>, to: ReturnType<typeof end>): TrafficEdge => ({ source: from, destination: to, requests: 1, errors: 0, rate: 1, errorPercent: 0, p50: 1, p99: 1 });
  const edges: TrafficEdge[] = [];
  for (const cluster of ["east", "west"])
    for (const ns of ["shop", "pay", "auth"])
      for (let i = 0; i < 7; i++) edges.push(call(end(cluster, ns, `caller-${i}`), end(cluster, ns, `svc-${i}`)));
  edges.push(call(end("", "", "unknown"), end("east", "shop", "svc-0")));
  const graph = buildGraph(edges, { splitVersions: false, thresholds: DEFAULT_THRESHOLDS, cluster: null, namespace: null, search: "" });
  const positions = groupedGridPositions(graph.nodes);
  const placeable = graph.nodes.filter((n) => n.kind === "service" || n.kind === "external");

  it("places every service and external node, and no compound", () => {
    expect(Object.keys(positions).sort()).toEqual(placeable.map((n) => n.id).sort());
  });

  it("gives every node its own cell", () => {
    const points = Object.values(positions);
    for (const [i, a] of points.entries())
      for (const b of points.slice(i + 1)) expect(Math.abs(a.x - b.x) >= CELL.width || Math.abs(a.y - b.y) >= CELL.height).toBe(true);
  });

  // A user would notice a namespace or cluster box drawn over another one.
  it.each(["namespace", "cluster"] as const)("%s boxes do not overlap", (level) => {
    const groupOf = (id: string) => {
      const n = graph.nodes.find((x) => x.id === id)!;
      return level === "namespace" ? `${n.cluster}/${n.namespace}` : n.cluster!;
    };
    const boxes = new Map<string, { x1: number; y1: number; x2: number; y2: number }>();
    for (const n of graph.nodes.filter((x) => x.kind === "service")) {
      const p = positions[n.id] as Point;
      const b = boxes.get(groupOf(n.id)) ?? { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
      boxes.set(groupOf(n.id), { x1: Math.min(b.x1, p.x), y1: Math.min(b.y1, p.y), x2: Math.max(b.x2, p.x), y2: Math.max(b.y2, p.y) });
    }
    const list = [...boxes.values()];
    expect(list).toHaveLength(level === "namespace" ? 6 : 2);
    for (const [i, a] of list.entries())
      for (const b of list.slice(i + 1)) expect(a.x2 < b.x1 || b.x2 < a.x1 || a.y2 < b.y1 || b.y2 < a.y1).toBe(true);
  });

  it("is deterministic", () => expect(groupedGridPositions(graph.nodes)).toEqual(positions));
});

describe("groupBoxes", () => {
  const nodes = buildGraph(
    [
      { source: { cluster: "east", namespace: "shop", service: "a", version: "" }, destination: { cluster: "east", namespace: "shop", service: "b", version: "" }, requests: 1, errors: 0, rate: 1, errorPercent: 0, p50: 1, p99: 1 },
      { source: { cluster: "east", namespace: "pay", service: "c", version: "" }, destination: { cluster: "east", namespace: "shop", service: "b", version: "" }, requests: 1, errors: 0, rate: 1, errorPercent: 0, p50: 1, p99: 1 },
    ],
    { splitVersions: false, thresholds: DEFAULT_THRESHOLDS, cluster: null, namespace: null, search: "" },
  ).nodes;
  const at: Record<string, Point> = { "svc:east/shop/a": { x: 55, y: 35 }, "svc:east/shop/b": { x: 165, y: 35 }, "svc:east/pay/c": { x: 55, y: 205 } };
  const boxes = groupBoxes(nodes, (id) => at[id]);

  it.each([
    // Two cells side by side (220 × 70) plus 12 px padding on each side.
    ["ns:east/shop", { x: 110, y: 35, width: 244, height: 94 }],
    ["ns:east/pay", { x: 55, y: 205, width: 134, height: 94 }],
    // Both namespace boxes plus 18 px padding.
    ["cluster:east", { x: 110, y: 120, width: 280, height: 300 }],
  ])("%s surrounds its members", (id, expected) => expect(boxes[id]).toEqual(expected));

  it("leaves out a group none of whose services has a position yet", () => {
    expect(groupBoxes(nodes, () => undefined)).toEqual({});
  });
});
