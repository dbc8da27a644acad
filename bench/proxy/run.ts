// npm run bench:proxy -w @weft/proxy — Weft against single-threaded HAProxy
// on this machine, same upstream (upstream.mjs, 1 KiB bodies), BENCH_RUNS
// runs (default 3) with the median printed:
//   plain HTTP/1.1: direct, Weft fast path, Weft node:http path, HAProxy
//   mTLS: two Weft proxies (outbound → inbound STRICT, SPIFFE SVIDs) against
//     two HAProxies with mutual TLS between them
//   h2c: h2load (prior knowledge) into Weft and into HAProxy, HTTP/1.1 upstream
// Per path: saturation (wrk -t1 -c64, BENCH_SECONDS each, default 10), the
// latency at a fixed 1,000 req/s (load-gen.mjs, open loop, coordinated-
// omission corrected), proxy CPU per 1,000 req/s (utime + stime of the
// proxy processes over the fixed-rate phase; h2c: over saturation), idle
// and peak RSS. Then the idle RSS of the bundled proxy with a realistic
// sidecar config (20 routes, 50 endpoints, mTLS on), a CPU profile of the
// fast path under saturation, and the load average before and after.
// Benchmarks are not tests: this prints tables and asserts nothing.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { haproxyH2c, haproxyPlain, haproxyTlsClient, haproxyTlsServer, weftMtlsClient, weftMtlsServer, weftPlain, weftRealistic } from "./configs.ts";
import { benchPki, type BenchPki } from "./pki.ts";
import { freePort, killAll, procCpuSeconds, procMemMb, run, start, startHaproxy, startWeft, stop, waitForPort } from "./processes.ts";

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RATE = 1000;
const CONNECTIONS = 64;

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
}
async function wrk(url: string, seconds: number): Promise<WrkResult> {
  const out = await run("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", url]);
  const ms = (s: string | undefined) => {
    const m = /([\d.]+)(us|ms|s)/.exec(s ?? "");
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p50: ms(/50%\s+(\S+)/.exec(out)?.[1]), p99: ms(/99%\s+(\S+)/.exec(out)?.[1]) };
}

async function h2load(url: string, seconds: number): Promise<number> {
  const out = await run("h2load", ["-c", "16", "-m", "16", "-D", String(seconds), "--warm-up-time=1", url]);
  return Number(/finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(out)?.[1] ?? NaN);
}

interface FixedRate {
  achievedRps: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}
async function fixedRate(url: string, seconds: number): Promise<FixedRate> {
  const out = await run(process.execPath, [join(here, "load-gen.mjs"), url, String(RATE), String(seconds), String(CONNECTIONS)]);
  return JSON.parse(out) as FixedRate;
}

interface PathResult {
  rps: number;
  wrkP99: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  cpuPer1k: number;
  idleRss: number;
  peakRss: number;
}

const NONE: PathResult = { rps: NaN, wrkP99: NaN, p50: NaN, p99: NaN, p999: NaN, errors: NaN, cpuPer1k: NaN, idleRss: NaN, peakRss: NaN };

/** Saturation, then the fixed rate with the proxies' CPU, then memory. */
async function measureH1(url: string, pids: readonly number[]): Promise<PathResult> {
  const idleRss = pids.length > 0 ? await procMemMb(pids, "VmRSS") : NaN;
  await wrk(url, 2); // warm-up: JIT, pools
  const saturation = await wrk(url, SECONDS);
  await new Promise((r) => setTimeout(r, 500));
  const cpu0 = await procCpuSeconds(pids);
  const t0 = performance.now();
  const fixed = await fixedRate(url, SECONDS);
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = await procCpuSeconds(pids);
  return {
    rps: saturation.rps,
    wrkP99: saturation.p99,
    p50: fixed.p50,
    p99: fixed.p99,
    p999: fixed.p999,
    errors: fixed.errors,
    cpuPer1k: pids.length > 0 ? ((cpu1 - cpu0) / wall / (fixed.achievedRps / 1000)) * 100 : NaN,
    idleRss,
    peakRss: pids.length > 0 ? await procMemMb(pids, "VmHWM") : NaN,
  };
}

/** h2c: saturation with h2load and the proxy's CPU over it. */
async function measureH2c(url: string, pids: readonly number[]): Promise<PathResult> {
  const idleRss = await procMemMb(pids, "VmRSS");
  await h2load(url, 2);
  const cpu0 = await procCpuSeconds(pids);
  const t0 = performance.now();
  const rps = await h2load(url, SECONDS);
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = await procCpuSeconds(pids);
  return { ...NONE, rps, cpuPer1k: ((cpu1 - cpu0) / wall / (rps / 1000)) * 100, idleRss, peakRss: await procMemMb(pids, "VmHWM") };
}

type PathName = "direct" | "weft-fast" | "weft-node" | "haproxy" | "weft-mtls" | "haproxy-tls" | "weft-h2c" | "haproxy-h2c";

/** One run of every path. */
// eslint-disable-next-line max-lines-per-function -- the benchmark's script: each path starts its processes, measures, stops them; one place to read the whole run.
async function oneRun(work: string, pki: BenchPki, upstreamPort: number): Promise<Record<PathName, PathResult>> {
  const out = {} as Record<PathName, PathResult>;
  out.direct = await measureH1(`http://127.0.0.1:${upstreamPort}/`, []);

  for (const [name, mode] of [["weft-fast", "on"], ["weft-node", "off"]] as const) {
    const [listen, admin] = [await freePort(), await freePort()];
    const weft = await startWeft(work, name, weftPlain(listen, admin, upstreamPort), [listen], { WEFT_PROXY_FAST_PATH: mode });
    out[name] = await measureH1(`http://127.0.0.1:${listen}/`, [weft.pid ?? 0]);
    await stop(weft);
  }

  const haPort = await freePort();
  const haproxy = await startHaproxy(work, "haproxy", haproxyPlain(haPort, upstreamPort), [haPort]);
  out.haproxy = await measureH1(`http://127.0.0.1:${haPort}/`, [haproxy.pid ?? 0]);
  await stop(haproxy);

  const [inbound, serverAdmin, listen, clientAdmin] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const server = await startWeft(work, "mtls-server", weftMtlsServer(pki, inbound, serverAdmin, upstreamPort), [inbound]);
  const client = await startWeft(work, "mtls-client", weftMtlsClient(pki, listen, clientAdmin, inbound), [listen]);
  out["weft-mtls"] = await measureH1(`http://127.0.0.1:${listen}/`, [client.pid ?? 0, server.pid ?? 0]);
  await stop(client);
  await stop(server);

  const [haServer, haClient] = [await freePort(), await freePort()];
  const tlsServer = await startHaproxy(work, "haproxy-tls-server", haproxyTlsServer(pki, haServer, upstreamPort), [haServer]);
  const tlsClient = await startHaproxy(work, "haproxy-tls-client", haproxyTlsClient(pki, haClient, haServer), [haClient]);
  out["haproxy-tls"] = await measureH1(`http://127.0.0.1:${haClient}/`, [tlsClient.pid ?? 0, tlsServer.pid ?? 0]);
  await stop(tlsClient);
  await stop(tlsServer);

  const [h2Listen, h2Admin] = [await freePort(), await freePort()];
  const weftH2 = await startWeft(work, "weft-h2c", weftPlain(h2Listen, h2Admin, upstreamPort), [h2Listen]);
  out["weft-h2c"] = await measureH2c(`http://127.0.0.1:${h2Listen}/`, [weftH2.pid ?? 0]);
  await stop(weftH2);
  const haH2 = await freePort();
  const haproxyH2 = await startHaproxy(work, "haproxy-h2c", haproxyH2c(haH2, upstreamPort), [haH2]);
  out["haproxy-h2c"] = await measureH2c(`http://127.0.0.1:${haH2}/`, [haproxyH2.pid ?? 0]);
  await stop(haproxyH2);
  return out;
}

/** Idle RSS of the bundled proxy with the realistic sidecar config. */
async function realisticRss(work: string, pki: BenchPki, app: number): Promise<number> {
  const [outbound, inbound, admin] = [await freePort(), await freePort(), await freePort()];
  const weft = await startWeft(work, "realistic", weftRealistic(pki, outbound, inbound, admin, app), [outbound, inbound, admin]);
  await new Promise((r) => setTimeout(r, 2000));
  const rss = await procMemMb([weft.pid ?? 0], "VmRSS");
  await stop(weft);
  return rss;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
async function summariseProfile(dir: string): Promise<string[]> {
  const file = (await readdir(dir)).find((f) => f.endsWith(".cpuprofile"));
  if (!file) return ["(no profile written)"];
  const profile = JSON.parse(await readFile(join(dir, file), "utf8")) as { nodes: ProfileNode[]; samples: number[] };
  const total = profile.samples.length;
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const url = n.callFrame.url;
    const short = url.replace(/^.*\/(packages|node_modules|dist)\//, "$1/");
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${short ? `${short}:${n.callFrame.lineNumber + 1}` : ""}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    const area =
      n.callFrame.functionName === "(garbage collector)"
        ? "garbage collection"
        : n.callFrame.functionName === "(idle)"
          ? "idle"
          : n.callFrame.functionName === "(program)" || url === ""
            ? "native / runtime (syscalls, libuv, TLS)"
            : url.startsWith("node:")
              ? "node core JS (net, streams, timers)"
              : "weft (bundle)";
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
  }
  const pct = (h: number) => `${((h / total) * 100).toFixed(1)} %`;
  const lines = ["| where | share of samples |", "|---|---|"];
  for (const [area, h] of [...byArea].sort((a, b) => b[1] - a[1])) lines.push(`| ${area} | ${pct(h)} |`);
  lines.push("", "Top functions by self time:", "", "| function | self |", "|---|---|");
  for (const [fn, h] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`| \`${fn.replace(/\|/g, "\\|")}\` | ${pct(h)} |`);
  return lines;
}

async function profileFastPath(work: string, upstreamPort: number): Promise<{ rps: number; lines: string[] }> {
  const profDir = join(work, "prof");
  const [listen, admin] = [await freePort(), await freePort()];
  const profiled = await startWeft(work, "weft-prof", weftPlain(listen, admin, upstreamPort), [listen], {}, ["--cpu-prof", `--cpu-prof-dir=${profDir}`]);
  await wrk(`http://127.0.0.1:${listen}/`, 2);
  const r = await wrk(`http://127.0.0.1:${listen}/`, Math.min(SECONDS, 5));
  await stop(profiled);
  return { rps: r.rps, lines: await summariseProfile(profDir) };
}

function median(values: number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

const f = (n: number, d = 0) => (Number.isNaN(n) ? "—" : n.toFixed(d));
const ratio = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) || b === 0 ? "—" : `${(a / b).toFixed(2)}×`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");

// eslint-disable-next-line max-lines-per-function -- the report: runs, medians and the tables in the order docs/benchmarks.md shows them.
async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "weft-bench-"));
  const loadBefore = load();
  try {
    const pki = await benchPki(work);
    const upstreamPort = await freePort();
    const upstream = start(process.execPath, [join(here, "upstream.mjs")], { PORT: String(upstreamPort) });
    await waitForPort(upstreamPort);

    const runs: Record<PathName, PathResult>[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await oneRun(work, pki, upstreamPort));
      const last = runs.at(-1) as Record<PathName, PathResult>;
      process.stderr.write(`run ${i + 1}/${RUNS}: fast ${f(last["weft-fast"].rps)} / node ${f(last["weft-node"].rps)} / HAProxy ${f(last.haproxy.rps)} req/s; mTLS ${f(last["weft-mtls"].rps)} / ${f(last["haproxy-tls"].rps)}; h2c ${f(last["weft-h2c"].rps)} / ${f(last["haproxy-h2c"].rps)} (load ${load()})\n`);
    }
    const med = (path: PathName, key: keyof PathResult) => median(runs.map((r) => r[path][key]));
    const perRun = (path: PathName, key: keyof PathResult, d = 0) => runs.map((r) => f(r[path][key], d)).join(" / ");
    const rssRealistic = await realisticRss(work, pki, upstreamPort);
    const profile = await profileFastPath(work, upstreamPort);
    await stop(upstream);

    const h1Paths: PathName[] = ["direct", "weft-fast", "weft-node", "haproxy"];
    const metrics: [string, keyof PathResult, number][] = [
      ["saturation throughput (req/s, wrk -c64)", "rps", 0],
      ["wrk p99 at saturation (ms)", "wrkP99", 2],
      [`p50 at ${RATE} req/s (ms)`, "p50", 3],
      [`p99 at ${RATE} req/s (ms)`, "p99", 3],
      [`p99.9 at ${RATE} req/s (ms)`, "p999", 3],
      ["proxy CPU per 1,000 req/s (% of a core)", "cpuPer1k", 1],
      ["idle RSS (MB)", "idleRss", 1],
      ["peak RSS (MB)", "peakRss", 1],
      ["errors at fixed rate", "errors", 0],
    ];
    const cpuModel = /model name\s*:\s*(.*)/.exec(await readFile("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
    const out = [
      `Machine: ${cpus().length} CPUs (nproc), ${cpuModel}; Node ${process.version}; ${(await run("haproxy", ["-v"])).split("\n")[0]}; ${(await run("h2load", ["--version"])).split("\n")[0]}`,
      `Load average (1 / 5 / 15 min): ${loadBefore} before, ${load()} after. ${RUNS} runs, each phase ${SECONDS} s; medians below (per-run values in the last column).`,
      `Upstream: one node:http process answering 1 KiB; wrk -t1 -c${CONNECTIONS}; fixed rate by bench/proxy/load-gen.mjs (open loop, coordinated-omission corrected).`,
      "",
      "Plain HTTP/1.1:",
      "",
      "| metric | direct | Weft fast path | Weft node:http path | HAProxy (nbthread 1) | fast/HAProxy | node/HAProxy | runs (fast) |",
      "|---|---|---|---|---|---|---|---|",
      ...metrics.map(([label, key, d]) => {
        const [direct, fast, node, ha] = h1Paths.map((p) => med(p, key)) as [number, number, number, number];
        return `| ${label} | ${f(direct, d)} | ${f(fast, d)} | ${f(node, d)} | ${f(ha, d)} | ${ratio(fast, ha)} | ${ratio(node, ha)} | ${perRun("weft-fast", key, d)} |`;
      }),
      "",
      "mTLS between two proxies (Weft outbound → Weft inbound STRICT with SPIFFE SVIDs; HAProxy → HAProxy with mutual TLS); CPU and RSS of both processes:",
      "",
      "| metric | two Weft | two HAProxy | Weft/HAProxy | runs (Weft) |",
      "|---|---|---|---|---|",
      ...metrics.map(([label, key, d]) => `| ${label} | ${f(med("weft-mtls", key), d)} | ${f(med("haproxy-tls", key), d)} | ${ratio(med("weft-mtls", key), med("haproxy-tls", key))} | ${perRun("weft-mtls", key, d)} |`),
      "",
      "h2c (h2load -c16 -m16, prior knowledge; HTTP/1.1 to the upstream); CPU over the saturation phase:",
      "",
      "| metric | Weft | HAProxy | Weft/HAProxy | runs (Weft) |",
      "|---|---|---|---|---|",
      ...(
        [
          ["saturation throughput (req/s)", "rps", 0],
          ["proxy CPU per 1,000 req/s (% of a core)", "cpuPer1k", 1],
          ["idle RSS (MB)", "idleRss", 1],
          ["peak RSS (MB)", "peakRss", 1],
        ] as [string, keyof PathResult, number][]
      ).map(([label, key, d]) => `| ${label} | ${f(med("weft-h2c", key), d)} | ${f(med("haproxy-h2c", key), d)} | ${ratio(med("weft-h2c", key), med("haproxy-h2c", key))} | ${perRun("weft-h2c", key, d)} |`),
      "",
      `Idle RSS of the bundled proxy with a realistic sidecar config (20 routes, 50 endpoints over 10 mTLS backends, inbound STRICT): ${f(rssRealistic, 1)} MB.`,
      "",
      `CPU profile of the Weft fast path under saturation (${f(profile.rps)} req/s while profiling):`,
      "",
      ...profile.lines,
    ];
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    killAll();
    await rm(work, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
