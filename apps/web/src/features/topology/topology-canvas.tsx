"use client";

import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import fcose from "cytoscape-fcose";
import { useEffect, useRef } from "react";
import { diffElements, isStructural, type EdgeData, type GraphElements, type NodeData } from "./graph-model.ts";
import { chooseLayout, groupBoxes, groupedGridPositions, layoutOptions, type GroupBox, type LayoutVariant, type Point } from "./topology-layout.ts";
import { loadPositions, rememberedLayout, savePositions } from "./position-memory.ts";
import { LARGE_TOPOLOGY_STYLE, TOPOLOGY_STYLE } from "./topology-style.ts";
import { EDGE_LABEL_ZOOM, edgesToLabel, viewportAfterResize } from "./topology-viewport.ts";

let registered = false;
function register() {
  if (registered) return;
  cytoscape.use(fcose);
  registered = true;
}

const toDefs = (nodes: NodeData[], edges: EdgeData[], positions: Record<string, Point> | null, boxes: Record<string, GroupBox> | null): ElementDefinition[] => [
  ...nodes.map((data) => {
    const box = boxes?.[data.id];
    if (box) return { group: "nodes" as const, data: withoutParent({ ...data, width: box.width, height: box.height }), position: { x: box.x, y: box.y }, grabbable: false, selectable: false };
    const position = positions?.[data.id];
    return { group: "nodes" as const, data: boxes ? withoutParent({ ...data }) : { ...data }, ...(position ? { position } : {}) };
  }),
  ...edges.map((data) => ({ group: "edges" as const, data: { ...data } })),
];

/** Large meshes draw groups as boxes, not compound parents: the membership stays in the model (NodeData), not in cytoscape. */
function withoutParent<T extends object>(data: T): Omit<T, "parent"> {
  const { parent: _parent, ...rest } = data as T & { parent?: string };
  return rest;
}

/** Moves and resizes the group boxes of a large mesh around their services' current positions. */
function fitBoxes(cy: Core, nodes: readonly NodeData[]) {
  const boxes = groupBoxes(nodes, (id) => {
    const n = cy.getElementById(id);
    return n.nonempty() ? n.position() : undefined;
  });
  cy.batch(() => {
    for (const [id, b] of Object.entries(boxes)) {
      const n = cy.getElementById(id);
      const p = n.position();
      if (p.x === b.x && p.y === b.y && n.data("width") === b.width && n.data("height") === b.height) continue;
      n.data({ width: b.width, height: b.height });
      n.position({ x: b.x, y: b.y });
    }
  });
}

const EMPTY: GraphElements = { nodes: [], edges: [] };

const browserStore = () => (typeof window === "undefined" ? null : window.localStorage);

/** Remembers where the services are drawn now (after a layout or a drag), for the next visit. */
function rememberPositions(cy: Core) {
  savePositions(browserStore(), Object.fromEntries(cy.nodes().filter((n) => n.isChildless()).map((n) => [n.id(), { ...(n as cytoscape.NodeSingular).position() }])));
}

/** Gives the edges in view their traffic label when zoomed in far enough to read it (large meshes only). */
function labelEdgesInView(cy: Core) {
  const labelled = cy.edges(".labelled");
  if (cy.zoom() < EDGE_LABEL_ZOOM && labelled.empty()) return;
  const want = new Set(
    edgesToLabel(
      cy.edges().map((e) => ({ id: e.id(), source: e.source().position(), target: e.target().position() })),
      cy.zoom(),
      cy.extent(),
    ).map((e) => e.id),
  );
  cy.batch(() => {
    labelled.filter((e) => !want.has(e.id())).removeClass("labelled");
    for (const id of want) cy.getElementById(id).addClass("labelled");
  });
}

/**
 * Binds graph elements to a cytoscape canvas. The first data lays the graph
 * out; later data is diffed and applied in place: existing nodes keep their
 * positions (fixed in the incremental layout), only new ones are placed.
 * The layout is chosen by graph size (`chooseLayout`) unless `layout` pins it.
 * Large meshes (the grouped grid) get LARGE_TOPOLOGY_STYLE, group boxes
 * instead of compound nodes, and a snapshot while panning or zooming.
 * When the container changes size (the side panel opening or closing) the
 * graph is fitted again, or, if the user has zoomed or panned, their zoom is
 * kept and the view stays centred on the same spot.
 */
export function TopologyCanvas({
  elements,
  onSelect,
  label,
  layout,
}: {
  elements: GraphElements;
  onSelect: (sel: { type: "node"; data: NodeData } | { type: "edge"; data: EdgeData } | null) => void;
  label: string;
  layout?: LayoutVariant;
}) {
  const host = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  const shown = useRef<GraphElements>(EMPTY);
  const userAdjusted = useRef(false);
  const select = useRef(onSelect);
  select.current = onSelect;
  const variant = layout ?? chooseLayout(elements.nodes.filter((n) => n.kind === "service").length);
  // A large mesh gets a cheaper stylesheet and viewport (see LARGE_TOPOLOGY_STYLE); crossing the
  // threshold starts a new canvas, which happens once in a mesh's life, not per refresh.
  const large = variant === "grouped-grid";

  useEffect(() => {
    register();
    const cy = cytoscape({
      container: host.current,
      style: large ? LARGE_TOPOLOGY_STYLE : TOPOLOGY_STYLE,
      wheelSensitivity: 0.3,
      minZoom: 0.1,
      maxZoom: 3,
      // A frame of thousands of edges takes hundreds of ms: while the user pans or zooms, move a
      // snapshot instead and redraw once they stop. A small mesh redraws fast enough to stay live.
      ...(large ? { textureOnViewport: true } : {}),
    });
    cyRef.current = cy;
    // For tests and debugging: the model the browser test asserts on.
    (window as unknown as { __weftTopology?: Core }).__weftTopology = cy;
    cy.on("tap", "node", (e) => {
      const data = e.target.data() as NodeData;
      if (data.kind === "service" || data.kind === "external") select.current({ type: "node", data });
    });
    cy.on("tap", "edge", (e) => select.current({ type: "edge", data: e.target.data() as EdgeData }));
    cy.on("tap", (e) => {
      if (e.target === cy) select.current(null);
    });
    // Where the large stylesheet leaves edge labels out, show them where the user looks.
    cy.on("mouseover", "edge", (e) => void e.target.addClass("hovered"));
    cy.on("mouseout", "edge", (e) => void e.target.removeClass("hovered"));
    cy.on("select", "node", (e) => void e.target.connectedEdges().addClass("neighbour"));
    cy.on("unselect", "node", (e) => void e.target.connectedEdges().removeClass("neighbour"));
    let relabelTimer: ReturnType<typeof setTimeout> | undefined;
    if (large) {
      // Compound parents follow a dragged child; the drawn boxes are refitted when it is let go.
      cy.on("dragfree", "node", () => fitBoxes(cy, shown.current.nodes));
      cy.on("viewport", () => {
        clearTimeout(relabelTimer);
        relabelTimer = setTimeout(() => labelEdgesInView(cy), 150);
      });
    }
    if (!large) {
      cy.on("layoutstop", () => rememberPositions(cy));
      cy.on("dragfree", "node", () => rememberPositions(cy));
    }
    // Only gestures count: programmatic fits and layouts emit plain pan/zoom events.
    cy.on("scrollzoom pinchzoom dragpan", () => {
      userAdjusted.current = true;
    });
    // cytoscape only notices window resizes; the side panel narrows the container without one.
    const observer = new ResizeObserver(() => {
      const before = { width: cy.width(), height: cy.height() };
      cy.resize();
      const after = { width: cy.width(), height: cy.height() };
      if (before.width === after.width && before.height === after.height) return;
      const next = viewportAfterResize({ userAdjusted: userAdjusted.current, pan: cy.pan(), before, after });
      if (next.fit) cy.fit(undefined, 30);
      else cy.pan(next.pan);
    });
    if (host.current) observer.observe(host.current);
    return () => {
      clearTimeout(relabelTimer);
      observer.disconnect();
      cy.destroy();
      cyRef.current = null;
      shown.current = EMPTY;
    };
  }, [large]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const first = shown.current.nodes.length === 0;
    const diff = diffElements(shown.current, elements);
    shown.current = elements;
    // The grouped grid places new nodes as they are added; nodes already shown stay where they are.
    const placed = variant === "grouped-grid" && diff.addNodes.length ? groupedGridPositions(elements.nodes) : null;
    // New boxes go in sized around their services (shown ones where they are, new ones where the grid puts them);
    // boxes already shown are refitted below, once removals are done.
    const boxes = large
      ? groupBoxes(elements.nodes, (id) => {
          const shownNode = cy.getElementById(id);
          return shownNode.nonempty() ? shownNode.position() : placed?.[id];
        })
      : null;
    const before = new Map(cy.nodes().map((n) => [n.id(), { ...n.position() }]));
    // A first drawing of a small mesh starts from where the user last saw its services.
    const remembered = first && !large ? rememberedLayout(elements.nodes.filter((n) => n.kind === "service" || n.kind === "external").map((n) => n.id), loadPositions(browserStore())) : null;
    const rememberedAt = remembered ? Object.fromEntries(remembered.map((r) => [r.nodeId, r.position])) : null;
    cy.batch(() => {
      for (const id of diff.remove) cy.getElementById(id).remove();
      for (const u of diff.update) cy.getElementById(u.id).data(large ? withoutParent({ ...u }) : { ...u });
      cy.add(toDefs(diff.addNodes, diff.addEdges, placed ?? rememberedAt, boxes));
    });
    if (!isStructural(diff) || cy.nodes().length === 0) return;
    if (first) userAdjusted.current = false;
    if (large && !first) fitBoxes(cy, elements.nodes);
    if (variant === "grouped-grid") {
      if (first) cy.fit(undefined, 30);
      else labelEdgesInView(cy);
      return;
    }
    if (remembered && remembered.length === cy.nodes().filter((n) => n.isChildless()).length) {
      cy.fit(undefined, 30);
      return;
    }
    const fixed = remembered
      ? remembered
      : first
      ? []
      : cy
          .nodes()
          .filter((n) => n.isChildless() && before.has(n.id()))
          .map((n) => ({ nodeId: n.id(), position: before.get(n.id()) ?? { x: 0, y: 0 } }));
    cy.layout(layoutOptions(variant, { first, fixed, remembered: remembered !== null })).run();
  }, [elements, variant, large]);

  return <div ref={host} className="topology-canvas" role="application" aria-label={label} data-testid="topology-canvas" tabIndex={0} />;
}
