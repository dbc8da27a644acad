// Config propagation benchmark: time from an API write (resources.applyDocuments)
// to the last of 2,000 proxy configs compiled by the real compiler across 20
// simulated agents, with 1,000 services in the mesh; manager and agents' RSS.
//
//   npm run bench:sync -w @weft/agent           (BENCH_AGENTS, BENCH_PROXIES_PER_AGENT, BENCH_SERVICES, BENCH_WRITES, BENCH_MANAGER_LOG, BENCH_MANAGER_NODE_OPTIONS)
//
// Each simulated agent holds a real configStream subscription over HTTP (SSE,
// the agent's own tRPC client) with its own cluster credential. On every
// snapshot it does what apps/agent's config applier does before its push:
// one compile input per local proxy (compileInputs, from a universal file of
// its 100 proxies, 2 instances of each of its services), skip proxies whose
// input hash is unchanged, compileProxyConfig for the rest, then agent.ackConfig
// with one entry per proxy carrying its compiled version. Not done: the push to
// a running proxy (PUT /config), measured elsewhere.
//
// All 20 agents share this one process (and the manager's 2 cores), so their
// compiles run one after another: "write → last proxy compiled" is what 2,000
// proxies cost on this machine, an upper bound for agents on their own hosts.
// The table also prints, per agent, "snapshot received + that agent's own
// compile time", both measured: what one agent on its own core would take.
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import type { ClusterConfig } from "@weft/mesh-model";
import { MeshCompiler, SharedParseCache } from "@weft/mesh-model/compiler";
import { proxyCompileInputs, RemoteCatalogCache, sharedCompileInputWithKeys } from "../../apps/agent/src/mesh-config/compile-inputs.ts";
import { createManagerClient, type ManagerClient } from "../../apps/agent/src/manager-link/manager-client.ts";
import { adminClient, removeHome, startManager } from "../../apps/agent/test/manager-process.ts";
import type { UniversalFile } from "../../apps/agent/src/universal/universal-file.schema.ts";

const AGENTS = Number(process.env.BENCH_AGENTS ?? 20);
const PROXIES = Number(process.env.BENCH_PROXIES_PER_AGENT ?? 100);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
// Each write costs ~2,000 real compiles (tens of ms each): a few writes give thousands of per-proxy samples.
const WRITES = Number(process.env.BENCH_WRITES ?? 2);
// Egress scoping: "callees" gives every service a Sidecar listing BENCH_CALLEES services it may call
// (the next ones by number, across clusters); "none" leaves every proxy with the whole mesh.
const SCOPE = process.env.BENCH_SCOPE ?? "callees";
const CALLEES = Number(process.env.BENCH_CALLEES ?? 10);
if (SCOPE !== "callees" && SCOPE !== "none") throw new Error(`BENCH_SCOPE must be "callees" or "none", not ${SCOPE}`);

const rssMiB = (pid: number, field: "VmRSS" | "VmHWM") => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(field));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
};
/** CPU seconds (user + system) the process has used so far, from /proc (clock ticks of 10 ms). */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] ?? NaN;
};
const yieldToStreams = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Proxies an agent handles between two yields to the other agents (one process holds them all). */
const YIELD_EVERY = 10;

interface SimAgent {
  name: string;
  client: ManagerClient;
  latest?: ClusterConfig;
  acked: Map<string, number>;
  received: Map<string, number>;
  /** Per config version: when each proxy's compile finished, and this agent's total compile time. */
  compiled: Map<string, { doneAt: number[]; compileMs: number; cpuMs: number; compiles: number }>;
  waiters: Map<string, () => void>;
  close(): void;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

// BENCH_MANAGER_LOG=1 shows the manager's own log (warn and above), e.g. the cause of an "internal error".
// BENCH_MANAGER_NODE_OPTIONS: Node options for the manager process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
// (the profile is written when the bench stops the manager).
const managerNodeOptions = process.env.BENCH_MANAGER_NODE_OPTIONS;
const manager = await startManager({
  ...(process.env.BENCH_MANAGER_LOG && { onOutput: (chunk: string) => void process.stderr.write(chunk) }),
  ...(managerNodeOptions && { env: { NODE_OPTIONS: [process.env.NODE_OPTIONS, managerNodeOptions].filter(Boolean).join(" ") } }),
});
const pid = manager.process.pid!;
try {
  const admin = await adminClient(manager.url, manager.home);
  log(`manager up (pid ${pid}, RSS ${rssMiB(pid, "VmRSS")} MiB); creating ${AGENTS} clusters, ${SERVICES} services ...`);

  const agents: SimAgent[] = [];
  const perCluster = Math.ceil(SERVICES / AGENTS);
  for (let a = 0; a < AGENTS; a++) {
    const name = `bench-${String(a).padStart(2, "0")}`;
    const { joinToken } = await admin.clusters.create.mutate({ name });
    const { credential } = await createManagerClient(manager.url).agent.join.mutate({ joinToken, agentVersion: "bench" });
    const client = createManagerClient(manager.url, credential);
    const services = Array.from({ length: Math.min(perCluster, SERVICES - a * perCluster) }, (_, i) => `svc-${a * perCluster + i}`);
    await client.agent.resyncDiscovery.mutate({
      seq: 1,
      services: services.map((s) => ({ namespace: "bench", name: s, ports: [{ name: "http", port: 8080, protocol: "http" as const }] })),
      workloads: services.map((s) => ({ namespace: "bench", name: `${s}-1`, serviceAccount: s, version: "v1", zone: `${name}-a` })),
      endpoints: services.map((s, i) => ({ namespace: "bench", service: s, address: `10.${a}.${Math.floor(i / 250)}.${(i % 250) + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: `${s}-1` })),
      gateway: { address: `${name}.gw.example`, port: 15443 },
    });
    agents.push({ name, client, acked: new Map(), received: new Map(), compiled: new Map(), waiters: new Map(), close: () => undefined });
  }
  log(`discovery reported; RSS ${rssMiB(pid, "VmRSS")} MiB. Opening ${AGENTS} config streams (${AGENTS * PROXIES} simulated proxies) ...`);

  if (SCOPE === "callees") {
    // One Sidecar per service, in batches (one revision each), before the streams open.
    const docs = Array.from({ length: SERVICES }, (_, i) => {
      const hosts = Array.from({ length: CALLEES }, (_, k) => `"bench/svc-${(i + 1 + k) % SERVICES}"`).join(", ");
      return `apiVersion: weft.io/v1alpha1\nkind: Sidecar\nmetadata:\n  name: svc-${i}\n  namespace: bench\nspec:\n  targetRef:\n    name: svc-${i}\n  egress:\n    hosts: [${hosts}]\n`;
    });
    for (let i = 0; i < docs.length; i += 250) await admin.resources.applyDocuments.mutate({ text: docs.slice(i, i + 250).join("---\n") });
    log(`egress scoping: ${SERVICES} Sidecars, ${CALLEES} callees each; RSS ${rssMiB(pid, "VmRSS")} MiB`);
  } else log("egress scoping: none (every proxy's config holds the whole mesh)");

  let compiles = 0;
  let compileSkips = 0;
  let outboundParts = 0;
  for (const agent of agents) {
    const file = universalFile(agent.name, Math.ceil(SERVICES / AGENTS), PROXIES);
    const lastKey = new Map<string, string>();
    const parses = new SharedParseCache(); // as the applier: unchanged resources are not parsed again
    const remote = new RemoteCatalogCache(); // nor an unchanged catalog mapped again
    const versions = new Map<string, string>();
    let queue = Promise.resolve();
    let lastId: string | undefined;
    // As the agent's applier: one reconcile at a time, on the snapshot that arrived; the resources and
    // catalog parsed once (MeshCompiler), proxies whose input key is unchanged skipped.
    const reconcile = async (data: ClusterConfig) => {
      const doneAt: number[] = [];
      let compileMs = 0;
      let cpuMs = 0;
      let t = performance.now();
      let cpu = process.cpuUsage();
      const { shared, keys } = sharedCompileInputWithKeys(file, data.cluster, data, remote);
      const compiler = new MeshCompiler(shared, { cache: parses, keys });
      let ownCompiles = 0;
      let handled = 0;
      const inputs = proxyCompileInputs(file, data.cluster, data);
      for (const [proxy, input] of inputs) {
        const key = compiler.inputKey(input);
        if (key !== lastKey.get(proxy)) {
          const { config } = compiler.compile(input);
          compiles++;
          ownCompiles++;
          versions.set(proxy, config.version);
          lastKey.set(proxy, key);
        } else compileSkips++;
        const now = performance.now();
        doneAt.push(now);
        // Every YIELD_EVERY proxies (and after the last): let the other agents' streams and acks progress, as
        // if each agent had a host of its own. The CPU clock is read there only: reading it per proxy cost
        // the bench's own process ~8 % of its time (a system call each).
        if (++handled % YIELD_EVERY !== 0 && handled < inputs.size) continue;
        compileMs += now - t; // the snapshot's parse and index, each proxy's key, and its compile when needed
        const used = process.cpuUsage(cpu);
        cpuMs += (used.user + used.system) / 1000; // CPU time, not wall time: robust to a loaded machine
        await yieldToStreams();
        t = performance.now();
        cpu = process.cpuUsage();
      }
      outboundParts += compiler.stats.outboundParts;
      agent.compiled.set(data.configVersion, { doneAt, compileMs, cpuMs, compiles: ownCompiles });
      await agent.client.agent.ackConfig.mutate({ configVersion: data.configVersion, status: "applied", proxies: [...versions.keys()].map((proxy) => ({ proxy, status: "applied" as const })) });
      agent.acked.set(data.configVersion, performance.now());
      agent.waiters.get(data.configVersion)?.();
    };
    const sub = agent.client.agent.configStream.subscribe(
      {},
      {
        onData(event) {
          const { id, data } = event as unknown as { id: string; data: ClusterConfig };
          lastId = id;
          agent.latest = data;
          agent.received.set(data.configVersion, performance.now());
          queue = queue.then(() => reconcile(data)).catch((err: unknown) => void log(`reconcile failed for ${agent.name}: ${String(err)}`));
        },
        onError(err) {
          log(`stream error ${agent.name} (last ${lastId}): ${err.message}`);
        },
      },
    );
    agent.close = () => sub.unsubscribe();
  }
  // Every agent holds and has acked the current version before the first write.
  const initial = (await admin.mesh.status.query()).configVersion.toString();
  await Promise.all(agents.map((a) => new Promise<void>((resolve) => (a.acked.has(initial) ? resolve() : a.waiters.set(initial, resolve)))));
  log(`all streams open; RSS ${rssMiB(pid, "VmRSS")} MiB. ${WRITES} writes ...`);

  // With a manager profile: the monotonic clock (µs, as in a .cpuprofile) where the writes begin and end.
  if (managerNodeOptions) log(`writes begin at monotonic ${process.hrtime.bigint() / 1000n} µs`);
  const loadBefore = loadavg().map((l) => l.toFixed(1)).join(" / ");
  const compilesBefore = compiles;
  const outboundBefore = outboundParts;
  const cpuPerWrite: { cpuMs: number; compiles: number }[] = [];
  const samples: number[] = [];
  const ownHost: number[] = [];
  const writeMs: number[] = [];
  const receivedMs: number[] = [];
  const lastProxyMs: number[] = [];
  const perWrite: { p50: number; max: number }[] = [];
  const managerCpu: number[] = [];
  for (let w = 0; w < WRITES; w++) {
    const yaml = `apiVersion: weft.io/v1alpha1\nkind: TrafficPolicy\nmetadata:\n  name: bench-${w}\n  namespace: bench\nspec:\n  targetRef:\n    name: svc-${w}\n  loadBalancer:\n    algorithm: LEAST_REQUEST\n`;
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    const applied = await admin.resources.applyDocuments.mutate({ text: yaml });
    const version = applied.configVersion.toString();
    writeMs.push(performance.now() - t0);
    await Promise.all(agents.map((a) => new Promise<void>((resolve) => (a.acked.has(version) ? resolve() : a.waiters.set(version, resolve)))));
    managerCpu.push(cpuSeconds(pid) - cpu0);
    const times = agents.map((a) => a.acked.get(version)! - t0);
    for (const a of agents) {
      const received = a.received.get(version)! - t0;
      const { doneAt, compileMs } = a.compiled.get(version)!;
      receivedMs.push(received);
      // Each proxy counts when its own config was compiled.
      for (const at of doneAt) samples.push(at - t0);
      ownHost.push(received + compileMs);
    }
    lastProxyMs.push(Math.max(...agents.flatMap((a) => a.compiled.get(version)!.doneAt)) - t0);
    cpuPerWrite.push(agents.reduce((sum, a) => ({ cpuMs: sum.cpuMs + a.compiled.get(version)!.cpuMs, compiles: sum.compiles + a.compiled.get(version)!.compiles }), { cpuMs: 0, compiles: 0 }));
    perWrite.push({ p50: pct(times, 0.5), max: Math.max(...times) });
    log(`write ${w + 1}/${WRITES}: last of ${AGENTS * PROXIES} proxy configs compiled after ${lastProxyMs.at(-1)!.toFixed(0)} ms`);
  }
  if (managerNodeOptions) log(`writes end at monotonic ${process.hrtime.bigint() / 1000n} µs`);
  const compilesPerWrite = (compiles - compilesBefore) / WRITES;
  const rss = rssMiB(pid, "VmRSS");
  const hwm = rssMiB(pid, "VmHWM");

  const compileMs = agents.map((a) => a.compiled.get(agents[0]!.latest!.configVersion)?.compileMs ?? NaN);
  const outboundPerWrite = (outboundParts - outboundBefore) / WRITES;
  const agentsHwm = Math.round(process.resourceUsage().maxRSS / 1024);
  const load = loadavg().map((l) => l.toFixed(1)).join(" / ");

  const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
  log("");
  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; database: ${process.env.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : "embedded (PGlite)"}`);
  log(`load average (1 / 5 / 15 min) at the end: ${load} — the machine may be shared; durations are pessimistic when it is`);
  log(`| agents | proxies | services | writes | write → last proxy compiled (p50 / p99 / max, per proxy) | per write, last of ${AGENTS * PROXIES} | one agent on its own core: received + own compiles (p50 / p99) | compiles per write | manager RSS (end / peak) | agents process peak RSS |`);
  log(`|---|---|---|---|---|---|---|---|---|---|`);
  log(
    `| ${AGENTS} | ${AGENTS * PROXIES} | ${SERVICES} | ${WRITES} | ${fmt(pct(samples, 0.5))} / ${fmt(pct(samples, 0.99))} / ${fmt(Math.max(...samples))} | ${lastProxyMs.map(fmt).join(", ")} | ${fmt(pct(ownHost, 0.5))} / ${fmt(pct(ownHost, 0.99))} | ${compilesPerWrite.toFixed(0)} (${compileSkips} skipped in all, input unchanged) | ${rss} / ${hwm} MiB | ${agentsHwm} MiB |`,
  );
  log(`breakdown: the write itself returned after p50 ${fmt(pct(writeMs, 0.5))} (max ${fmt(Math.max(...writeMs))}); snapshots reached the agents after p50 ${fmt(pct(receivedMs, 0.5))}, p99 ${fmt(pct(receivedMs, 0.99))}; one agent's snapshot handling (${PROXIES} proxies) took p50 ${fmt(pct(compileMs, 0.5))} (${fmt(pct(compileMs, 0.5) / PROXIES)} per proxy)`);
  log(`egress scope: ${SCOPE === "callees" ? `${CALLEES} callees per service (a Sidecar each)` : "none"}; per write, CPU time of all agents' snapshot handling (parse, keys, compiles) and compiles: ${cpuPerWrite.map((c) => `${c.cpuMs.toFixed(0)} ms / ${c.compiles}`).join(", ")}; CPU per proxy handled ${(cpuPerWrite.reduce((s, c) => s + c.cpuMs, 0) / (WRITES * AGENTS * PROXIES)).toFixed(2)} ms; outbound parts built per write ${outboundPerWrite.toFixed(0)}`);
  log(`per write, manager CPU (user + system, write to last ack): ${managerCpu.map((s) => `${(s * 1000).toFixed(0)} ms`).join(", ")}`);
  log(`load average (1 / 5 / 15 min) before the writes: ${loadBefore}`);
  log(`per write, acks (p50 / slowest agent): ${perWrite.map((p) => `${p.p50.toFixed(0)}/${p.max.toFixed(0)}`).join(" ")}`);
  log(`targets: p99 < 1000 ms (write → last proxy compiled) → ${pct(samples, 0.99) < 1000 ? "met" : "MISSED"}; manager < 1024 MiB → ${hwm < 1024 ? "met" : "MISSED"}`);
  for (const a of agents) a.close();
} finally {
  await manager.stop();
  await removeHome(manager.home);
}
process.exit(0);

/** A cluster's universal file: its services, each with instances that run a local proxy (`perService` = proxies / services). */
function universalFile(cluster: string, services: number, proxies: number): UniversalFile {
  const a = Number(cluster.slice(cluster.lastIndexOf("-") + 1));
  const perService = Math.max(1, Math.ceil(proxies / services));
  let n = 0;
  return {
    services: Array.from({ length: services }, (_, s) => ({
      name: `svc-${a * services + s}`,
      namespace: "bench",
      protocol: "http" as const,
      labels: {},
      instances: Array.from({ length: perService }, () => n++)
        .filter((i) => i < proxies)
        .map((i) => ({
          name: `svc-${a * services + s}-${i}`,
          address: `10.${a}.${Math.floor(i / 250)}.${(i % 250) + 1}`,
          port: 8080,
          version: "v1",
          serviceAccount: `svc-${a * services + s}`,
          ready: true,
          labels: {},
          proxy: { inboundPort: 15006, outboundPort: 15001, adminPort: 15000, inboundAddress: `10.${a}.${Math.floor(i / 250)}.${(i % 250) + 1}`, localPorts: [] },
        })),
    })),
  };
}
