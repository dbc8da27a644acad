"use client";

import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import fcose from "cytoscape-fcose";
import { useEffect, useRef } from "react";
import { diffElements, isStructural, type EdgeData, type GraphElements, type NodeData } from "./graph-model.ts";
import { chooseLayout, groupedGridPositions, layoutOptions, type LayoutVariant, type Point } from "./topology-layout.ts";
import { TOPOLOGY_STYLE } from "./topology-style.ts";
import { viewportAfterResize } from "./topology-viewport.ts";

let registered = false;
function register() {
  if (registered) return;
  cytoscape.use(fcose);
  registered = true;
}

const toDefs = (nodes: NodeData[], edges: EdgeData[], positions: Record<string, Point> | null): ElementDefinition[] => [
  ...nodes.map((data) => {
    const position = positions?.[data.id];
    return { group: "nodes" as const, data: { ...data }, ...(position ? { position } : {}) };
  }),
  ...edges.map((data) => ({ group: "edges" as const, data: { ...data } })),
];

const EMPTY: GraphElements = { nodes: [], edges: [] };

/**
 * Binds graph elements to a cytoscape canvas. The first data lays the graph
 * out; later data is diffed and applied in place: existing nodes keep their
 * positions (fixed in the incremental layout), only new ones are placed.
 * The layout is chosen by graph size (`chooseLayout`) unless `layout` pins it.
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

  useEffect(() => {
    register();
    const cy = cytoscape({ container: host.current, style: TOPOLOGY_STYLE, wheelSensitivity: 0.3, minZoom: 0.1, maxZoom: 3 });
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
      observer.disconnect();
      cy.destroy();
      cyRef.current = null;
      shown.current = EMPTY;
    };
  }, []);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const first = shown.current.nodes.length === 0;
    const diff = diffElements(shown.current, elements);
    shown.current = elements;
    const variant = layout ?? chooseLayout(elements.nodes.filter((n) => n.kind === "service").length);
    // The grouped grid places new nodes as they are added; nodes already shown stay where they are.
    const placed = variant === "grouped-grid" && diff.addNodes.length ? groupedGridPositions(elements.nodes) : null;
    const before = new Map(cy.nodes().map((n) => [n.id(), { ...n.position() }]));
    cy.batch(() => {
      for (const id of diff.remove) cy.getElementById(id).remove();
      for (const u of diff.update) cy.getElementById(u.id).data({ ...u });
      cy.add(toDefs(diff.addNodes, diff.addEdges, placed));
    });
    if (!isStructural(diff) || cy.nodes().length === 0) return;
    if (first) userAdjusted.current = false;
    if (variant === "grouped-grid") {
      if (first) cy.fit(undefined, 30);
      return;
    }
    const fixed = first
      ? []
      : cy
          .nodes()
          .filter((n) => n.isChildless() && before.has(n.id()))
          .map((n) => ({ nodeId: n.id(), position: before.get(n.id()) ?? { x: 0, y: 0 } }));
    cy.layout(layoutOptions(variant, { first, fixed })).run();
  }, [elements, layout]);

  return <div ref={host} className="topology-canvas" role="application" aria-label={label} data-testid="topology-canvas" tabIndex={0} />;
}
