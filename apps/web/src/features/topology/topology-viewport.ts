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
