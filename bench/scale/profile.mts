// Summarises a V8 .cpuprofile (node --cpu-prof) by self time: areas of the
// code (Prisma, the pg driver, tRPC/superjson, zod, each apps/api feature,
// GC, ...) and the heaviest functions.
import { readFile } from "node:fs/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Which part of the code a frame belongs to. */
export function areaOf(functionName: string, url: string): string {
  if (functionName === "(garbage collector)") return "garbage collection";
  if (functionName === "(idle)") return "idle";
  if (functionName === "(program)" || url === "") return "native / runtime";
  if (url.startsWith("node:")) return "node core JS";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg.startsWith("@prisma/") || pkg === "prisma" ? "prisma (client runtime)" : pkg;
  if (url.includes("/packages/db/")) return "packages/db (Prisma generated client)";
  const feature = /apps\/api\/src\/features\/([^/]+)/.exec(url)?.[1];
  if (feature) return `apps/api features/${feature}`;
  if (url.includes("/apps/api/")) return "apps/api (other)";
  const pk = /packages\/([^/]+)\//.exec(url)?.[1];
  if (pk) return `packages/${pk}`;
  return "other";
}

export async function summariseProfile(file: string, top = 12): Promise<string[]> {
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let seconds = 0;
  {
    const profile = JSON.parse(await readFile(file, "utf8")) as { nodes: ProfileNode[]; samples: number[]; startTime: number; endTime: number };
    total += profile.samples.length;
    seconds = (profile.endTime - profile.startTime) / 1e6;
    for (const n of profile.nodes) {
      const hits = n.hitCount ?? 0;
      if (hits === 0) continue;
      const { functionName, url, lineNumber } = n.callFrame;
      const area = areaOf(functionName, url);
      if (area === "idle") idle += hits;
      byArea.set(area, (byArea.get(area) ?? 0) + hits);
      const short = url.replace(/^.*?\/(node_modules|packages|apps)\//, "$1/");
      const fn = `${functionName || "(anonymous)"}${short ? ` ${short}:${lineNumber + 1}` : ""}`;
      byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    }
  }
  const busy = total - idle;
  const pct = (h: number) => `${((h / busy) * 100).toFixed(1)} %`;
  const sorted = (m: Map<string, number>) => [...m].filter(([k]) => k !== "idle" && k !== "(idle)").sort((a, b) => b[1] - a[1]);
  return [
    `${seconds.toFixed(0)} s, ${total} samples, ${((idle / Math.max(1, total)) * 100).toFixed(0)} % idle (the main thread waiting); shares below are of the busy samples`,
    "by area:",
    ...sorted(byArea).slice(0, 14).map(([k, h]) => `  ${pct(h).padStart(7)}  ${k}`),
    "heaviest functions:",
    ...sorted(byFn).slice(0, top).map(([k, h]) => `  ${pct(h).padStart(7)}  ${k}`),
  ];
}
