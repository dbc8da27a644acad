"use client";

import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import fcose from "cytoscape-fcose";
import { useEffect, useRef } from "react";
import { diffElements, isStructural, type EdgeData, type GraphElements, type NodeData } from "./graph-model.ts";
import { TOPOLOGY_STYLE } from "./topology-style.ts";

let registered = false;
function register() {
  if (registered) return;
  cytoscape.use(fcose);
  registered = true;
}

const toDefs = (nodes: NodeData[], edges: EdgeData[]): ElementDefinition[] => [
  ...nodes.map((data) => ({ group: "nodes" as const, data: { ...data } })),
  ...edges.map((data) => ({ group: "edges" as const, data: { ...data } })),
];

const EMPTY: GraphElements = { nodes: [], edges: [] };

/**
 * Binds graph elements to a cytoscape canvas. The first data lays the graph
 * out; later data is diffed and applied in place: existing nodes keep their
 * positions (fixed in the incremental layout), only new ones are placed.
 */
export function TopologyCanvas({ elements, onSelect, label }: { elements: GraphElements; onSelect: (sel: { type: "node"; data: NodeData } | { type: "edge"; data: EdgeData } | null) => void; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  const shown = useRef<GraphElements>(EMPTY);
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
    return () => {
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
    const before = new Map(cy.nodes().map((n) => [n.id(), { ...n.position() }]));
    cy.batch(() => {
      for (const id of diff.remove) cy.getElementById(id).remove();
      for (const u of diff.update) cy.getElementById(u.id).data({ ...u });
      cy.add(toDefs(diff.addNodes, diff.addEdges));
    });
    if (!isStructural(diff) || cy.nodes().length === 0) return;
    const fixed = first
      ? []
      : cy
          .nodes()
          .filter((n) => n.isChildless() && before.has(n.id()))
          .map((n) => ({ nodeId: n.id(), position: before.get(n.id()) ?? { x: 0, y: 0 } }));
    cy.layout({
      name: "fcose",
      animate: !first,
      randomize: first,
      fit: first,
      padding: 30,
      nodeDimensionsIncludeLabels: true,
      idealEdgeLength: 120,
      nodeRepulsion: 6000,
      ...(fixed.length ? { fixedNodeConstraint: fixed } : {}),
    } as cytoscape.LayoutOptions).run();
  }, [elements]);

  return <div ref={host} className="topology-canvas" role="application" aria-label={label} data-testid="topology-canvas" tabIndex={0} />;
}
