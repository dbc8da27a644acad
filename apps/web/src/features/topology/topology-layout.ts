// Which layout the topology canvas runs, as plain data. Small meshes get
// fcose (force-directed, compound-aware: the most readable); above
// LARGE_GRAPH_SERVICES its cost grows past what an operator should wait for
// (see "Topology rendering" in docs/benchmarks.md), so large meshes get a
// grouped grid: services in a grid inside their namespace, namespaces packed
// inside their cluster, clusters packed side by side, computed here in
// linear time and given to cytoscape with the elements.
import type { LayoutOptions } from "cytoscape";
import type { NodeData } from "./graph-model.ts";

export type LayoutVariant = "fcose" | "fcose-draft" | "grouped-grid";

/** Above this many service nodes the canvas lays out with the grouped grid instead of fcose. */
export const LARGE_GRAPH_SERVICES = 300;

/** The layout for a graph with this many service nodes. */
export function chooseLayout(serviceCount: number): LayoutVariant {
  return serviceCount > LARGE_GRAPH_SERVICES ? "grouped-grid" : "fcose";
}

export interface Point {
  x: number;
  y: number;
}

/** Grid cell of one service: wide enough for a label like "checkout-v2", tall enough for the label below the dot. */
export const CELL = { width: 110, height: 70 } as const;
// Room between compounds for their padding (18 / 12 px in the stylesheet) and their title above them.
const NAMESPACE_GAP = 50;
const CLUSTER_GAP = 90;

interface Box {
  width: number;
  height: number;
}

/**
 * Shelf packing: boxes left to right, wrapping into a new row at a width that
 * makes the whole block roughly `aspect` (width / height), so it fills a
 * landscape canvas. Returns each box's top-left corner and the block's size.
 */
export function shelfPack(boxes: readonly Box[], gap: number, aspect = 1.6): { at: Point[]; width: number; height: number } {
  const area = boxes.reduce((sum, b) => sum + (b.width + gap) * (b.height + gap), 0);
  const widest = boxes.reduce((max, b) => Math.max(max, b.width), 0);
  const rowWidth = Math.max(widest, Math.sqrt(area * aspect));
  const at: Point[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let width = 0;
  for (const b of boxes) {
    // Wrap when more than half of the box would stick out: rounds to the nearer row width, not always down.
    if (x > 0 && x + b.width / 2 > rowWidth) {
      y += rowHeight + gap;
      x = 0;
      rowHeight = 0;
    }
    at.push({ x, y });
    width = Math.max(width, x + b.width);
    rowHeight = Math.max(rowHeight, b.height);
    x += b.width + gap;
  }
  return { at, width, height: boxes.length ? y + rowHeight : 0 };
}

/**
 * Positions of every service and external node for the grouped grid, keyed
 * by node id (compound nodes follow their children). Deterministic: the same
 * elements always give the same picture.
 */
export function groupedGridPositions(nodes: readonly NodeData[]): Record<string, Point> {
  const byNamespace = new Map<string, NodeData[]>();
  const namespacesByCluster = new Map<string, string[]>();
  const externals: NodeData[] = [];
  for (const n of nodes) {
    if (n.kind === "namespace" && n.parent) {
      const list = namespacesByCluster.get(n.parent) ?? [];
      list.push(n.id);
      namespacesByCluster.set(n.parent, list);
    } else if (n.kind === "service" && n.parent) {
      const list = byNamespace.get(n.parent) ?? [];
      list.push(n);
      byNamespace.set(n.parent, list);
    } else if (n.kind === "external") externals.push(n);
  }

  // Innermost first: each namespace's grid, then namespaces inside each cluster, then clusters.
  const namespaceGrid = new Map<string, { columns: number; box: Box }>();
  for (const [ns, services] of byNamespace) {
    const columns = Math.max(1, Math.ceil(Math.sqrt(services.length * 1.6 * (CELL.height / CELL.width))));
    const rows = Math.ceil(services.length / columns);
    namespaceGrid.set(ns, { columns, box: { width: columns * CELL.width, height: rows * CELL.height } });
  }
  const clusters = [...namespacesByCluster.entries()].map(([cluster, namespaces]) => {
    const withServices = namespaces.filter((ns) => namespaceGrid.has(ns));
    const packed = shelfPack(withServices.map((ns) => namespaceGrid.get(ns)!.box), NAMESPACE_GAP);
    return { cluster, namespaces: withServices, packed };
  });
  const top = shelfPack(clusters.map((c) => ({ width: c.packed.width, height: c.packed.height })), CLUSTER_GAP);

  const positions: Record<string, Point> = {};
  clusters.forEach((c, ci) => {
    const origin = top.at[ci]!;
    c.namespaces.forEach((ns, ni) => {
      const corner = c.packed.at[ni]!;
      const { columns } = namespaceGrid.get(ns)!;
      byNamespace.get(ns)!.forEach((svc, i) => {
        positions[svc.id] = {
          x: origin.x + corner.x + (i % columns) * CELL.width + CELL.width / 2,
          y: origin.y + corner.y + Math.floor(i / columns) * CELL.height + CELL.height / 2,
        };
      });
    });
  });
  // Callers from outside the mesh: a column left of everything.
  externals.forEach((n, i) => {
    positions[n.id] = { x: -CLUSTER_GAP - CELL.width / 2, y: i * CELL.height + CELL.height / 2 };
  });
  return positions;
}

export interface LayoutRequest {
  /** First data for this canvas: lay everything out and fit. Otherwise place only what is new. */
  first: boolean;
  /** Positions of nodes already on the canvas, kept where they are on a refresh. */
  fixed: readonly { nodeId: string; position: Point }[];
}

/**
 * cytoscape layout options for the force-directed variants (the dashboard's
 * tuned fcose settings). The grouped grid needs no layout run: its positions
 * go into the element definitions, which is cheaper than moving 1,000 nodes
 * (each move dirties its compounds' bounds).
 */
export function layoutOptions(variant: Exclude<LayoutVariant, "grouped-grid">, { first, fixed }: LayoutRequest): LayoutOptions {
  return {
    name: "fcose",
    // Draft skips the force-directed polish; it only makes sense from scratch (incremental runs need "default").
    quality: variant === "fcose-draft" && first ? "draft" : "default",
    animate: !first,
    randomize: first,
    fit: first,
    padding: 30,
    nodeDimensionsIncludeLabels: true,
    idealEdgeLength: 120,
    nodeRepulsion: 6000,
    ...(fixed.length ? { fixedNodeConstraint: fixed } : {}),
  } as LayoutOptions;
}
