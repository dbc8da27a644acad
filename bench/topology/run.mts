// npm run bench:topology -w @weft/web — time to first render and to
// interactive for a 1,000-service / 3,000-edge topology in headless Chromium.
//
// Bundles page.tsx (the dashboard's real TopologyCanvas, graph-model,
// stylesheet and layout choice, with React, cytoscape and fcose) with
// esbuild, serves it from a loopback HTTP server and loads it RUNS times per
// layout in a fresh browser context each time. The clock starts when the
// telemetry response is in hand (it is generated before), so it covers
// buildGraph, React's commit, cytoscape, the layout and the first frames,
// not the network or the API. Prints medians; asserts nothing.
//
//   BENCH_RUNS (default 5), BENCH_LAYOUTS (default: auto,fcose,fcose-draft,grouped-grid),
//   BENCH_SERVICES / BENCH_EDGES / BENCH_CLUSTERS / BENCH_NAMESPACES, BENCH_SHOTS=dir for screenshots
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import type { BenchResult, Paused } from "./page.tsx";

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LAYOUTS = (process.env.BENCH_LAYOUTS ?? "auto,fcose,fcose-draft,grouped-grid").split(",");
const SHAPE = {
  services: Number(process.env.BENCH_SERVICES ?? 1000),
  edges: Number(process.env.BENCH_EDGES ?? 3000),
  clusters: Number(process.env.BENCH_CLUSTERS ?? 3),
  namespaces: Number(process.env.BENCH_NAMESPACES ?? 10),
};
const SHOTS = process.env.BENCH_SHOTS;
// The browser test's viewport; the canvas gets the width the dashboard gives it at that size.
const VIEWPORT = { width: 1280, height: 860 };
const log = (line: string) => process.stdout.write(`${line}\n`);

/** utime + stime (ms) of a process's descendants (here: the Chromium that playwright started), from /proc. */
function descendantsCpuMs(root: number): number {
  const stats = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => {
      try {
        // Fields after the command name, which may contain spaces: state ppid ... utime(14) stime(15).
        const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        return { pid: Number(pid), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
      } catch {
        return null; // gone meanwhile
      }
    })
    .filter((s) => s !== null);
  const children = new Map<number, typeof stats>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let ticks = 0;
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      ticks += c.ticks;
      walk(c.pid);
    }
  };
  walk(root);
  return ticks * 10; // USER_HZ = 100
}

const out = await mkdtemp(join(tmpdir(), "weft-bench-topology-"));
try {
  await build({
    entryPoints: [join(here, "page.tsx")],
    bundle: true,
    minify: true,
    format: "esm",
    target: "chrome120",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    outfile: join(out, "page.js"),
    logLevel: "error",
  });
  const html = `<!doctype html><meta charset="utf-8"><title>topology bench</title>
<style>body{margin:0;font-family:system-ui,sans-serif}#root{padding:16px}.topology-canvas{width:${VIEWPORT.width - 260}px;height:620px;border:1px solid #d0d7de}</style>
<div id="root"></div><script type="module" src="/page.js"></script>`;
  const js = await readFile(join(out, "page.js"));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/page.js") res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    else if (path === "/") res.writeHead(200, { "content-type": "text/html" }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  const chromiumVersion = browser.version();
  const results = new Map<string, BenchResult[]>();
  const load = async (layout: string, extra: Record<string, string> = {}) => {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    const query = new URLSearchParams({ layout, services: String(SHAPE.services), edges: String(SHAPE.edges), clusters: String(SHAPE.clusters), namespaces: String(SHAPE.namespaces), ...extra });
    await page.goto(`${origin}/?${query}`);
    await page.waitForFunction(() => typeof (window as unknown as { __start?: unknown }).__start === "function");
    // CPU time of all Chromium processes from the start to interactive: unlike wall time, it
    // hardly moves when other processes compete for the two cores (it is what an idle machine would wait, roughly).
    const busy = () => descendantsCpuMs(process.pid);
    const before = await busy();
    await page.evaluate(() => (window as unknown as { __start: () => void }).__start());
    let busyMs = NaN;
    if (!("pause" in extra)) {
      await page.waitForFunction(() => (window as unknown as { __interactive?: boolean }).__interactive === true, undefined, { timeout: 120_000 });
      busyMs = (await busy()) - before;
      await page.evaluate(() => (window as unknown as { __refresh: () => void }).__refresh());
    }
    const handle = await page.waitForFunction(() => (window as unknown as { __bench?: unknown }).__bench ?? (null as unknown), undefined, { timeout: 120_000 });
    const result = (await handle.jsonValue()) as BenchResult | Paused;
    if (!("paused" in result)) result.busyMs = busyMs;
    if (errors.length || ("error" in result && result.error)) throw new Error(`${layout}: ${("error" in result && result.error) || errors.join("; ")}`);
    return { context, page, result };
  };
  try {
    for (let run = 0; run <= RUNS; run++) {
      // Layouts interleaved run by run, so background load hits them alike; run 0 warms the disk cache and is dropped.
      for (const layout of LAYOUTS) {
        const { context, result } = await load(layout);
        if ("paused" in result) throw new Error("paused without being asked to");
        if (run > 0) results.set(layout, [...(results.get(layout) ?? []), result]);
        log(`run ${run}${run === 0 ? " (warm-up)" : ""} ${layout}: first render ${result.firstRenderMs.toFixed(0)} ms, interactive ${result.interactiveMs.toFixed(0)} ms`);
        await context.close();
      }
    }
    if (SHOTS) {
      await mkdir(SHOTS, { recursive: true });
      for (const layout of LAYOUTS) {
        const { context, page } = await load(layout, { pause: "1" });
        await page.locator(".topology-canvas").screenshot({ path: join(SHOTS, `topology-${layout}.png`) });
        await context.close();
      }
    }
  } finally {
    await browser.close();
    server.close();
  }

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  // Nearest-rank p90: with 10 runs, the second slowest.
  const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.9) - 1)]!;
  const cpu = cpus()[0]?.model ?? "?";
  let loadAverage = "?";
  try {
    loadAverage = (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
  } catch {
    // not Linux
  }
  const sample = results.values().next().value?.[0];
  log("");
  log(`${sample?.services ?? "?"} services, ${sample?.edges ?? "?"} edges, ${SHAPE.clusters} clusters × ${SHAPE.namespaces} namespaces; median of ${RUNS} runs per layout`);
  log(`machine: ${cpus().length} CPUs (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, Chromium ${chromiumVersion}, load average ${loadAverage}`);
  log("");
  const cols: [string, keyof BenchResult][] = [
    ["buildGraph", "buildGraphMs"],
    ["add + layout", "addAndLayoutMs"],
    ["first frame", "firstFrameMs"],
    ["first render", "firstRenderMs"],
    ["interactive", "interactiveMs"],
    ["Chromium CPU to interactive", "busyMs"],
    ["tap handled", "tapMs"],
    ["zoom frame", "zoomFrameMs"],
    ["refresh +10 services", "refreshLayoutMs"],
  ];
  log(`| layout | ${cols.map(([c]) => `${c} (ms)`).join(" | ")} |`);
  log(`|---|${cols.map(() => "---:").join("|")}|`);
  for (const [layout, rs] of results) log(`| ${layout} | ${cols.map(([, k]) => median(rs.map((r) => r[k] as number)).toFixed(0)).join(" | ")} |`);
  // The target is about what an operator waits for, so the slow tail matters as much as the middle.
  log("");
  log(`| layout | first render median (ms) | first render p90 (ms) | interactive median (ms) | interactive p90 (ms) |`);
  log(`|---|---:|---:|---:|---:|`);
  for (const [layout, rs] of results) {
    const first = rs.map((r) => r.firstRenderMs);
    const interactive = rs.map((r) => r.interactiveMs);
    log(`| ${layout} | ${median(first).toFixed(0)} | ${p90(first).toFixed(0)} | ${median(interactive).toFixed(0)} | ${p90(interactive).toFixed(0)} |`);
  }
  if (SHOTS) log(`\nscreenshots in ${SHOTS}`);
} finally {
  await rm(out, { recursive: true, force: true });
}
