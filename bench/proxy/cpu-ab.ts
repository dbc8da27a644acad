// npm run bench:cpu-ab -w @weft/proxy — an A/B of the proxy's CPU time per
// request between two builds, meant for a loaded, shared machine where
// wall-clock ratios are noise. A (baseline) is packages/proxy/src at
// BENCH_BASE (a git ref, default the commit the branch left main at), B
// (candidate) is the working tree (or BENCH_CANDIDATE, a git ref:
// BENCH_CANDIDATE=<base> is an A/A run); both are bundled here with the same
// esbuild options as `npm run build`. BENCH_BIN_B runs another program as B
// (floor-proxy.mjs: what Node's sockets cost without any of Weft's work).
// Both proxies run side by side on the same config and the same upstream,
// are restarted every round in alternating order and warmed up together, and
// are then driven at the same time by two hey processes (BENCH_CONCURRENT=0:
// one after the other, A,B then B,A), so that a burst of load from other
// programs falls on both. Each measurement reads the process's utime + stime
// from /proc/<pid>/stat over BENCH_REQUESTS requests (default 8,192).
// Default load: one connection, closed loop (BENCH_CONNECTIONS=1,
// BENCH_RATE=0): no request ever shares an event-loop turn with another, so
// the CPU per request does not depend on how the machine's load batches
// them. BENCH_RATE=1024 BENCH_CONNECTIONS=64 is bench:proxy's fixed rate
// (hey -q); on a loaded machine its per-round ratios swing ±20 % with the
// start order (docs/benchmarks.md). Printed: CPU ms per 1,000 requests per
// build (median and every round), the paired ratio B/A of each round, their
// median, geometric mean and spread, and how many rounds B used less CPU.
// BENCH_SATURATION=1 adds the same at saturation; BENCH_RESTART=0 keeps the
// first two processes; BENCH_ENV_A / BENCH_ENV_B (JSON) set environment
// variables per build. Benchmarks are not tests: this prints a table and
// asserts nothing.
import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { weftPlain } from "./configs.ts";
import { cpuPer1k, freePort, hey, killAll, start, startWeft, stop, waitForPort } from "./processes.ts";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const proxyDir = join(repo, "packages/proxy");
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1);
const RATE = Number(process.env.BENCH_RATE ?? 0);
const RUNS = Number(process.env.BENCH_RUNS ?? 8);
const round = (n: number) => Math.max(1, Math.floor(n / CONNECTIONS)) * CONNECTIONS;
const FIXED_REQUESTS = round(Number(process.env.BENCH_REQUESTS ?? (RATE || 1024) * 8));
const SATURATION = process.env.BENCH_SATURATION === "1";
const SATURATION_REQUESTS = round(Number(process.env.BENCH_SATURATION_REQUESTS ?? 20_480));
const BASE = process.env.BENCH_BASE ?? execFileSync("git", ["-C", repo, "merge-base", "HEAD", "main"]).toString().trim();
/** Drive both proxies at once in each round (the same machine load falls on both) instead of one after the other. */
const CONCURRENT = process.env.BENCH_CONCURRENT !== "0";
/** Restart both proxies every round (default on): a process that happened to start in a better state does not favour one build in every round. */
/** A git ref to measure instead of the working tree (BENCH_CANDIDATE=HEAD~1, or the base itself for an A/A run). */
const CANDIDATE = process.env.BENCH_CANDIDATE;
const RESTART = process.env.BENCH_RESTART !== "0";

/** Bundles <srcRoot>/main.ts as `npm run build -w @weft/proxy` does; returns the entry file. */
async function bundle(srcRoot: string, outdir: string): Promise<string> {
  await build({
    entryPoints: [join(srcRoot, "main.ts")],
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir,
    entryNames: "weft-proxy",
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    minifyWhitespace: true,
    logLevel: "warning",
    banner: { js: "import { createRequire as __weftRequire } from 'node:module'; const require = __weftRequire(import.meta.url);" },
  });
  return join(outdir, "weft-proxy.mjs");
}

/** A commit's sources, extracted next to the live ones so that bare imports resolve through the same node_modules. */
function extract(ref: string, dir: string): void {
  const tar = execFileSync("git", ["-C", repo, "archive", "--format=tar", ref, "packages/proxy/src"]);
  execFileSync("tar", ["-x", "-C", dir, "--strip-components=3"], { input: tar });
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "weft-bench-cpu-ab-"));
  // Inside packages/proxy, so that esbuild finds the same node_modules for both builds.
  const baseSrc = await mkdtemp(join(proxyDir, ".ab-base-"));
  const load = [loadavg().map((x) => x.toFixed(2)).join(" / ")];
  try {
    const baseRev = execFileSync("git", ["-C", repo, "rev-parse", "--short", BASE]).toString().trim();
    const headRev = execFileSync("git", ["-C", repo, "rev-parse", "--short", "HEAD"]).toString().trim();
    const dirty = execFileSync("git", ["-C", repo, "status", "--porcelain", "packages/proxy/src"]).toString().trim() !== "";
    extract(BASE, baseSrc);
    const binA = await bundle(baseSrc, join(work, "a"));
    let candidateSrc = join(proxyDir, "src");
    if (CANDIDATE) {
      candidateSrc = join(baseSrc, "candidate");
      await mkdir(candidateSrc);
      extract(CANDIDATE, candidateSrc);
    }
    const binB = process.env.BENCH_BIN_B ? resolve(process.env.BENCH_BIN_B) : await bundle(candidateSrc, join(work, "b"));

    const upstreamPort = await freePort();
    const upstream = start(process.execPath, [join(here, "upstream.mjs")], { PORT: String(upstreamPort) });
    await waitForPort(upstreamPort);
    const builds = [
      { name: `A base (${baseRev})`, bin: binA, env: JSON.parse(process.env.BENCH_ENV_A ?? "{}") as NodeJS.ProcessEnv },
      { name: process.env.BENCH_BIN_B ? `B ${process.env.BENCH_BIN_B}` : CANDIDATE ? `B ${CANDIDATE} (${execFileSync("git", ["-C", repo, "rev-parse", "--short", CANDIDATE]).toString().trim()})` : `B working tree (${headRev}${dirty ? " + uncommitted" : ""})`, bin: binB, env: JSON.parse(process.env.BENCH_ENV_B ?? "{}") as NodeJS.ProcessEnv },
    ];
    type Running = (typeof builds)[number] & { pid: number; proc: ChildProcess; url: string };
    /** Starts both builds (A first on even rounds, B first on odd ones: neither gains from its place) and warms them up. */
    const startBoth = async (k: number): Promise<Running[]> => {
      const out: Running[] = [];
      for (const i of k % 2 === 0 ? [0, 1] : [1, 0]) {
        const b = builds[i]!;
        const [listen, admin] = [await freePort(), await freePort()];
        const proc = await startWeft(work, `w${i}`, weftPlain(listen, admin, upstreamPort), [listen], b.env, [], b.bin);
        out[i] = { ...b, pid: proc.pid ?? 0, proc, url: `http://127.0.0.1:${listen}/` };
      }
      // Both at once: a proxy left idle while the other warms up measures worse afterwards (V8 shrinks an idle heap).
      await Promise.all(out.map((r) => hey(r.url, round(5_000), CONNECTIONS, undefined))); // JIT, pools
      await Promise.all(out.map((r) => hey(r.url, round((RATE || 1024) * 2), CONNECTIONS, RATE)));
      return out;
    };
    let running = await startBoth(0);
    const fixed: number[][] = running.map(() => []);
    const sat: number[][] = running.map(() => []);
    for (let k = 0; k < RUNS; k++) {
      if (RESTART && k > 0) {
        for (const r of running) await stop(r.proc);
        running = await startBoth(k);
      }
      const order = k % 2 === 0 ? [0, 1] : [1, 0];
      if (CONCURRENT) {
        const f = await Promise.all(order.map(async (i) => [i, await cpuPer1k(running[i]!.pid, running[i]!.url, FIXED_REQUESTS, CONNECTIONS, RATE)] as const));
        for (const [i, x] of f) fixed[i]!.push(x);
        if (SATURATION) for (const [i, x] of await Promise.all(order.map(async (i) => [i, await cpuPer1k(running[i]!.pid, running[i]!.url, SATURATION_REQUESTS, CONNECTIONS, undefined)] as const))) sat[i]!.push(x);
      } else {
        for (const i of order) {
          const r = running[i]!;
          fixed[i]!.push(await cpuPer1k(r.pid, r.url, FIXED_REQUESTS, CONNECTIONS, RATE));
          if (SATURATION) sat[i]!.push(await cpuPer1k(r.pid, r.url, SATURATION_REQUESTS, CONNECTIONS, undefined));
        }
      }
      process.stderr.write(`round ${k + 1}/${RUNS}: A ${fixed[0]![k]!.toFixed(1)}, B ${fixed[1]![k]!.toFixed(1)} ms/1k (load ${loadavg()[0]?.toFixed(2)})\n`);
    }
    for (const r of running) await stop(r.proc);
    await stop(upstream);
    load.push(loadavg().map((x) => x.toFixed(2)).join(" / "));

    const table = (title: string, v: number[][]) => {
      const ratios = v[0]!.map((a, k) => v[1]![k]! / a);
      return [
        `${title}:`,
        "",
        "| build | CPU ms / 1k req (median) | rounds |",
        "|---|---|---|",
        ...running.map((r, i) => `| ${r.name} | ${median(v[i]!).toFixed(1)} | ${v[i]!.map((x) => x.toFixed(1)).join(" / ")} |`),
        "",
        `B/A per round: ${ratios.map((x) => x.toFixed(3)).join(" / ")}`,
        `B/A median ${median(ratios).toFixed(3)}, geometric mean ${Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}); B below A in ${ratios.filter((x) => x < 1).length} of ${ratios.length} rounds; ratio of medians ${(median(v[1]!) / median(v[0]!)).toFixed(3)}`,
        "",
      ];
    };
    const lines = [
      `Node ${process.version}; ${RUNS} rounds (${CONCURRENT ? "A and B driven at the same time" : "A,B then B,A"}), both proxies running side by side${RESTART ? ", restarted every round" : ""}; ${RATE ? `fixed rate ${RATE} req/s` : "no rate limit"} × ${FIXED_REQUESTS} requests per measurement, hey -c ${CONNECTIONS}; load average (1 / 5 / 15 min) ${load[0]} before, ${load[1]} after.`,
      "",
      ...table(RATE ? `At ${RATE} req/s` : `Closed loop, ${CONNECTIONS} connection(s)`, fixed),
      ...(SATURATION ? table(`At saturation (${SATURATION_REQUESTS} requests)`, sat) : []),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    killAll();
    await rm(work, { recursive: true, force: true });
    await rm(baseSrc, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
