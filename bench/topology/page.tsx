// The page the topology bench loads in Chromium: the dashboard's real
// TopologyCanvas (real graph-model, stylesheet, layout choice, cytoscape +
// fcose) fed a synthetic telemetry.edges response, as the topology page
// would be once the response arrives. Timings go to window.__bench.
//
//   ?layout=auto|fcose|fcose-draft|grouped-grid  (auto: what the dashboard picks)
import { useEffect } from "react";
import { createRoot } from "react-dom/client";
import type { Core } from "cytoscape";
import { buildGraph, DEFAULT_THRESHOLDS } from "../../apps/web/src/features/topology/graph-model.ts";
import { TopologyCanvas } from "../../apps/web/src/features/topology/topology-canvas.tsx";
import type { LayoutVariant } from "../../apps/web/src/features/topology/topology-layout.ts";
import { syntheticMesh } from "./synthetic-mesh.ts";

export interface BenchResult {
  services: number;
  edges: number;
  buildGraphMs: number;
  /** React's commit through the canvas's effects: cy.add and the layout run there, synchronously. */
  addAndLayoutMs: number;
  /** From those effects to cytoscape's first drawn frame (style, label measurement, drawing). */
  firstFrameMs: number;
  firstRenderMs: number;
  interactiveMs: number;
  tapMs: number;
  zoomFrameMs: number;
  refreshLayoutMs: number;
  /** Filled in by the runner: main-thread task time from the start to interactive. */
  busyMs?: number;
  error?: string;
}

/** With ?pause=1 the page stops after the first frame (for a screenshot of what the user first sees). */
export interface Paused {
  paused: true;
}

const params = new URLSearchParams(location.search);
const layoutParam = params.get("layout") ?? "auto";
const layout = layoutParam === "auto" ? undefined : (layoutParam as LayoutVariant);
const shape = {
  clusters: Number(params.get("clusters") ?? 3),
  namespacesPerCluster: Number(params.get("namespaces") ?? 10),
  services: Number(params.get("services") ?? 1000),
  edges: Number(params.get("edges") ?? 3000),
};
const pause = params.get("pause") === "1";
// The runner starts the clock (__start) and, once __interactive is set, reads the main thread's busy time before the refresh (__refresh).
const w = window as unknown as {
  __weftTopology?: Core;
  __bench?: BenchResult | Paused | { error: string };
  __start?: () => void;
  __interactive?: boolean;
  __refresh?: () => void;
};

// The telemetry response, already parsed: generated before the clock starts.
const telemetry = syntheticMesh(shape);
// A refresh that brings ten new services, each called from an existing one.
const more = Array.from({ length: 10 }, (_, i) => ({
  ...telemetry[i * 7]!,
  destination: { cluster: "cluster-0", namespace: `ns-${i}`, service: `svc-new-${i}`, version: "v1" },
}));
const frame = () => new Promise<number>((done) => requestAnimationFrame(() => done(performance.now())));
const marks: { committed?: number; firstRender?: number; tapped?: number } = {};
let onTapped: (() => void) | undefined;
let onRender: (() => void) | undefined;
let onLayoutStop: (() => void) | undefined;
let onCommitted: (() => void) | undefined;
let layoutRunning = false;

// The canvas publishes its cytoscape instance before it adds any element: hook it as it appears.
let cyInstance: Core | undefined;
Object.defineProperty(w, "__weftTopology", {
  configurable: true,
  get: () => cyInstance,
  set(cy: Core) {
    cyInstance = cy;
    cy.on("layoutstart", () => void (layoutRunning = true));
    cy.on("layoutstop", () => {
      layoutRunning = false;
      onLayoutStop?.();
    });
    cy.on("render", () => {
      if (marks.firstRender === undefined && cy.nodes().length > 0) {
        marks.firstRender = performance.now();
        void afterFirstRender(cy);
      }
      onRender?.();
    });
  },
});

const host = document.getElementById("root")!;
const root = createRoot(host);
const options = { splitVersions: false, thresholds: DEFAULT_THRESHOLDS, cluster: null, namespace: null, search: "" };
let t0 = NaN;
let built = NaN;
let elements = buildGraph([], options);
// Rendered after the canvas, so its effect runs after the canvas's effects.
function Committed({ tick }: { tick: number }) {
  useEffect(() => {
    marks.committed ??= performance.now();
    onCommitted?.();
  }, [tick]);
  return null;
}
let tick = 0;
const render = (els: typeof elements) =>
  root.render(
    <>
      <TopologyCanvas
        elements={els}
        layout={layout}
        label="bench"
        onSelect={() => {
          marks.tapped ??= performance.now();
          onTapped?.();
        }}
      />
      <Committed tick={++tick} />
    </>,
  );
w.__start = () => {
  t0 = performance.now();
  elements = buildGraph(telemetry, options);
  built = performance.now();
  render(elements);
};

/** A real mouse press + release on a service node, through cytoscape's own input handling (hit test, tap). */
function click(cy: Core, at: { x: number; y: number }) {
  const canvas = cy.container()!;
  const rect = canvas.getBoundingClientRect();
  const init = { bubbles: true, cancelable: true, clientX: rect.left + at.x, clientY: rect.top + at.y, button: 0, buttons: 1 };
  canvas.querySelector("canvas:last-of-type")!.dispatchEvent(new MouseEvent("mousedown", init));
  window.dispatchEvent(new MouseEvent("mouseup", { ...init, buttons: 0 }));
}

async function afterFirstRender(cy: Core) {
  try {
    // Whatever the main thread still owes (the first frame, effects) runs before a queued input would.
    await new Promise((done) => setTimeout(done, 0));
    if (pause) {
      w.__bench = { paused: true };
      return;
    }
    const node = cy.nodes('[kind = "service"]').first();
    const tapped = new Promise<void>((done) => (onTapped = done));
    const tapStart = performance.now();
    click(cy, node.renderedPosition());
    await Promise.race([tapped, new Promise((_, fail) => setTimeout(() => fail(new Error("the tap on a service node did not select it")), 5000))]);
    const tapEnd = performance.now();

    const zoomStart = performance.now();
    const rendered = new Promise<void>((done) => (onRender = done));
    const rect = cy.container()!.getBoundingClientRect();
    cy.container()!.dispatchEvent(new WheelEvent("wheel", { bubbles: true, cancelable: true, deltaY: -200, clientX: rect.left + rect.width / 2, clientY: rect.top + rect.height / 2 }));
    await rendered;
    const interactive = await frame();
    onRender = undefined;
    w.__interactive = true;
    await new Promise<void>((done) => (w.__refresh = done));

    // A live refresh that brings 10 new services: time until they are placed (layout done, if one runs) and drawn.
    const committed = new Promise<void>((done) => (onCommitted = done));
    const refreshStart = performance.now();
    render(buildGraph([...telemetry, ...more], options));
    await committed;
    if (layoutRunning) await new Promise<void>((done) => (onLayoutStop = done));
    // cytoscape redraws in its own animation frame callback, registered before this one.
    const refreshEnd = await frame();

    w.__bench = {
      services: elements.nodes.filter((n) => n.kind === "service").length,
      edges: elements.edges.length,
      buildGraphMs: built - t0,
      addAndLayoutMs: marks.committed! - built,
      firstFrameMs: marks.firstRender! - marks.committed!,
      firstRenderMs: marks.firstRender! - t0,
      interactiveMs: interactive - t0,
      tapMs: tapEnd - tapStart,
      zoomFrameMs: interactive - zoomStart,
      refreshLayoutMs: refreshEnd - refreshStart,
    };
  } catch (err) {
    w.__bench = { error: String(err) };
  }
}
