// Mirror bench (not a test): the primary path's latency through one Weft
// proxy at a fixed rate, without a mirror and with every request mirrored to
// a shadow that takes 500 ms to answer. Same load, same processes, phases
// interleaved (off, on, off, on) so drift shows up as a difference between
// the two runs of the same phase. Prints a Markdown table.
//   npm run bench:mirror -w @weft/proxy    (BENCH_SECONDS, BENCH_RATE to change)
import { spawn, type ChildProcess } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WeftProxy } from "../../packages/proxy/src/index.ts";

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const CONNECTIONS = 64;
const children: ChildProcess[] = [];

function startServer(script: string, env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, PORT: "0", ...env } });
    children.push(child);
    child.stdout.once("data", (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
    child.once("error", reject);
  });
}

function loadGen(url: string, seconds: number): Promise<{ p50: number; p90: number; p99: number; p999: number; max: number; errors: number; achievedRps: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, "../proxy/load-gen.mjs"), url, String(RATE), String(seconds), String(CONNECTIONS)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load-gen exited ${code}`))));
  });
}

function config(primary: number, shadow: number, mirror: boolean) {
  return {
    version: mirror ? "mirror" : "plain",
    node: { service: "bench", namespace: "default" },
    listeners: [{ kind: "outbound", name: "outbound", port: 0, virtualHost: "primary" }],
    virtualHosts: [
      {
        name: "primary",
        domains: ["primary"],
        routes: [
          {
            name: "primary",
            namespace: "default",
            creationTimestamp: "2024-01-01T00:00:00Z",
            rules: [
              {
                backendRefs: [{ backend: "primary" }],
                // maxInFlight above RATE × 0.5 s: every copy is really sent, none dropped.
                filters: mirror ? [{ type: "RequestMirror", requestMirror: { backend: "shadow", percent: 100, maxInFlight: 4096 } }] : [],
              },
            ],
          },
        ],
      },
    ],
    backends: [
      { name: "primary", service: "primary", namespace: "default", endpoints: [{ address: "127.0.0.1", port: primary }] },
      { name: "shadow", service: "shadow", namespace: "default", endpoints: [{ address: "127.0.0.1", port: shadow }], policy: { circuitBreaker: { maxConnections: 4096, maxRequests: 4096 } } },
    ],
  };
}

const fmt = (ms: number) => ms.toFixed(2);

async function main() {
  const primary = await startServer(join(here, "../proxy/upstream.mjs"));
  const shadow = await startServer(join(here, "slow-upstream.mjs"), { DELAY_MS: "500" });
  const proxy = await WeftProxy.start(config(primary, shadow, false));
  const url = `http://127.0.0.1:${proxy.listenerAddress("outbound")?.port ?? 0}/`;
  await loadGen(url, 2); // warm-up
  const rows: string[] = [];
  for (const mirror of [false, true, false, true]) {
    const applied = await proxy.applyConfig(config(primary, shadow, mirror));
    if (!applied.ok) throw new Error(applied.reason);
    const before = proxy.metricsText();
    const r = await loadGen(url, SECONDS);
    // Let copies still in flight land before counting them.
    await new Promise((res) => setTimeout(res, 700));
    const copies = (text: string) => Number(/weft_mirror_requests_total\{destination_service="shadow",result="completed"\} (\d+)/.exec(text)?.[1] ?? 0);
    const sent = copies(proxy.metricsText()) - copies(before);
    rows.push(`| ${mirror ? "mirror → shadow (+500 ms)" : "no mirror"} | ${RATE} | ${Math.round(r.achievedRps)} | ${fmt(r.p50)} | ${fmt(r.p90)} | ${fmt(r.p99)} | ${fmt(r.p999)} | ${fmt(r.max)} | ${r.errors} | ${mirror ? sent : "-"} |`);
  }
  await proxy.close({ drainMs: 100 });
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(`Machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}. ${SECONDS} s per phase at ${RATE} req/s (open loop, ${CONNECTIONS} connections, latency from the scheduled start), phases interleaved.\n`);
  console.log("| phase | offered req/s | achieved | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | copies answered by the shadow |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill("SIGTERM");
  });
