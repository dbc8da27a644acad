// What the canvas does with its viewport when its container changes size
// (the side panel opening or closing, the window resizing).

export interface Size {
  width: number;
  height: number;
}

export interface Pan {
  x: number;
  y: number;
}

type Point = Pan;

/**
 * After a resize: fit the whole graph again unless the user has zoomed or
 * panned since the last fit; then keep their zoom and shift the pan so the
 * model point that was at the centre of the canvas stays at its centre.
 */
export function viewportAfterResize(state: { userAdjusted: boolean; pan: Pan; before: Size; after: Size }): { fit: true } | { fit: false; pan: Pan } {
  if (!state.userAdjusted) return { fit: true };
  return {
    fit: false,
    pan: { x: state.pan.x + (state.after.width - state.before.width) / 2, y: state.pan.y + (state.after.height - state.before.height) / 2 },
  };
}

/** The model-space rectangle the canvas shows (cytoscape's `extent()`). */
export interface Extent {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * Zoom from which a large mesh's edge labels are drawn for the edges in view:
 * their 9 px font is then at least 7 px on screen, the size under which the
 * stylesheet skips text anyway (`min-zoomed-font-size`).
 */
export const EDGE_LABEL_ZOOM = 7 / 9;

/**
 * Which edges of a large mesh get their traffic label at this zoom: none when
 * zoomed out (unreadable, and measuring 3,000 labels is most of a frame), and
 * those with an end in view when zoomed in.
 */
export function edgesToLabel<E extends { source: Point; target: Point }>(edges: Iterable<E>, zoom: number, extent: Extent): E[] {
  if (zoom < EDGE_LABEL_ZOOM) return [];
  const inside = (p: Point) => p.x >= extent.x1 && p.x <= extent.x2 && p.y >= extent.y1 && p.y <= extent.y2;
  const out: E[] = [];
  for (const e of edges) if (inside(e.source) || inside(e.target)) out.push(e);
  return out;
}
