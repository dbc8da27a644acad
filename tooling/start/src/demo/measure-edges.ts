// Measures the running demo's edges at the callers' proxies over a window:
//   node --import tsx tooling/start/src/demo/measure-edges.ts [<WEFT_HOME>] [<seconds>]
// Prints one line per edge (requests, success, injected failure rate,
// verdict) and exits 1 when an edge is outside its tolerance.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { callerWindow, demoEdges, judgeEdge, mergeWindows, parseEdgeCounters, type EdgeCounter, type EdgeVerdict, type EdgeWindow } from "./demo-edges.ts";
import type { DemoCluster, DemoInstance } from "./demo-topology.ts";

/** Every proxied instance that calls something: the callers whose proxies count the demo's edges. */
export const demoCallers = (clusters: readonly DemoCluster[]): DemoInstance[] => clusters.flatMap((c) => c.instances.filter((i) => i.proxy && i.calls.length > 0));

async function scrape(inst: DemoInstance): Promise<EdgeCounter[]> {
  const res = await fetch(`http://127.0.0.1:${inst.proxy!.adminPort}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${inst.cluster}/${inst.name}'s proxy answered /metrics with ${res.status}`);
  return parseEdgeCounters(await res.text());
}

/** Scrapes every caller's proxy, waits `windowMs`, scrapes again: the edges of the window, judged. */
export async function measureDemoEdges(clusters: readonly DemoCluster[], windowMs: number): Promise<{ windows: EdgeWindow[]; verdicts: EdgeVerdict[] }> {
  const callers = demoCallers(clusters);
  const before = await Promise.all(callers.map(scrape));
  await new Promise((r) => setTimeout(r, windowMs));
  const after = await Promise.all(callers.map(scrape));
  const windows = mergeWindows(callers.flatMap((c, i) => callerWindow(c, before[i]!, after[i]!)));
  // An edge that carried nothing is a verdict too (a dead edge must not pass by being absent).
  const verdicts = demoEdges(clusters).map((edge) => judgeEdge(clusters, windows.find((w) => w.edge === edge) ?? { edge, requests: 0, failures: 0, destinations: [] }));
  return { windows, verdicts };
}

/** One line per edge, for people and test failure messages. */
export function formatVerdicts(verdicts: readonly EdgeVerdict[], windows: readonly EdgeWindow[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  return verdicts
    .map((v) => {
      const dests = (windows.find((w) => w.edge === v.edge)?.destinations ?? []).map((d) => `${d.cluster}/${d.version} ${d.requests} (${d.failures} failed)`).join(", ");
      return `${v.ok ? "ok  " : "FAIL"} ${v.edge.padEnd(32)} ${String(v.requests).padStart(6)} req  success ${pct(v.successRate).padStart(8)}  injected ${pct(v.expectedFailureRate)} ± ${pct(v.tolerance)}  [${dests}]`;
    })
    .join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const home = resolve(process.argv[2] ?? ".weft");
  const seconds = Number(process.argv[3] ?? "30");
  const clusters = JSON.parse(await readFile(join(home, "demo", "topology.json"), "utf8")) as DemoCluster[];
  const { windows, verdicts } = await measureDemoEdges(clusters, seconds * 1000);
  process.stdout.write(`${formatVerdicts(verdicts, windows)}\n`);
  process.exit(verdicts.every((v) => v.ok) ? 0 : 1);
}
