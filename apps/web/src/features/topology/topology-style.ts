import type { StylesheetJson } from "cytoscape";

/** Colours by health; the same palette as the legend. */
export const HEALTH_COLORS = { healthy: "#1a7f37", degraded: "#d4a72c", failing: "#c62828", idle: "#8c959f" } as const;

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
      label: "data(label)",
      "font-size": 9,
      "min-zoomed-font-size": 7,
      "text-rotation": "autorotate",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": "2px",
      "line-color": "#8c959f",
      "target-arrow-color": "#8c959f",
    },
  },
  ...(Object.entries(HEALTH_COLORS).map(([health, color]) => ({ selector: `edge[health = "${health}"]`, style: { "line-color": color, "target-arrow-color": color } })) as StylesheetJson),
  // mTLS when the data says so: a solid line with a lock-like double border; plain text is dashed.
  { selector: 'edge[mtlsState = "on"]', style: { "line-style": "solid", "source-arrow-shape": "square", "source-arrow-color": "#1e2a3a" } },
  { selector: 'edge[mtlsState = "off"]', style: { "line-style": "dashed" } },
  { selector: "[?dimmed]", style: { opacity: 0.2 } },
  { selector: "node[?matched]", style: { "border-width": 4, "border-color": "#2f6fdd" } },
  { selector: ":selected", style: { "border-width": 4, "border-color": "#2f6fdd", "line-color": "#2f6fdd", "target-arrow-color": "#2f6fdd" } },
];
