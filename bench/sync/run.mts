// Config propagation benchmark: time from an API write (resources.applyDocuments)
// to acknowledgement by 2,000 simulated proxies across 20 simulated agents,
// with 1,000 services in the mesh; manager RSS at that size.
//
//   npm run bench:sync -w @weft/agent           (BENCH_AGENTS, BENCH_PROXIES_PER_AGENT, BENCH_SERVICES, BENCH_WRITES)
//
// Each simulated agent holds a real configStream subscription over HTTP (SSE,
// the agent's own tRPC client) with its own cluster credential, and acks
// every snapshot with agent.ackConfig carrying one entry per proxy. The
// per-proxy "compile" on the propagation path is a cheap stand-in (a hash of
// the snapshot's input hash and the proxy id): the real compiler's cost at
// this size is measured separately and printed, because on 2 shared cores it
// would measure the compiler, not distribution (see docs/benchmarks.md).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import type { ClusterConfig } from "@weft/mesh-model";
import { compileProxyConfig } from "@weft/mesh-model/compiler";
import { compileInputs } from "../../apps/agent/src/mesh-config/compile-inputs.ts";
import { createManagerClient, type ManagerClient } from "../../apps/agent/src/manager-link/manager-client.ts";
import { adminClient, removeHome, startManager } from "../../apps/agent/test/manager-process.ts";
import type { UniversalFile } from "../../apps/agent/src/universal/universal-file.schema.ts";

const AGENTS = Number(process.env.BENCH_AGENTS ?? 20);
const PROXIES = Number(process.env.BENCH_PROXIES_PER_AGENT ?? 100);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
const WRITES = Number(process.env.BENCH_WRITES ?? 20);

const rssMiB = (pid: number, field: "VmRSS" | "VmHWM") => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(field));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] ?? NaN;
};
const hash = (text: string) => createHash("sha256").update(text).digest("hex");

interface SimAgent {
  name: string;
  client: ManagerClient;
  latest?: ClusterConfig;
  acked: Map<string, number>;
  received: Map<string, number>;
  waiters: Map<string, () => void>;
  close(): void;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

const manager = await startManager();
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
    agents.push({ name, client, acked: new Map(), received: new Map(), waiters: new Map(), close: () => undefined });
  }
  log(`discovery reported; RSS ${rssMiB(pid, "VmRSS")} MiB. Opening ${AGENTS} config streams (${AGENTS * PROXIES} simulated proxies) ...`);

  for (const agent of agents) {
    const proxies = Array.from({ length: PROXIES }, (_, i) => `bench/${agent.name}-p${i}`);
    let lastId: string | undefined;
    const sub = agent.client.agent.configStream.subscribe(
      {},
      {
        onData(event) {
          const { id, data } = event as unknown as { id: string; data: ClusterConfig };
          lastId = id;
          agent.latest = data;
          agent.received.set(data.configVersion, performance.now());
          // Stand-in compile: one input hash per snapshot, one config version per proxy.
          const input = hash(id);
          const results = proxies.map((proxy) => ({ proxy, status: "applied" as const, version: hash(`${input}${proxy}`).slice(0, 16) }));
          void agent.client.agent.ackConfig
            .mutate({ configVersion: data.configVersion, status: "applied", proxies: results.map(({ proxy, status }) => ({ proxy, status })) })
            .then(() => {
              agent.acked.set(data.configVersion, performance.now());
              agent.waiters.get(data.configVersion)?.();
            })
            .catch((err: unknown) => log(`ack failed for ${agent.name}: ${String(err)}`));
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

  const samples: number[] = [];
  const writeMs: number[] = [];
  const receivedMs: number[] = [];
  const perWrite: { p50: number; max: number }[] = [];
  for (let w = 0; w < WRITES; w++) {
    const yaml = `apiVersion: weft.io/v1alpha1\nkind: TrafficPolicy\nmetadata:\n  name: bench-${w}\n  namespace: bench\nspec:\n  targetRef:\n    name: svc-${w}\n  loadBalancer:\n    algorithm: LEAST_REQUEST\n`;
    const t0 = performance.now();
    const applied = await admin.resources.applyDocuments.mutate({ text: yaml });
    const version = applied.configVersion.toString();
    writeMs.push(performance.now() - t0);
    await Promise.all(agents.map((a) => new Promise<void>((resolve) => (a.acked.has(version) ? resolve() : a.waiters.set(version, resolve)))));
    const times = agents.map((a) => a.acked.get(version)! - t0);
    for (const a of agents) receivedMs.push(a.received.get(version)! - t0);
    // Every proxy of an agent is acknowledged in its agent's one ack.
    for (const t of times) for (let i = 0; i < PROXIES; i++) samples.push(t);
    perWrite.push({ p50: pct(times, 0.5), max: Math.max(...times) });
  }
  const rss = rssMiB(pid, "VmRSS");
  const hwm = rssMiB(pid, "VmHWM");

  // The real compiler on one real snapshot, for one proxy of one agent.
  const snapshot = agents[0]!.latest!;
  const file: UniversalFile = {
    services: [{ name: "svc-0", namespace: "bench", protocol: "http", labels: {}, instances: [{ name: "svc-0-1", address: "127.0.0.1", port: 8080, version: "v1", serviceAccount: "svc-0", ready: true, labels: {}, proxy: { inboundPort: 15006, outboundPort: 15001, adminPort: 15000, inboundAddress: "127.0.0.1", localPorts: [] } }] }],
  };
  const input = [...compileInputs(file, snapshot.cluster, snapshot).values()][0]!;
  const compileMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    compileProxyConfig(input);
    compileMs.push(performance.now() - t);
  }

  const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
  log("");
  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; database: ${process.env.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : "embedded (PGlite)"}`);
  log(`| agents | proxies | services | writes | p50 propagation | p99 propagation | max | manager RSS (end / peak) | real compile, 1 proxy (p50 / max) |`);
  log(`|---|---|---|---|---|---|---|---|---|`);
  log(
    `| ${AGENTS} | ${AGENTS * PROXIES} | ${SERVICES} | ${WRITES} | ${fmt(pct(samples, 0.5))} | ${fmt(pct(samples, 0.99))} | ${fmt(Math.max(...samples))} | ${rss} / ${hwm} MiB | ${fmt(pct(compileMs, 0.5))} / ${fmt(Math.max(...compileMs))} |`,
  );
  log(`breakdown: the write itself returned after p50 ${fmt(pct(writeMs, 0.5))} (max ${fmt(Math.max(...writeMs))}); snapshots reached the agents after p50 ${fmt(pct(receivedMs, 0.5))}, p99 ${fmt(pct(receivedMs, 0.99))}; the rest is the 20 acks`);
  log(`per write (p50 / slowest agent): ${perWrite.map((p) => `${p.p50.toFixed(0)}/${p.max.toFixed(0)}`).join(" ")}`);
  log(`targets: p99 < 1000 ms → ${pct(samples, 0.99) < 1000 ? "met" : "MISSED"}; manager < 1024 MiB → ${hwm < 1024 ? "met" : "MISSED"}`);
  for (const a of agents) a.close();
} finally {
  await manager.stop();
  await removeHome(manager.home);
}
process.exit(0);
