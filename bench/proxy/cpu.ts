// npm run bench:cpu -w @weft/proxy — proxy CPU time per request: utime + stime
// of the proxy process (/proc/<pid>/stat) over a fixed number of requests,
// divided by that number. Unlike throughput, CPU time per request hardly
// moves when other programs load the machine, so it can be compared across
// runs on a shared box. Two regimes per path, both over 64 keep-alive
// connections with hey: a fixed rate (-q, BENCH_RATE req/s in total, default
// 1,024), and saturation (no rate limit; more requests per event-loop turn,
// so less CPU per request). Paths are interleaved, BENCH_RUNS rounds
// (default 3), medians printed with the per-round values.
// Paths: Weft fast path, Weft node:http path (bundled, minimal config) and
// HAProxy (nbthread 1). BENCH_VARIANTS (JSON: [{"name", "nodeArgs"?, "env"?,
// "bin"?, "retry"?}]) replaces the two Weft paths, to compare builds, node
// flags, or the route with and without the compiler's default retry.
// Benchmarks are not tests: this prints a table and asserts nothing.
import { type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { haproxyPlain, weftPlain } from "./configs.ts";
import { cpuPer1k, freePort, hey, killAll, procMemMb, start, startHaproxy, startWeft, stop, waitForPort } from "./processes.ts";

const here = dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = 64;
const RATE = Number(process.env.BENCH_RATE ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// hey gives each connection n / c requests: round to a multiple of the connection count.
const round = (n: number) => Math.max(1, Math.floor(n / CONNECTIONS)) * CONNECTIONS;
const FIXED_REQUESTS = round(Number(process.env.BENCH_REQUESTS ?? RATE * 10));
const SATURATION_REQUESTS = round(Number(process.env.BENCH_SATURATION_REQUESTS ?? 40_960));

interface Variant {
  name: string;
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Another bundle to run instead of packages/proxy/dist/weft-proxy.mjs. */
  bin?: string;
  /** false: the route without the compiler's default retry of unsent requests (to price it). */
  retry?: boolean;
}
const VARIANTS: Variant[] = process.env.BENCH_VARIANTS
  ? (JSON.parse(process.env.BENCH_VARIANTS) as Variant[])
  : [
      { name: "Weft fast path", env: { WEFT_PROXY_FAST_PATH: "on" } },
      { name: "Weft node:http path", env: { WEFT_PROXY_FAST_PATH: "off" } },
    ];
const HAPROXY = "HAProxy (nbthread 1)";

interface Sample {
  fixed: number;
  saturation: number;
  rssAfter: number;
}
async function measure(proc: ChildProcess, url: string): Promise<Sample> {
  const pid = proc.pid ?? 0;
  await hey(url, round(5_000), CONNECTIONS, undefined); // warm-up: JIT, pools
  const fixed = await cpuPer1k(pid, url, FIXED_REQUESTS, CONNECTIONS, RATE);
  const saturation = await cpuPer1k(pid, url, SATURATION_REQUESTS, CONNECTIONS, undefined);
  return { fixed, saturation, rssAfter: await procMemMb([pid], "VmRSS") };
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "weft-bench-cpu-"));
  const loadBefore = loadavg()[0]?.toFixed(2);
  const samples = new Map<string, Sample[]>();
  const add = (name: string, s: Sample) => samples.set(name, [...(samples.get(name) ?? []), s]);
  try {
    const upstreamPort = await freePort();
    const upstream = start(process.execPath, [join(here, "upstream.mjs")], { PORT: String(upstreamPort) });
    await waitForPort(upstreamPort);
    for (let r = 0; r < RUNS; r++) {
      for (const v of VARIANTS) {
        const [listen, admin] = [await freePort(), await freePort()];
        const weft = await startWeft(work, "weft", weftPlain(listen, admin, upstreamPort, { retry: v.retry ?? true }), [listen], v.env ?? {}, v.nodeArgs ?? [], v.bin);
        add(v.name, await measure(weft, `http://127.0.0.1:${listen}/`));
        await stop(weft);
      }
      const haPort = await freePort();
      const haproxy = await startHaproxy(work, "haproxy", haproxyPlain(haPort, upstreamPort), [haPort]);
      add(HAPROXY, await measure(haproxy, `http://127.0.0.1:${haPort}/`));
      await stop(haproxy);
      process.stderr.write(`round ${r + 1}/${RUNS} done (load ${loadavg()[0]?.toFixed(2)})\n`);
    }
    await stop(upstream);

    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)] ?? NaN;
    const ha = samples.get(HAPROXY) ?? [];
    const haFixed = median(ha.map((s) => s.fixed));
    const haSat = median(ha.map((s) => s.saturation));
    const lines = [
      `Node ${process.version}; ${RUNS} rounds; fixed rate ${RATE} req/s × ${FIXED_REQUESTS} requests, saturation ${SATURATION_REQUESTS} requests, hey -c ${CONNECTIONS}; load average ${loadBefore} before, ${loadavg()[0]?.toFixed(2)} after.`,
      "CPU ms per 1,000 requests (100 ms per 1,000 requests is 10 % of a core at 1,000 req/s); median, then per round.",
      "",
      `| path | CPU ms / 1k req at ${RATE} req/s | ×HAProxy | rounds | CPU ms / 1k req at saturation | ×HAProxy | rounds | RSS after (MB) |`,
      "|---|---|---|---|---|---|---|---|",
      ...[...samples].map(([name, s]) => {
        const fixed = median(s.map((x) => x.fixed));
        const sat = median(s.map((x) => x.saturation));
        return `| ${name} | ${fixed.toFixed(1)} | ${(fixed / haFixed).toFixed(2)}× | ${s.map((x) => x.fixed.toFixed(0)).join(" / ")} | ${sat.toFixed(1)} | ${(sat / haSat).toFixed(2)}× | ${s.map((x) => x.saturation.toFixed(0)).join(" / ")} | ${median(s.map((x) => x.rssAfter)).toFixed(1)} |`;
      }),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    killAll();
    await rm(work, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
