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

/** A namespace or cluster drawn as a plain rectangle: centre and size, in model coordinates. */
export interface GroupBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

// The stylesheet's compound padding (namespace 12 px, cluster 18 px), kept for the drawn boxes.
const NAMESPACE_PADDING = 12;
const CLUSTER_PADDING = 18;

/**
 * The rectangles of namespaces and clusters around the positions of their
 * services: what cytoscape would compute for compound nodes, in one linear
 * pass. Large meshes are drawn with these as plain nodes under the services
 * (see LARGE_TOPOLOGY_STYLE) because compound nodes make every style and
 * bounds update walk parents, children and their edges. A service fills its
 * grid cell; a namespace pads its services, a cluster its namespaces.
 */
export function groupBoxes(nodes: readonly NodeData[], positionOf: (id: string) => Point | undefined): Record<string, GroupBox> {
  type Bounds = { x1: number; y1: number; x2: number; y2: number };
  const grow = (map: Map<string, Bounds>, id: string, b: Bounds) => {
    const cur = map.get(id);
    map.set(id, cur ? { x1: Math.min(cur.x1, b.x1), y1: Math.min(cur.y1, b.y1), x2: Math.max(cur.x2, b.x2), y2: Math.max(cur.y2, b.y2) } : b);
  };
  const pad = (b: Bounds, p: number): Bounds => ({ x1: b.x1 - p, y1: b.y1 - p, x2: b.x2 + p, y2: b.y2 + p });
  const parentOf = new Map(nodes.map((n) => [n.id, n.parent]));
  const namespaces = new Map<string, Bounds>();
  for (const n of nodes) {
    if (n.kind !== "service" || !n.parent) continue;
    const p = positionOf(n.id);
    if (p) grow(namespaces, n.parent, { x1: p.x - CELL.width / 2, y1: p.y - CELL.height / 2, x2: p.x + CELL.width / 2, y2: p.y + CELL.height / 2 });
  }
  const clusters = new Map<string, Bounds>();
  const boxes: Record<string, GroupBox> = {};
  const box = (b: Bounds): GroupBox => ({ x: (b.x1 + b.x2) / 2, y: (b.y1 + b.y2) / 2, width: b.x2 - b.x1, height: b.y2 - b.y1 });
  for (const [ns, b] of namespaces) {
    const padded = pad(b, NAMESPACE_PADDING);
    boxes[ns] = box(padded);
    const cluster = parentOf.get(ns);
    if (cluster) grow(clusters, cluster, padded);
  }
  for (const [cluster, b] of clusters) boxes[cluster] = box(pad(b, CLUSTER_PADDING));
  return boxes;
}

export interface LayoutRequest {
  /** First data for this canvas: lay everything out and fit. Otherwise place only what is new. */
  first: boolean;
  /** Positions of nodes already on the canvas, kept where they are on a refresh. */
  fixed: readonly { nodeId: string; position: Point }[];
  /** First data, but some nodes are where the user last saw them: place the rest around them instead of from scratch. */
  remembered?: boolean;
}

/**
 * cytoscape layout options for the force-directed variants (the dashboard's
 * tuned fcose settings). The grouped grid needs no layout run: its positions
 * go into the element definitions, which is cheaper than moving 1,000 nodes
 * (each move dirties its compounds' bounds).
 */
export function layoutOptions(variant: Exclude<LayoutVariant, "grouped-grid">, { first, fixed, remembered = false }: LayoutRequest): LayoutOptions {
  const scratch = first && !remembered;
  return {
    name: "fcose",
    // Draft skips the force-directed polish; it only makes sense from scratch (incremental runs need "default").
    quality: variant === "fcose-draft" && scratch ? "draft" : "default",
    animate: !first,
    randomize: scratch,
    fit: first,
    padding: 30,
    nodeDimensionsIncludeLabels: true,
    idealEdgeLength: 120,
    nodeRepulsion: 6000,
    ...(fixed.length ? { fixedNodeConstraint: fixed } : {}),
  } as LayoutOptions;
}
