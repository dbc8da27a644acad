import { describe, expect, it } from "vitest";
import { EDGE_LABEL_ZOOM, edgesToLabel, viewportAfterResize } from "./topology-viewport.ts";

describe("viewportAfterResize", () => {
  const wide = { width: 1000, height: 620 };
  const narrow = { width: 624, height: 620 };

  it.each([
    ["panel opens, view untouched: fit again", false, wide, narrow, { x: 10, y: 20 }, { fit: true }],
    ["panel closes, view untouched: fit again", false, narrow, wide, { x: 10, y: 20 }, { fit: true }],
    // The centre moves left by half the lost width; so does the pan, keeping the same spot in the middle.
    ["panel opens after the user zoomed: keep zoom, keep the centre", true, wide, narrow, { x: 10, y: 20 }, { fit: false, pan: { x: -178, y: 20 } }],
    ["panel closes after the user zoomed", true, narrow, wide, { x: -178, y: 20 }, { fit: false, pan: { x: 10, y: 20 } }],
    ["taller canvas", true, wide, { width: 1000, height: 820 }, { x: 0, y: 0 }, { fit: false, pan: { x: 0, y: 100 } }],
  ])("%s", (_name, userAdjusted, before, after, pan, expected) => expect(viewportAfterResize({ userAdjusted, pan, before, after })).toEqual(expected));
});

describe("edgesToLabel", () => {
  const extent = { x1: 0, y1: 0, x2: 100, y2: 100 };
  const edges = [
    { id: "both-in", source: { x: 10, y: 10 }, target: { x: 50, y: 50 } },
    { id: "one-in", source: { x: 50, y: 50 }, target: { x: 500, y: 50 } },
    { id: "out", source: { x: 200, y: 200 }, target: { x: 500, y: 50 } },
  ];
  it.each([
    ["zoomed out: no labels", 0.2, []],
    ["just under readable", EDGE_LABEL_ZOOM - 0.01, []],
    ["zoomed in: edges with an end in view", 1, ["both-in", "one-in"]],
  ])("%s", (_name, zoom, ids) => expect(edgesToLabel(edges, zoom, extent).map((e) => e.id)).toEqual(ids));
});
