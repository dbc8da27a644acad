import type { StylesheetJson } from "cytoscape";

/** Colours by health; the same palette as the legend. */
export const HEALTH_COLORS = { healthy: "#1a7f37", degraded: "#d4a72c", failing: "#c62828", idle: "#8c959f" } as const;

/**
 * Multi-cluster marks (issue 12), one hue for "crosses clusters": an exported
 * service has a double ring, a service other clusters call without it being
 * exported a dashed ring, a cross-cluster edge a diamond halfway. Shapes tell
 * them apart without the colour; both colours contrast ≥ 4.5:1 with the canvas.
 */
export const EXPORT_COLORS = { exported: "#6e40c9", notExported: "#9a3412", crossCluster: "#6e40c9" } as const;

// Edge labels ("12/s · 0.5% · p99 120ms") shown when the canvas has few enough edges to read them all.
// 11 px at zoom 1 (the trial found 9 px labels drawn at ~7 px unreadable); a dark text on an opaque background.
const EDGE_LABEL = {
  label: "data(label)",
  "font-size": 11,
  "min-zoomed-font-size": 8,
  color: "#1b1f24",
  "text-rotation": "autorotate",
  "text-background-color": "#ffffff",
  "text-background-opacity": 0.95,
  "text-background-padding": "2px",
} as const;

// "min-zoomed-font-size": labels under 7 px on screen are unreadable; not drawing them keeps
// frames of a zoomed-out large mesh cheap (cluster titles stay, for orientation).
export const TOPOLOGY_STYLE: StylesheetJson = [
  {
    selector: "node",
    style: { label: "data(label)", "font-size": 11, "min-zoomed-font-size": 7, "text-valign": "bottom", "text-margin-y": 4, color: "#1b1f24", "background-color": "#8c959f", width: 26, height: 26 },
  },
  {
    selector: 'node[kind = "cluster"]',
    style: { "background-color": "#eef2f7", "border-color": "#1e2a3a", "border-width": 2, shape: "round-rectangle", "text-valign": "top", "font-weight": "bold", "font-size": 13, "min-zoomed-font-size": 0, padding: "18px" },
  },
  {
    selector: 'node[kind = "namespace"]',
    style: { "background-color": "#ffffff", "border-color": "#9aa5b1", "border-style": "dashed", "border-width": 1, shape: "round-rectangle", "text-valign": "top", "font-size": 11, padding: "12px" },
  },
  { selector: 'node[kind = "external"]', style: { shape: "diamond", "background-color": "#5b6470" } },
  ...(Object.entries(HEALTH_COLORS).map(([health, color]) => ({ selector: `node[kind = "service"][health = "${health}"]`, style: { "background-color": color } })) as StylesheetJson),
  {
    selector: "edge",
    style: {
      width: 2,
      "curve-style": "bezier",
      "target-arrow-shape": "triangle",
      ...EDGE_LABEL,
      "line-color": "#8c959f",
      "target-arrow-color": "#8c959f",
    },
  },
  ...(Object.entries(HEALTH_COLORS).map(([health, color]) => ({ selector: `edge[health = "${health}"]`, style: { "line-color": color, "target-arrow-color": color } })) as StylesheetJson),
  // mTLS when the data says so: a solid line with a lock-like double border; plain text is dashed.
  { selector: 'edge[mtlsState = "on"]', style: { "line-style": "solid", "source-arrow-shape": "square", "source-arrow-color": "#1e2a3a" } },
  { selector: 'edge[mtlsState = "off"]', style: { "line-style": "dashed" } },
  { selector: 'node[kind = "service"][exportState = "exported"]', style: { "border-width": 5, "border-style": "double", "border-color": EXPORT_COLORS.exported } },
  // A white gap between the health fill and the dashed ring: on a red (failing) fill a ring drawn as the border blends in.
  { selector: 'node[kind = "service"][exportState = "not-exported"]', style: { "border-width": 2, "border-color": "#ffffff", "outline-width": 3, "outline-style": "dashed", "outline-color": EXPORT_COLORS.notExported, "outline-offset": 0 } },
  // Along the whole line, not a mark at its middle, where the traffic label covers it.
  { selector: "edge[?crossCluster]", style: { width: 3, "line-outline-width": 2.5, "line-outline-color": EXPORT_COLORS.crossCluster } },
  { selector: "[?dimmed]", style: { opacity: 0.2 } },
  // The replay keeps every edge of its window on the canvas (no re-layout between frames) and hides those idle in the frame shown.
  { selector: "edge[?absent]", style: { display: "none" } },
  { selector: "node[?matched]", style: { "border-width": 4, "border-color": "#2f6fdd" } },
  { selector: ":selected", style: { "border-width": 4, "border-color": "#2f6fdd", "line-color": "#2f6fdd", "target-arrow-color": "#2f6fdd" } },
];

/**
 * The stylesheet for meshes drawn with the grouped grid (hundreds of services,
 * thousands of edges). cytoscape applies a stylesheet property by property,
 * and in a graph with compound nodes every applied property invalidates the
 * style caches of the element's parents, children and their edges, so first
 * render grows with (elements × properties); label text is measured for the
 * bounds of every labelled element even when it is too small to draw. Here
 * edges carry only what an operator reads at this size — health colour,
 * direction, mTLS — as straight lines (no bezier control points), and their
 * traffic label appears only where someone looks: on the hovered or selected
 * edge and on the edges of a selected service (the `hovered` and `neighbour`
 * classes), and for the edges in view once
 * the user zooms in far enough to read them (the `labelled` class, set by the
 * canvas). Namespaces and clusters are not compound nodes here but rectangles
 * under their services, which keeps cytoscape on its cheaper non-compound paths.
 */
export const LARGE_TOPOLOGY_STYLE: StylesheetJson = [
  ...TOPOLOGY_STYLE.filter((rule) => rule.selector.startsWith("node")),
  // Namespaces and clusters are plain rectangles here, sized by the canvas (groupBoxes) and drawn
  // under everything; clicks go through them to the canvas, as they do on compound nodes' insides.
  {
    selector: 'node[kind = "cluster"], node[kind = "namespace"]',
    style: { width: "data(width)", height: "data(height)", padding: "0px", "z-compound-depth": "bottom", events: "no", "text-margin-y": -4 },
  },
  { selector: 'node[kind = "namespace"]', style: { "z-index": 1 } },
  // line-color and target-arrow-color come from the health rules: every edge has a health.
  { selector: "edge", style: { width: 2, "curve-style": "straight", "target-arrow-shape": "triangle" } },
  ...(Object.entries(HEALTH_COLORS).map(([health, color]) => ({ selector: `edge[health = "${health}"]`, style: { "line-color": color, "target-arrow-color": color } })) as StylesheetJson),
  { selector: 'edge[mtlsState = "on"]', style: { "source-arrow-shape": "square", "source-arrow-color": "#1e2a3a" } },
  { selector: 'edge[mtlsState = "off"]', style: { "line-style": "dashed" } },
  ...TOPOLOGY_STYLE.filter((rule) => rule.selector === "edge[?crossCluster]"),
  { selector: "edge.labelled, edge.hovered, edge.neighbour, edge:selected", style: EDGE_LABEL },
  // Rules after the edge rules keep their precedence (selection colour over health colour, dimming).
  ...TOPOLOGY_STYLE.filter((rule) => rule.selector === "[?dimmed]" || rule.selector === "edge[?absent]" || rule.selector === ":selected"),
];
