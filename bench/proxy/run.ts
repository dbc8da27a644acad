// npm run bench:proxy — direct vs one Weft proxy vs single-threaded HAProxy,
// in one run on this machine, same upstream (upstream.mjs, 1 KiB bodies).
//   saturation: wrk, 64 connections, BENCH_SECONDS (default 10) each
//   latency:    load-gen.mjs, open loop at a fixed 1,000 req/s with
//               coordinated-omission correction
//   proxy CPU:  utime + stime from /proc/<pid>/stat over the fixed-rate phase
//   memory:     VmRSS when idle, VmHWM (peak) at the end
// Then a CPU profile of Weft under saturation (node --cpu-prof), summarised.
// Benchmarks are not tests: this prints a table and asserts nothing.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// The bundled proxy (`npm run build -w @weft/proxy`), as it would ship: no TypeScript loader in the process.
const proxyBin = resolve(here, "../../packages/proxy/dist/weft-proxy.mjs");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = 1000;
const CONNECTIONS = 64;
const CLK_TCK = 100; // USER_HZ on Linux

const children: ChildProcess[] = [];
function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  children.push(child);
  child.stderr?.on("data", () => undefined);
  return child;
}
function stop(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null) return r();
    child.once("exit", () => r());
    child.kill("SIGTERM");
  });
}
process.on("exit", () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL")));

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolveRun(out) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((r) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

async function procCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
async function procMemMb(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

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
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: ms(/50%\s+(\S+)/.exec(out)?.[1]),
    p99: ms(/99%\s+(\S+)/.exec(out)?.[1]),
  };
}

interface FixedRate {
  achievedRps: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}
async function fixedRate(url: string, seconds: number): Promise<FixedRate> {
  const out = await run(process.execPath, [join(here, "load-gen.mjs"), url, String(RATE), String(seconds), String(CONNECTIONS)]);
  return JSON.parse(out) as FixedRate;
}

interface PathResult {
  name: string;
  saturation: WrkResult;
  fixed: FixedRate;
  cpuPer1kRps?: number;
  idleRssMb?: number;
  peakRssMb?: number;
}

async function measure(name: string, url: string, pid: number | undefined): Promise<PathResult> {
  const idleRssMb = pid ? await procMemMb(pid, "VmRSS") : undefined;
  await wrk(url, 2); // warm-up: JIT, pools
  const saturation = await wrk(url, SECONDS);
  await new Promise((r) => setTimeout(r, 500));
  const cpu0 = pid ? await procCpuSeconds(pid) : 0;
  const t0 = performance.now();
  const fixed = await fixedRate(url, SECONDS);
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = pid ? await procCpuSeconds(pid) : 0;
  const peakRssMb = pid ? await procMemMb(pid, "VmHWM") : undefined;
  const cpuPer1kRps = pid ? ((cpu1 - cpu0) / wall / (fixed.achievedRps / 1000)) * 100 : undefined;
  process.stderr.write(`${name}: ${saturation.rps.toFixed(0)} req/s saturated, p99 ${fixed.p99.toFixed(2)} ms at ${RATE} req/s\n`);
  return { name, saturation, fixed, cpuPer1kRps, idleRssMb, peakRssMb };
}

function weftConfig(listen: number, admin: number, upstream: number): string {
  return JSON.stringify({
    version: "bench",
    node: { service: "bench-client", namespace: "default" },
    listeners: [
      { kind: "outbound", name: "bench", port: listen, virtualHost: "upstream.default" },
      { kind: "admin", name: "admin", port: admin },
    ],
    virtualHosts: [{ name: "upstream.default", domains: ["upstream"], routes: [{ name: "upstream", namespace: "default", creationTimestamp: "2024-01-01T00:00:00Z", rules: [{ backendRefs: [{ backend: "upstream.default" }] }] }] }],
    backends: [{ name: "upstream.default", service: "upstream", namespace: "default", endpoints: [{ address: "127.0.0.1", port: upstream }] }],
  });
}

function haproxyConfig(listen: number, upstream: number): string {
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend bench
  bind 127.0.0.1:${listen}
  default_backend upstream
backend upstream
  http-reuse always
  server s1 127.0.0.1:${upstream}
`;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
async function summariseProfile(dir: string): Promise<string[]> {
  const file = (await readdir(dir)).find((f) => f.endsWith(".cpuprofile"));
  if (!file) return ["(no profile written)"];
  const profile = JSON.parse(await readFile(join(dir, file), "utf8")) as { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] };
  const total = profile.samples.length;
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const url = n.callFrame.url;
    const short = url.replace(/^.*\/(packages|node_modules)\//, "$1/").replace(/^node:/, "node:");
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${short ? `${short}:${n.callFrame.lineNumber + 1}` : ""}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    const area = n.callFrame.functionName === "(garbage collector)"
      ? "garbage collection"
      : n.callFrame.functionName === "(idle)"
        ? "idle"
        : n.callFrame.functionName === "(program)" || url === ""
          ? "native / runtime (syscalls, libuv, llhttp)"
          : url.includes("packages/proxy")
            ? "weft proxy code"
            : url.includes("packages/mesh-model")
              ? "weft mesh-model (routing)"
              : url.startsWith("node:")
                ? "node core JS (http, net, streams)"
                : "dependencies";
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
  }
  const pct = (h: number) => `${((h / total) * 100).toFixed(1)} %`;
  const lines = ["| where | share of samples |", "|---|---|"];
  for (const [area, h] of [...byArea].sort((a, b) => b[1] - a[1])) lines.push(`| ${area} | ${pct(h)} |`);
  lines.push("", "Top functions by self time:", "", "| function | self |", "|---|---|");
  for (const [fn, h] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`| \`${fn.replace(/\|/g, "\\|")}\` | ${pct(h)} |`);
  return lines;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "weft-bench-"));
  try {
    const upstreamPort = await freePort();
    const upstream = start(process.execPath, [join(here, "upstream.mjs")], { PORT: String(upstreamPort) });
    await waitForPort(upstreamPort);

    const results: PathResult[] = [];
    results.push(await measure("direct", `http://127.0.0.1:${upstreamPort}/`, undefined));

    const weftPort = await freePort();
    const adminPort = await freePort();
    const cfg = join(work, "weft.json");
    await writeFile(cfg, weftConfig(weftPort, adminPort, upstreamPort));
    const weft = start(process.execPath, [proxyBin, "--config", cfg, "--drain-ms", "0"]);
    await waitForPort(weftPort);
    await new Promise((r) => setTimeout(r, 1000));
    results.push(await measure("weft", `http://127.0.0.1:${weftPort}/`, weft.pid));
    await stop(weft);

    const haPort = await freePort();
    const haCfg = join(work, "haproxy.cfg");
    await writeFile(haCfg, haproxyConfig(haPort, upstreamPort));
    const haproxy = start("haproxy", ["-db", "-f", haCfg]);
    await waitForPort(haPort);
    await new Promise((r) => setTimeout(r, 500));
    results.push(await measure("haproxy", `http://127.0.0.1:${haPort}/`, haproxy.pid));
    await stop(haproxy);

    // A CPU profile of Weft under saturation.
    const profDir = join(work, "prof");
    const profPort = await freePort();
    const profAdmin = await freePort();
    const profCfg = join(work, "weft-prof.json");
    await writeFile(profCfg, weftConfig(profPort, profAdmin, upstreamPort));
    const profiled = start(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${profDir}`, proxyBin, "--config", profCfg, "--drain-ms", "0"]);
    await waitForPort(profPort);
    await wrk(`http://127.0.0.1:${profPort}/`, 2);
    const profiledRun = await wrk(`http://127.0.0.1:${profPort}/`, Math.min(SECONDS, 5));
    await stop(profiled);
    const profile = await summariseProfile(profDir);
    await stop(upstream);

    const [direct, weftR, ha] = results as [PathResult, PathResult, PathResult];
    const f = (n: number | undefined, d = 0) => (n === undefined || Number.isNaN(n) ? "—" : n.toFixed(d));
    const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? "—" : `${(a / b).toFixed(2)}×`);
    const added = (r: PathResult) => r.fixed.p99 - direct.fixed.p99;
    const rows: [string, (r: PathResult) => string, string, string][] = [
      ["saturation throughput (req/s, wrk -c64)", (r) => f(r.saturation.rps), ratio(weftR.saturation.rps, ha.saturation.rps), ratio(weftR.saturation.rps, direct.saturation.rps)],
      ["wrk p50 / p99 at saturation (ms)", (r) => `${f(r.saturation.p50, 2)} / ${f(r.saturation.p99, 2)}`, "", ""],
      [`p50 at ${RATE} req/s (ms)`, (r) => f(r.fixed.p50, 3), ratio(weftR.fixed.p50, ha.fixed.p50), ratio(weftR.fixed.p50, direct.fixed.p50)],
      [`p90 at ${RATE} req/s (ms)`, (r) => f(r.fixed.p90, 3), ratio(weftR.fixed.p90, ha.fixed.p90), ratio(weftR.fixed.p90, direct.fixed.p90)],
      [`p99 at ${RATE} req/s (ms)`, (r) => f(r.fixed.p99, 3), ratio(weftR.fixed.p99, ha.fixed.p99), ratio(weftR.fixed.p99, direct.fixed.p99)],
      [`p99.9 at ${RATE} req/s (ms)`, (r) => f(r.fixed.p999, 3), ratio(weftR.fixed.p999, ha.fixed.p999), ratio(weftR.fixed.p999, direct.fixed.p999)],
      [`added p99 over direct at ${RATE} req/s (ms)`, (r) => (r === direct ? "—" : f(added(r), 3)), ratio(added(weftR), added(ha)), ""],
      ["proxy CPU per 1,000 req/s (% of a core)", (r) => f(r.cpuPer1kRps, 1), ratio(weftR.cpuPer1kRps, ha.cpuPer1kRps), ""],
      ["idle RSS (MB)", (r) => f(r.idleRssMb, 1), ratio(weftR.idleRssMb, ha.idleRssMb), ""],
      ["peak RSS (MB)", (r) => f(r.peakRssMb, 1), ratio(weftR.peakRssMb, ha.peakRssMb), ""],
      ["errors at fixed rate", (r) => String(r.fixed.errors), "", ""],
    ];
    const cpuModel = /model name\s*:\s*(.*)/.exec(await readFile("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
    const out = [
      `Machine: ${cpus().length} CPUs (nproc), ${cpuModel}; Node ${process.version}; ${(await run("haproxy", ["-v"])).split("\n")[0]}; ${(await run("wrk", ["-v"]).catch(() => "wrk")).split("\n")[0] || "wrk"}`,
      `Each phase ${SECONDS} s; upstream: one node:http process answering 1 KiB; wrk -t1 -c${CONNECTIONS}; fixed rate by bench/proxy/load-gen.mjs (open loop, coordinated-omission corrected).`,
      "",
      "| metric | direct | Weft | HAProxy (nbthread 1) | Weft/HAProxy | Weft/direct |",
      "|---|---|---|---|---|---|",
      ...rows.map(([label, get, wh, wd]) => `| ${label} | ${get(direct)} | ${get(weftR)} | ${get(ha)} | ${wh} | ${wd} |`),
      "",
      `CPU profile of Weft under saturation (${f(profiledRun.rps)} req/s while profiling):`,
      "",
      ...profile,
    ];
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await rm(work, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
