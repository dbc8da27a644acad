// npm run bench:memory -w @weft/proxy — resident memory of the bundled Weft
// proxy against HAProxy (nbthread 1), same upstream (upstream.mjs). Memory,
// unlike throughput, hardly depends on what else the machine runs, so this is
// the figure to read on a shared box:
//   idle: VmRSS once the process has settled after start (no traffic yet);
//   after load: VmRSS once settled after a fixed number of requests
//     (hey -n BENCH_REQUESTS, default 20,480, over 64 keep-alive connections);
//   peak: VmHWM at the end.
// Configs: a minimal one (one outbound listener, one upstream), the mTLS pair
// (Weft → Weft STRICT with SPIFFE SVIDs; HAProxy → HAProxy with mutual TLS),
// and Weft's realistic sidecar (20 routes, 50 endpoints over 10 mTLS backends,
// inbound STRICT; idle only, its backends do not exist).
// Then where the idle memory of a sidecar is: VmRSS, RssAnon, RssFile and
// PSS (smaps_rollup) of a bare node process, node with node:http and
// node:tls loaded, the realistic sidecar alone and BENCH_SIDECARS of them
// (default 4) side by side on one host, and HAProxy. These run a private copy
// of the node executable, so its file-backed pages are shared only between
// the processes measured (other node programs on the machine would take a
// part of them and make PSS look smaller than on a host of sidecars).
// BENCH_NODE_ARGS (space-separated) adds node flags to the Weft processes.
// Benchmarks are not tests: this prints a table and asserts nothing.
import { type ChildProcess } from "node:child_process";
import { chmod, copyFile, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { haproxyPlain, haproxyTlsClient, haproxyTlsServer, weftMtlsClient, weftMtlsServer, weftPlain, weftRealistic } from "./configs.ts";
import { benchPki } from "./pki.ts";
import { freePort, killAll, procMemMb, procRollupMb, run, start, startHaproxy, startWeft, stop, waitForPort } from "./processes.ts";

const here = dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = 64;
// hey gives each connection n / c requests: a multiple of the connection count is what it sends.
const REQUESTS = Math.floor(Number(process.env.BENCH_REQUESTS ?? 20_480) / CONNECTIONS) * CONNECTIONS;
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const SIDECARS = Math.max(1, Number(process.env.BENCH_SIDECARS ?? 4));

/** VmRSS once it stops moving (under 0.25 MB over a second, at most 10 s): start-up and GC settle first. */
async function settledRss(pids: readonly number[]): Promise<number> {
  let last = await procMemMb(pids, "VmRSS");
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await procMemMb(pids, "VmRSS");
    if (Math.abs(now - last) < 0.25) return now;
    last = now;
  }
  return last;
}

/** A fixed number of requests (not a duration: the work done must not depend on the machine's speed); fails unless all got 200. */
async function load(url: string): Promise<void> {
  const out = await run("hey", ["-n", String(REQUESTS), "-c", String(CONNECTIONS), url]);
  const ok = Number(/\[200\]\s+(\d+) responses/.exec(out)?.[1] ?? 0);
  if (ok !== REQUESTS) throw new Error(`${url}: ${ok} of ${REQUESTS} requests answered 200:\n${out.slice(-800)}`);
}

interface Memory {
  idle: number;
  /** Of the idle RSS: anonymous (the process's own) and file-backed (the executable's pages, shared between processes). */
  idleAnon: number;
  idleFile: number;
  afterLoad: number;
  peak: number;
}
async function measure(procs: ChildProcess[], url: string | undefined): Promise<Memory> {
  const pids = procs.map((p) => p.pid ?? 0);
  const idle = await settledRss(pids);
  const split = { idleAnon: await procMemMb(pids, "RssAnon"), idleFile: await procMemMb(pids, "RssFile") };
  if (url === undefined) return { idle, ...split, afterLoad: NaN, peak: await procMemMb(pids, "VmHWM") };
  await load(url);
  const afterLoad = await settledRss(pids);
  return { idle, ...split, afterLoad, peak: await procMemMb(pids, "VmHWM") };
}

async function weftOnly(work: string, name: string, config: object, ports: number[], node?: string): Promise<ChildProcess> {
  return startWeft(work, name, config, ports, {}, NODE_ARGS, undefined, node);
}

/** Idle memory of one or more processes, summed, in MB, once settled. */
interface Split {
  rss: number;
  anon: number;
  file: number;
  pss: number;
  pssAnon: number;
  pssFile: number;
}
async function idleSplit(procs: ChildProcess[]): Promise<Split> {
  const pids = procs.map((p) => p.pid ?? 0);
  const rss = await settledRss(pids);
  return {
    rss,
    anon: await procMemMb(pids, "RssAnon"),
    file: await procMemMb(pids, "RssFile"),
    pss: await procRollupMb(pids, "Pss"),
    pssAnon: await procRollupMb(pids, "Pss_Anon"),
    pssFile: await procRollupMb(pids, "Pss_File"),
  };
}
const perProcess = (s: Split, n: number): Split => ({ rss: s.rss / n, anon: s.anon / n, file: s.file / n, pss: s.pss / n, pssAnon: s.pssAnon / n, pssFile: s.pssFile / n });

/** Where an idle sidecar's memory is, against bare node and HAProxy (see the header comment). */
async function idleSplits(work: string, pki: Awaited<ReturnType<typeof benchPki>>, upstreamPort: number): Promise<[string, Split][]> {
  const node = join(work, "node");
  await copyFile(process.execPath, node);
  await chmod(node, 0o755);
  const rows: [string, Split][] = [];
  const alone = async (name: string, proc: ChildProcess) => {
    await new Promise((r) => setTimeout(r, 1000));
    rows.push([name, await idleSplit([proc])]);
    await stop(proc);
  };
  await alone("bare node (`node -e setInterval`)", start(node, ["-e", "setInterval(() => {}, 1 << 30)"]));
  await alone("node with node:http and node:tls loaded", start(node, ["--input-type=module", "-e", "import 'node:http'; import 'node:tls'; setInterval(() => {}, 1 << 30)"]));
  const sidecar = async (i: number) => {
    const [o, n, a] = [await freePort(), await freePort(), await freePort()];
    return weftOnly(work, `split-${i}`, weftRealistic(pki, o, n, a, upstreamPort), [o, n, a], node);
  };
  const one = await sidecar(0);
  rows.push(["Weft realistic sidecar, alone on the host", await idleSplit([one])]);
  await stop(one);
  const many: ChildProcess[] = [];
  for (let i = 0; i < SIDECARS; i++) many.push(await sidecar(i));
  rows.push([`Weft realistic sidecar, ${SIDECARS} on one host (per sidecar)`, perProcess(await idleSplit(many), SIDECARS)]);
  for (const p of many) await stop(p);
  const haPort = await freePort();
  const haproxy = await startHaproxy(work, "haproxy-split", haproxyPlain(haPort, upstreamPort), [haPort]);
  rows.push(["HAProxy (nbthread 1), plain config", await idleSplit([haproxy])]);
  await stop(haproxy);
  return rows;
}

// eslint-disable-next-line max-lines-per-function -- the benchmark's script: each row starts its processes, measures, stops them.
async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "weft-bench-memory-"));
  const loadBefore = loadavg()[0]?.toFixed(2);
  try {
    const pki = await benchPki(work);
    const upstreamPort = await freePort();
    const upstream = start(process.execPath, [join(here, "upstream.mjs")], { PORT: String(upstreamPort) });
    await waitForPort(upstreamPort);
    const rows: [string, Memory, Memory | undefined][] = [];

    const [listen, admin, haPort] = [await freePort(), await freePort(), await freePort()];
    const weft = await weftOnly(work, "plain", weftPlain(listen, admin, upstreamPort), [listen]);
    const weftPlainMem = await measure([weft], `http://127.0.0.1:${listen}/`);
    await stop(weft);
    const haproxy = await startHaproxy(work, "haproxy", haproxyPlain(haPort, upstreamPort), [haPort]);
    rows.push(["plain HTTP/1.1, one upstream (one process)", weftPlainMem, await measure([haproxy], `http://127.0.0.1:${haPort}/`)]);
    await stop(haproxy);

    const [inbound, serverAdmin, outbound, clientAdmin] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const server = await weftOnly(work, "mtls-server", weftMtlsServer(pki, inbound, serverAdmin, upstreamPort), [inbound]);
    const client = await weftOnly(work, "mtls-client", weftMtlsClient(pki, outbound, clientAdmin, inbound), [outbound]);
    const weftPair = await measure([client, server], `http://127.0.0.1:${outbound}/`);
    await stop(client);
    await stop(server);
    const [haServer, haClient] = [await freePort(), await freePort()];
    const tlsServer = await startHaproxy(work, "haproxy-tls-server", haproxyTlsServer(pki, haServer, upstreamPort), [haServer]);
    const tlsClient = await startHaproxy(work, "haproxy-tls-client", haproxyTlsClient(pki, haClient, haServer), [haClient]);
    rows.push(["mTLS pair (two processes, summed)", weftPair, await measure([tlsClient, tlsServer], `http://127.0.0.1:${haClient}/`)]);
    await stop(tlsClient);
    await stop(tlsServer);

    const [rOut, rIn, rAdmin] = [await freePort(), await freePort(), await freePort()];
    const realistic = await weftOnly(work, "realistic", weftRealistic(pki, rOut, rIn, rAdmin, upstreamPort), [rOut, rIn, rAdmin]);
    rows.push(["realistic sidecar: 20 routes, 50 endpoints, mTLS on (idle only)", await measure([realistic], undefined), undefined]);
    await stop(realistic);
    const splits = await idleSplits(work, pki, upstreamPort);
    await stop(upstream);

    const f = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "—" : n.toFixed(1));
    const lines = [
      `Node ${process.version}${NODE_ARGS.length > 0 ? ` ${NODE_ARGS.join(" ")}` : ""}; ${(await run("haproxy", ["-v"])).split("\n")[0]}; ${REQUESTS} requests per load (hey -c ${CONNECTIONS}); load average ${loadBefore} before, ${loadavg()[0]?.toFixed(2)} after.`,
      "",
      "| config | Weft idle RSS (MB) | of which anon + file | Weft RSS after load | Weft peak RSS | HAProxy idle RSS | of which anon + file | HAProxy after load | HAProxy peak | idle Weft/HAProxy |",
      "|---|---|---|---|---|---|---|---|---|---|",
      ...rows.map(
        ([name, w, h]) =>
          `| ${name} | ${f(w.idle)} | ${f(w.idleAnon)} + ${f(w.idleFile)} | ${f(w.afterLoad)} | ${f(w.peak)} | ${f(h?.idle)} | ${h ? `${f(h.idleAnon)} + ${f(h.idleFile)}` : "—"} | ${f(h?.afterLoad)} | ${f(h?.peak)} | ${h ? `${(w.idle / h.idle).toFixed(2)}×` : "—"} |`,
      ),
      "",
      "anon: the process's own pages (V8 heap, malloc, stacks), what each extra proxy costs; file: pages of mapped files (node's or haproxy's executable and libraries), shared by every process running the same binary on a host.",
      "",
      "Idle memory split (MB; PSS from /proc/<pid>/smaps_rollup: shared pages divided between the processes mapping them):",
      "",
      "| process | VmRSS | RssAnon | RssFile | PSS | PSS anon | PSS file |",
      "|---|---|---|---|---|---|---|",
      ...splits.map(([name, s]) => `| ${name} | ${f(s.rss)} | ${f(s.anon)} | ${f(s.file)} | ${f(s.pss)} | ${f(s.pssAnon)} | ${f(s.pssFile)} |`),
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
