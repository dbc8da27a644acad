// Scale bench (issue 19 item 5): 100 clusters, 10,000 services, 20,000
// proxies on one manager and then on two replicas sharing one PostgreSQL.
//
//   nice -n 10 npm run bench:scale -w @weft/agent
//   SCALE_CLUSTERS=10 SCALE_SERVICES=200 SCALE_PROXIES=400 SCALE_WRITES=3 SCALE_TELEMETRY_STEP_SECONDS=3 npm run bench:scale -w @weft/agent   (smoke)
//
// Knobs (bench/scale/plan.mts): SCALE_CLUSTERS, SCALE_SERVICES, SCALE_PROXIES,
// SCALE_WRITES, SCALE_CALLEES, SCALE_SIDECARS, SCALE_SETUPS ("1,2"),
// SCALE_TELEMETRY_STEP_SECONDS, SCALE_TELEMETRY_START_RATE, SCALE_PROFILE,
// SCALE_SETUP_CONCURRENCY; SCALE_DATABASE_URL (default weft_scale on
// 127.0.0.1, dropped and recreated at the start), SCALE_MANAGER_LOG=1.
//
// Setup goes through the real API, in bulk where the API is bulk: per cluster
// clusters.create, agent.join and one agent.resyncDiscovery carrying all its
// services, workloads and endpoints (what an agent sends on connect); one
// Sidecar per service through resources.applyDocuments, 250 per call.
//
// The simulated agents are light and speak the real wire protocol: each holds
// agent.configStream (SSE, the agent's own tRPC client, its own credential)
// and answers every snapshot with agent.ackConfig carrying one entry per
// proxy. They do not compile (what a compile costs at this size is
// bench:sync's and bench:compile-size's measurement, docs/scaling.md), so
// "write → ack" is the manager's part: write, fan-out, snapshot on the wire,
// ack recorded. Telemetry: the same agents send agent.reportTelemetry
// reports shaped like the agent's shipper's (one delta per edge of the
// cluster's services, current minute, a latency sketch), at a doubling rate
// until the manager stops keeping up.
import { access, mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import pg from "pg";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import type { EdgeDelta } from "@weft/mesh-model";
import { createManagerClient, type ManagerClient } from "../../apps/agent/src/manager-link/manager-client.ts";
import { adminClient, startManager, type AdminClient, type ManagerProcess } from "../../apps/agent/test/manager-process.ts";
import { procCpuSeconds, procMemMb } from "../proxy/processes.ts";
import { answeredEdgeRate, calleesOf, clusterOf, clusterServices, keptUp, percentile, scalePlan, sustainedEdgeRate, TELEMETRY_INTERVAL_MS, type TelemetryStep } from "./plan.mts";
import { summariseProfile } from "./profile.mts";

const plan = scalePlan();
const DATABASE_URL = process.env.SCALE_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/weft_scale";
const started = performance.now();
const log = (line: string) => process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();
const fmtMs = (ms: number) => (!Number.isFinite(ms) ? "—" : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
const PRELOAD = join(import.meta.dirname, "cpu-profile-preload.mjs");
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retries an idempotent setup call that failed on the manager's side (on a loaded machine its database connections can time out). */
async function retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 4 || !/internal error|timed? ?out|ECONNRESET|fetch failed/i.test(String(err))) throw err;
      log(`  ${what} failed (${String(err).slice(0, 120)}); retry ${attempt}`);
      await sleep(1000 * attempt);
    }
  }
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

// ---- the database: weft_scale, dropped and recreated (the manager migrates it on start) ----
const dbName = new URL(DATABASE_URL).pathname.slice(1);
const serverUrl = (() => {
  const u = new URL(DATABASE_URL);
  u.pathname = "/postgres";
  return u.toString();
})();
async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = [], url = DATABASE_URL): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}
if (!/^weft_[a-z0-9_]+$/.test(dbName)) throw new Error(`SCALE_DATABASE_URL must name a database weft_<something> (it is dropped and recreated), not "${dbName}"`);
await sql(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`, [], serverUrl);
await sql(`CREATE DATABASE "${dbName}"`, [], serverUrl);

const dbSize = async () => Number((await sql<{ size: string }>("SELECT pg_database_size(current_database())::text AS size"))[0]!.size) / 2 ** 20;
const topTables = async () =>
  (await sql("ANALYZE"), await sql<{ name: string; size: string; rows: string }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid)::text AS size, c.reltuples::bigint::text AS rows FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 6`,
  )).map((r) => `${r.name} ${(Number(r.size) / 2 ** 20).toFixed(1)} MiB (~${Number(r.rows) < 0 ? "?" : r.rows} rows)`);
/** CPU seconds so far of each PostgreSQL backend serving this database (they live as long as the managers' pools). */
async function pgCpu(): Promise<Map<number, number>> {
  const pids = (await sql<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).map((r) => r.pid);
  const cpu = new Map<number, number>();
  for (const pid of pids) cpu.set(pid, await procCpuSeconds([pid]).catch(() => 0));
  return cpu;
}
/** CPU the backends used between two samples; a backend that ended in between is not counted (an undercount). */
const pgCpuBetween = (before: Map<number, number>, after: Map<number, number>) => [...after].reduce((sum, [pid, cpu]) => sum + cpu - (before.get(pid) ?? 0), 0);

// ---- phases: CPU of the managers, the PostgreSQL backends and this (agents') process ----
interface Phase { name: string; wallS: number; managerCpuS: number[]; pgCpuS: number; benchCpuS: number }
const phases: Phase[] = [];
async function measure<T>(name: string, managers: ManagerProcess[], fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const m0 = await Promise.all(managers.map((m) => procCpuSeconds([m.process.pid!])));
  const p0 = await pgCpu();
  const b0 = process.cpuUsage();
  const result = await fn();
  const b = process.cpuUsage(b0);
  const m1 = await Promise.all(managers.map((m) => procCpuSeconds([m.process.pid!])));
  const p1 = await pgCpu();
  phases.push({ name, wallS: (performance.now() - t) / 1000, managerCpuS: m1.map((v, i) => v - m0[i]!), pgCpuS: pgCpuBetween(p0, p1), benchCpuS: (b.user + b.system) / 1e6 });
  return result;
}

// ---- simulated agents ----
interface Sim {
  index: number;
  name: string;
  credential: string;
  replica: number;
  client: ManagerClient;
  proxies: { proxy: string; status: "applied" }[];
  acked: Map<string, number>;
  /** When its stream was (re)opened, and when its first snapshot on it was acked. */
  openedAt: number;
  firstAckMs?: number | undefined;
  waiters: Map<string, () => void>;
  snapshots: number;
  queue: Promise<void>;
  seq: number;
  reporting: boolean;
  close(): void;
}
const clusterName = (c: number) => `scale-${String(c).padStart(3, "0")}`;
const address = (c: number, i: number) => `${10 + Math.floor(c / 250)}.${c % 250}.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function openStream(sim: Sim, url: string, replica: number) {
  sim.close();
  sim.replica = replica;
  sim.openedAt = performance.now();
  sim.firstAckMs = undefined;
  const client = (sim.client = createManagerClient(url, sim.credential));
  const sub = client.agent.configStream.subscribe(
    {},
    {
      onData(event) {
        const { data } = event as unknown as { data: { configVersion: string } };
        sim.snapshots++;
        const version = String(data.configVersion);
        // As the agent's applier: one snapshot at a time, acked with one entry per proxy.
        sim.queue = sim.queue
          .then(async () => {
            // As the agent (manager-sync.ts): a failed ack is sent again after 3 s, and counted.
            for (let attempt = 1; ; attempt++) {
              try {
                await client.agent.ackConfig.mutate({ configVersion: version, status: "applied", proxies: sim.proxies });
                break;
              } catch (err) {
                ackRetries++;
                if (attempt >= 5) throw err;
                log(`ack failed for ${sim.name} (attempt ${attempt}, again in 3 s): ${String(err)}`);
                await new Promise((r) => setTimeout(r, 3000));
              }
            }
            sim.acked.set(version, performance.now());
            sim.firstAckMs ??= performance.now() - sim.openedAt;
            sim.waiters.get(version)?.();
          })
          .catch((err: unknown) => void log(`ack failed for ${sim.name}: ${String(err)}`));
      },
      onError(err) {
        log(`stream error ${sim.name}: ${err.message}`);
      },
    },
  );
  sim.close = () => sub.unsubscribe();
}
/** Whether every agent acked `version` within `timeoutMs`. */
async function ackedAll(sims: Sim[], version: string, timeoutMs: number): Promise<boolean> {
  const all = Promise.all(sims.map((s) => new Promise<void>((resolve) => (s.acked.has(version) ? resolve() : s.waiters.set(version, resolve)))));
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([all.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs))))]);
  clearTimeout(timer);
  return done;
}
const ackedCount = (sims: Sim[], version: string) => sims.filter((s) => s.acked.has(version)).length;

// ---- telemetry reports: one delta per edge of the cluster's services, as the shipper sends them ----
const sketch = (() => {
  const s = new LatencySketch();
  for (let i = 1; i <= 100; i++) s.add(2 + (i % 40) * 0.7 + (i === 100 ? 180 : 0));
  return s.toJSON();
})();
function report(sim: Sim): { seq: number; edges: EdgeDelta[] } {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const edges: EdgeDelta[] = [];
  for (const n of clusterServices(plan, sim.index))
    for (const m of calleesOf(plan, n))
      edges.push({
        minute,
        source: { cluster: sim.name, namespace: "bench", service: `svc-${n}`, version: "v1" },
        destination: { cluster: clusterName(clusterOf(plan, m)), namespace: "bench", service: `svc-${m}`, version: "v1" },
        codeClass: "2xx",
        requests: 100,
        errors: 0,
        mtlsRequests: 100,
        latency: sketch,
      });
  return { seq: ++sim.seq, edges };
}

async function telemetryRamp(sims: Sim[], label: string, until: number): Promise<TelemetryStep[]> {
  const steps: TelemetryStep[] = [];
  const edgesPerReport = report({ ...sims[0]!, seq: 0 }).edges.length;
  let inflight = 0;
  let rate = plan.telemetryStartRate;
  let k = 0;
  for (;;) {
    if (performance.now() + (plan.telemetryStepSeconds + 10) * 1000 > until) {
      log(`${label} telemetry: time budget spent before the next step (${rate} reports/s)`);
      break;
    }
    const step: TelemetryStep = { offeredReportsPerSecond: rate, edgesPerReport, sent: 0, completed: 0, failed: 0, seconds: plan.telemetryStepSeconds, latenciesMs: [], skipped: 0, backlog: 0 };
    const t0 = performance.now();
    const end = t0 + plan.telemetryStepSeconds * 1000;
    let pendingOfStep = 0;
    while (performance.now() < end) {
      const due = t0 + ((step.sent + step.skipped) * 1000) / rate;
      if (due > performance.now()) await sleep(due - performance.now());
      const sim = sims[k++ % sims.length]!;
      // A real agent ships one report at a time (the next tick merges into its buffer): an agent still waiting is behind.
      if (sim.reporting) {
        step.skipped++;
        continue;
      }
      sim.reporting = true;
      step.sent++;
      inflight++;
      pendingOfStep++;
      const sentAt = performance.now();
      sim.client.agent.reportTelemetry
        .mutate(report(sim))
        .then(() => {
          step.completed++;
          step.latenciesMs.push(performance.now() - sentAt);
        })
        .catch((err: unknown) => {
          step.failed++;
          if (step.failed <= 3) log(`telemetry report failed (${sim.name}): ${String(err).slice(0, 300)}`);
        })
        .finally(() => {
          sim.reporting = false;
          inflight--;
          pendingOfStep--;
        });
    }
    // Grace: one agent telemetry interval (10 s) for the step's last reports to be answered.
    const graceEnd = performance.now() + TELEMETRY_INTERVAL_MS;
    while (pendingOfStep > 0 && performance.now() < graceEnd) await sleep(50);
    step.backlog = pendingOfStep;
    steps.push(step);
    log(
      `${label} telemetry: offered ${rate} reports/s (${(rate * edgesPerReport).toFixed(0)} edge deltas/s) → answered ${answeredEdgeRate(step).toFixed(0)} deltas/s, report latency p50 ${fmtMs(percentile(step.latenciesMs, 0.5))} p99 ${fmtMs(percentile(step.latenciesMs, 0.99))}, ${step.skipped} skipped (agent still waiting), ${pendingOfStep} unanswered after 10 s, ${step.failed} failed → ${keptUp(step) ? "kept up" : "BEHIND"}`,
    );
    if (!keptUp(step) || rate >= 512) break;
    rate *= 2;
  }
  // Reports still unanswered are left running (counted above as unanswered) once the budget is spent.
  while (inflight > 0 && performance.now() < until) await sleep(100);
  if (inflight > 0) log(`${label} telemetry: ${inflight} reports still unanswered at the end of the phase`);
  return steps;
}

// ---- the run ----
out(`uptime before: ${uptime()}`);
out(`plan: ${plan.clusters} clusters, ${plan.services} services (${plan.servicesPerCluster} per cluster), ${plan.proxies} proxies (${plan.proxiesPerCluster} per cluster), ${plan.callees} callees per service, Sidecars ${plan.sidecars ? "on" : "off"}, ${plan.writes} writes per setup, setups ${plan.setups.join(",")}`);
const profDir = await mkdtemp(join(tmpdir(), "weft-scale-prof-"));
const managerOutput = process.env.SCALE_MANAGER_LOG ? { onOutput: (chunk: string) => void process.stderr.write(chunk) } : {};
const managers: ManagerProcess[] = [];
// Requests up to 32 MiB (an operator setting, WEFT_API_MAX_BODY_BYTES): all Sidecars in one resources.applyDocuments.
const managerEnv = { WEFT_API_MAX_BODY_BYTES: String(32 * 2 ** 20) };
const results: { setup: string; writeToAck: number[]; perWriteMax: number[]; initialMs: number; phase: Phase | undefined; steps: TelemetryStep[]; notes: string[]; hwm: number[] }[] = [];
const deadline = started + plan.budgetSeconds * 1000;
let setupSummary = "";
/** Acks the simulated agents had to send again (a failed ack is retried after 3 s, as the agent does). */
let ackRetries = 0;
const profiles: { name: string; lines: string[] }[] = [];
let profileCount = 0;
/** Runs `fn` with manager A's sampling profiler on (SIGUSR2 toggles it, cpu-profile-preload.mjs) and summarises that phase. */
async function profiled<T>(name: string, manager: ManagerProcess, fn: () => Promise<T>): Promise<T> {
  if (!plan.profile) return fn();
  manager.process.kill("SIGUSR2");
  const result = await fn();
  manager.process.kill("SIGUSR2");
  const file = join(profDir, `${++profileCount}.cpuprofile`);
  for (let i = 0; i < 600; i++) {
    if (await access(file).then(() => true, () => false)) break;
    await sleep(100);
  }
  profiles.push({ name, lines: await summariseProfile(file).catch((err: unknown) => [`(profile not read: ${String(err)})`]) });
  return result;
}
const sims: Sim[] = [];
let exitCode = 0;
try {
  const a = await startManager({ databaseUrl: DATABASE_URL, env: { ...managerEnv, ...(plan.profile && { NODE_OPTIONS: `--import ${PRELOAD}`, WEFT_BENCH_PROFILE_DIR: profDir }) }, ...managerOutput });
  managers.push(a);
  const admin: AdminClient = await adminClient(a.url, a.home);
  log(`manager A up (pid ${a.process.pid}); database ${dbName} ${(await dbSize()).toFixed(1)} MiB after migrations`);

  // Setup through the real API.
  await measure("setup", [a], () => profiled("setup", a, async () => {
    const indices = Array.from({ length: plan.clusters }, (_, c) => c);
    await pool(indices, plan.setupConcurrency, async (c) => {
      const name = clusterName(c);
      const { joinToken } = await admin.clusters.create.mutate({ name });
      const { credential } = await createManagerClient(a.url).agent.join.mutate({ joinToken, agentVersion: "bench-scale" });
      const client = createManagerClient(a.url, credential);
      const services = clusterServices(plan, c);
      const instances = Array.from({ length: plan.proxiesPerCluster }, (_, i) => ({ i, service: `svc-${services[i % services.length]!}` }));
      await retry(`${name} discovery`, () => client.agent.resyncDiscovery.mutate({
        seq: 1,
        services: services.map((n) => ({ namespace: "bench", name: `svc-${n}`, ports: [{ name: "http", port: 8080, protocol: "http" as const }] })),
        workloads: instances.map(({ i, service }) => ({ namespace: "bench", name: `${service}-${i}`, serviceAccount: service, version: "v1", zone: `${name}-a` })),
        endpoints: instances.map(({ i, service }) => ({ namespace: "bench", service, address: address(c, i), port: 8080, protocol: "http" as const, ready: true, workload: `${service}-${i}` })),
        gateway: { address: `${name}.gw.example`, port: 15443 },
      }));
      sims[c] = {
        index: c,
        name,
        credential,
        replica: 0,
        client,
        proxies: instances.map(({ i, service }) => ({ proxy: `${service}-${i}`, status: "applied" as const })),
        acked: new Map(),
        openedAt: 0,
        waiters: new Map(),
        snapshots: 0,
        queue: Promise.resolve(),
        seq: 0,
        reporting: false,
        close: () => undefined,
      };
      if ((c + 1) % 20 === 0) log(`  ${c + 1}/${plan.clusters} clusters reported`);
    });
    log(`  discovery of ${plan.clusters} clusters reported`);
    if (plan.sidecars) {
      const docs = Array.from({ length: plan.services }, (_, n) => {
        const hosts = calleesOf(plan, n).map((m) => `"bench/svc-${m}"`).join(", ");
        return `apiVersion: weft.io/v1alpha1\nkind: Sidecar\nmetadata:\n  name: svc-${n}\n  namespace: bench\nspec:\n  targetRef:\n    name: svc-${n}\n  egress:\n    hosts: [${hosts}]\n`;
      });
      for (let i = 0; i < docs.length; i += plan.sidecarBatch) {
        const t = performance.now();
        await admin.resources.applyDocuments.mutate({ text: docs.slice(i, i + plan.sidecarBatch).join("---\n") });
        log(`  Sidecars ${i + 1}–${Math.min(docs.length, i + plan.sidecarBatch)} applied in ${fmtMs(performance.now() - t)}`);
      }
    }
  }));
  const setupPhase = phases.at(-1)!;
  const sizeAfterSetup = await dbSize();
  const tablesAfterSetup = await topTables();
  setupSummary = `setup (real API) took ${setupPhase.wallS.toFixed(0)} s; manager CPU ${setupPhase.managerCpuS[0]!.toFixed(1)} s, PostgreSQL backends ${setupPhase.pgCpuS.toFixed(1)} s, bench process ${setupPhase.benchCpuS.toFixed(1)} s; database ${sizeAfterSetup.toFixed(1)} MiB after setup (largest: ${tablesAfterSetup.join(", ")})`;
  log(setupSummary);

  // What is left of the time budget is shared by the setups: 55 % propagation, 45 % telemetry each.
  for (const [k, setup] of plan.setups.entries()) {
    const share = (deadline - performance.now()) / (plan.setups.length - k);
    const propagationUntil = performance.now() + share * (plan.telemetry ? 0.55 : 1);
    const telemetryUntil = performance.now() + share;
    const label = setup === 1 ? "one manager" : "two replicas";
    const notes: string[] = [];
    if (setup === 2 && managers.length < 2) {
      managers.push(await startManager({ databaseUrl: DATABASE_URL, env: managerEnv, ...managerOutput }));
      log(`manager B up (pid ${managers[1]!.process.pid})`);
    }
    const t = performance.now();
    const current = (await admin.mesh.status.query()).configVersion.toString();
    // One manager: every agent streams from A. Two replicas: the odd ones move to B (as a load balancer spreads them).
    const opening: Sim[] = [];
    for (const s of sims) {
      const replica = setup === 2 && s.index % 2 === 1 ? 1 : 0;
      if (s.snapshots > 0 && s.replica === replica) continue;
      s.acked.delete(current);
      openStream(s, managers[replica]!.url, replica);
      opening.push(s);
    }
    const opened = await measure(`${label}: first snapshots`, managers.slice(0, setup), () =>
      profiled(`${label}: first snapshots (A)`, a, () => ackedAll(sims, current, Math.max(propagationUntil - performance.now(), 30_000))),
    );
    const initialMs = opened ? performance.now() - t : NaN;
    const firsts = opening.flatMap((s) => (s.firstAckMs === undefined ? [] : [s.firstAckMs]));
    if (firsts.length > 0) notes.push(`first snapshot acked, per agent (${firsts.length} of the ${opening.length} streams opened): p50 ${fmtMs(percentile(firsts, 0.5))}, p99 ${fmtMs(percentile(firsts, 0.99))}, max ${fmtMs(Math.max(...firsts))}`);
    if (!opened) notes.push(`first snapshots: only ${ackedCount(sims, current)} of ${sims.length} agents acked (${sims.filter((s) => s.snapshots > 0).length} had received any snapshot) within ${fmtMs(performance.now() - t)} (time budget); manager RSS then ${(await Promise.all(managers.slice(0, setup).map((m) => procMemMb([m.process.pid!], "VmRSS")))).map((v) => v.toFixed(0)).join(" + ")} MiB`);
    log(`${label}: ${setup === 2 ? `${sims.filter((s) => s.replica === 1).length} agents moved to B; ` : ""}${opened ? `first snapshots acked by all after ${fmtMs(initialMs)}` : notes.at(-1)}`);
    const live = managers.slice(0, setup);
    const writeToAck: number[] = [];
    const perWriteMax: number[] = [];
    if (opened)
      await measure(`${label}: writes`, live, () =>
        profiled(`${label}: writes (A)`, a, async () => {
          for (let w = 0; w < plan.writes; w++) {
            if (w > 0 && performance.now() + Math.max(...perWriteMax) > propagationUntil) {
              notes.push(`${w} of ${plan.writes} writes (time budget)`);
              break;
            }
            const yaml = `apiVersion: weft.io/v1alpha1\nkind: TrafficPolicy\nmetadata:\n  name: scale-${setup}-${w}\n  namespace: bench\nspec:\n  targetRef:\n    name: svc-${((setup - 1) * plan.writes + w) % plan.services}\n  loadBalancer:\n    algorithm: LEAST_REQUEST\n`;
            const t0 = performance.now();
            const applied = await admin.resources.applyDocuments.mutate({ text: yaml });
            const version = applied.configVersion.toString();
            if (!(await ackedAll(sims, version, Math.max(propagationUntil - performance.now(), 30_000)))) {
              notes.push(`write ${w + 1}: only ${ackedCount(sims, version)} of ${sims.length} agents acked within ${fmtMs(performance.now() - t0)} (time budget)`);
              log(`${label}: ${notes.at(-1)}`);
              break;
            }
            const times = sims.map((s) => s.acked.get(version)! - t0);
            writeToAck.push(...times);
            perWriteMax.push(Math.max(...times));
            log(`${label}: write ${w + 1}/${plan.writes} → all ${sims.length} agents acked after ${fmtMs(Math.max(...times))} (p50 ${fmtMs(percentile(times, 0.5))})`);
          }
        }),
      );
    const writePhase = opened ? phases.at(-1)! : undefined;
    const steps = !plan.telemetry ? [] : await measure(`${label}: telemetry`, live, () => profiled(`${label}: telemetry ramp (A)`, a, () => telemetryRamp(sims, label, telemetryUntil)));
    results.push({ setup: label, writeToAck, perWriteMax, initialMs, phase: writePhase, steps, notes, hwm: await Promise.all(live.map((m) => procMemMb([m.process.pid!], "VmHWM"))) });
  }

  const sizeAtEnd = await dbSize();
  const managerCpu = await Promise.all(managers.map((m) => procCpuSeconds([m.process.pid!])));
  const hwm = await Promise.all(managers.map((m) => procMemMb([m.process.pid!], "VmHWM")));
  for (const s of sims) s.close();
  await Promise.all(managers.map((m) => m.stop()));

  // ---- report ----
  const load = loadavg().map((l) => l.toFixed(1)).join(" / ");
  out("");
  out(`uptime after: ${uptime()}`);
  out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; PostgreSQL ${dbName}; load average at the end ${load} (the machine is shared: durations are pessimistic when it is loaded)`);
  out(`total wall time ${((performance.now() - started) / 1000).toFixed(0)} s; acks sent again after a failure: ${ackRetries}`);
  out(setupSummary);
  out(`database at the end (after telemetry): ${sizeAtEnd.toFixed(1)} MiB (largest: ${(await topTables()).join(", ")})`);
  out(`manager CPU over its whole life: ${managerCpu.map((v, i) => `${"AB"[i]} ${v.toFixed(1)} s`).join(", ")}${plan.profile ? " (A ran its sampling profiler during each phase: a few % of overhead)" : ""}; peak RSS ${hwm.map((v, i) => `${"AB"[i]} ${v.toFixed(0)} MiB`).join(", ")}`);
  out("");
  out(`| setup | clusters / services / proxies | first snapshots to all agents | writes | write → ack, per agent (p50 / p99 / max) | slowest agent per write (p50 of writes) | manager CPU during the writes | PostgreSQL backends CPU | agents' process CPU | peak RSS | telemetry sustained (edge deltas/s) |`);
  out(`|---|---|---|---|---|---|---|---|---|---|---|`);
  for (const r of results) {
    const sustained = sustainedEdgeRate(r.steps);
    const cpu = r.phase ? `${r.phase.managerCpuS.map((v) => v.toFixed(1)).join(" + ")} s in ${r.phase.wallS.toFixed(0)} s (${((r.phase.managerCpuS.reduce((x, y) => x + y, 0) / Math.max(1, r.perWriteMax.length)) * 1000).toFixed(0)} ms per write)` : "—";
    out(
      `| ${r.setup} | ${plan.clusters} / ${plan.services} / ${plan.proxies} | ${fmtMs(r.initialMs)} | ${r.perWriteMax.length} | ${fmtMs(percentile(r.writeToAck, 0.5))} / ${fmtMs(percentile(r.writeToAck, 0.99))} / ${fmtMs(Math.max(...r.writeToAck))} | ${fmtMs(percentile(r.perWriteMax, 0.5))} | ${cpu} | ${r.phase ? r.phase.pgCpuS.toFixed(1) : "—"} s | ${r.phase ? r.phase.benchCpuS.toFixed(1) : "—"} s | ${r.hwm.map((v) => `${v.toFixed(0)}`).join(" + ")} MiB | ${sustained === null ? "none" : sustained.toFixed(0)} |`,
    );
  }
  for (const r of results) for (const n of r.notes) out(`note (${r.setup}): ${n}`);
  out("");
  for (const r of results)
    for (const s of r.steps)
      out(
        `telemetry ${r.setup}: ${s.offeredReportsPerSecond} reports/s × ${s.edgesPerReport} deltas offered → ${answeredEdgeRate(s).toFixed(0)} deltas/s answered (${s.completed} of ${s.sent} sent), latency p50 ${fmtMs(percentile(s.latenciesMs, 0.5))} p99 ${fmtMs(percentile(s.latenciesMs, 0.99))}, ${s.skipped} skipped (agent still waiting), ${s.backlog} unanswered after 10 s, ${s.failed} failed: ${keptUp(s) ? "kept up" : "behind"}`,
      );
  out("");
  out("CPU by phase (s): phase | wall | manager(s) | PostgreSQL backends | agents' process");
  for (const p of phases) out(`  ${p.name} | ${p.wallS.toFixed(0)} | ${p.managerCpuS.map((v) => v.toFixed(1)).join(" + ")} | ${p.pgCpuS.toFixed(1)} | ${p.benchCpuS.toFixed(1)}`);
  for (const p of profiles) {
    out("");
    out(`manager A CPU profile, ${p.name} (self time):`);
    for (const l of p.lines) out(`  ${l}`);
  }
} catch (err) {
  exitCode = 1;
  process.stderr.write(`scale bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  for (const m of managers) process.stderr.write(`manager output tail: ${m.output().slice(-3000)}\n`);
} finally {
  for (const s of sims) s?.close();
  await Promise.all(managers.map((m) => m.stop()));
  for (const m of managers) await rm(m.home, { recursive: true, force: true });
  await rm(profDir, { recursive: true, force: true });
}
process.exit(exitCode);
