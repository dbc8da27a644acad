// Resource write benchmark: the time and CPU of one resources.applyDocuments
// (a TrafficPolicy update) among BENCH_RESOURCES stored resources (half
// Sidecars, half TrafficPolicies), and of the dashboard's resource list, with
// this replica's document cache (DocumentCache: documents of revisions
// already read are not read or validated again) against a reference service
// without it, on one database, alternating write by write in the same run.
//
//   npm run bench:resource-write -w @weft/agent      (BENCH_RESOURCES, default 2000; BENCH_WRITES, default 20; DATABASE_URL or embedded)
//
// Everything runs in this process (no agents, no config streams): the numbers
// are the write's own work (mesh lock, list, discovery, plan, revision) and
// the CPU this process used during it. Prints medians; asserts nothing.
import { cpus, loadavg, totalmem } from "node:os";
import type { Principal } from "../../apps/api/src/access.ts";
import { ResourcesRepository } from "../../apps/api/src/features/resources/resources.repository.ts";
import { parseDocuments, ResourcesService } from "../../apps/api/src/features/resources/resources.service.ts";
import { startTestManager } from "../../apps/api/src/testing.ts";
import { UnitOfWork } from "../../apps/api/src/unit-of-work.ts";

const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 2000);
const WRITES = Number(process.env.BENCH_WRITES ?? 20);
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

const m = await startTestManager();
try {
  const prisma = m.db.prisma;
  const admin = await prisma.user.findFirstOrThrow({ where: { username: "admin" } });
  const principal: Principal = { via: "session", userId: admin.id, username: admin.username, role: "ADMIN", bindings: [] };
  const currentMesh = async () => {
    const mesh = await m.services.mesh.get();
    if (!mesh) throw new Error("the default mesh is missing");
    return mesh;
  };
  const cached = m.services.resources;
  const reference = new ResourcesService(new UnitOfWork(prisma), new ResourcesRepository(prisma), currentMesh);

  const services = RESOURCES / 2;
  const docs = Array.from({ length: services }, (_, i) => [
    `apiVersion: weft.io/v1alpha1\nkind: Sidecar\nmetadata:\n  name: svc-${i}\n  namespace: bench\nspec:\n  targetRef:\n    name: svc-${i}\n  egress:\n    hosts: ["bench/svc-${(i + 1) % services}", "bench/svc-${(i + 2) % services}"]\n`,
    `apiVersion: weft.io/v1alpha1\nkind: TrafficPolicy\nmetadata:\n  name: svc-${i}\n  namespace: bench\nspec:\n  targetRef:\n    name: svc-${i}\n  loadBalancer:\n    algorithm: LEAST_REQUEST\n`,
  ]).flat();
  const apply = async (service: ResourcesService, text: string) => {
    const parsed = parseDocuments({ text });
    if (!parsed.ok) throw new Error(`bench documents do not parse: ${JSON.stringify(parsed.issues.slice(0, 3))}`);
    return (await service.applyDocuments(principal, parsed, { dryRun: false, message: "bench" })).value;
  };
  for (let i = 0; i < docs.length; i += 250) await apply(reference, docs.slice(i, i + 250).join("---\n"));
  log(`${docs.length} resources stored; ${WRITES} writes each way, alternating ...`);

  const meshId = (await currentMesh()).id;
  // The cached side's first list fills its cache (as a replica's first write does).
  await cached.list({});
  const runs = { reference: { writeMs: [] as number[], cpuMs: [] as number[], listMs: [] as number[] }, cached: { writeMs: [] as number[], cpuMs: [] as number[], listMs: [] as number[] } };
  const loadBefore = loadavg().map((l) => l.toFixed(1)).join(" / ");
  for (let w = 0; w < WRITES; w++) {
    for (const [name, service] of [w % 2 === 0 ? ["reference", reference] : ["cached", cached], w % 2 === 0 ? ["cached", cached] : ["reference", reference]] as const) {
      // A policy not written since it was stored: every write is a real update.
      const target = (2 * w + (name === "cached" ? 1 : 0)) % services;
      const text = `apiVersion: weft.io/v1alpha1\nkind: TrafficPolicy\nmetadata:\n  name: svc-${target}\n  namespace: bench\nspec:\n  targetRef:\n    name: svc-${target}\n  loadBalancer:\n    algorithm: ROUND_ROBIN\n`;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await apply(service, text);
      runs[name].writeMs.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      runs[name].cpuMs.push((cpu.user + cpu.system) / 1000);
      if (result.status !== "applied") throw new Error(`write ${w} (${name}) was ${result.status}`);
      const l0 = performance.now();
      const listed = await service.list({});
      runs[name].listMs.push(performance.now() - l0);
      if (listed.length !== docs.length) throw new Error(`${name} listed ${listed.length} resources, not ${docs.length} (mesh ${meshId})`);
    }
  }

  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; database: ${process.env.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : "embedded (PGlite)"}`);
  log(`load average (1 / 5 / 15 min) before the writes: ${loadBefore}; at the end: ${loadavg().map((l) => l.toFixed(1)).join(" / ")} — the machine may be shared`);
  log(`| documents | resources | writes | write (median / max) | CPU per write (median) | resource list (median) |`);
  log(`|---|---|---|---|---|---|`);
  for (const [name, r] of Object.entries(runs))
    log(`| ${name === "cached" ? "cached (this replica's DocumentCache)" : "reference (every document read and validated)"} | ${docs.length} | ${r.writeMs.length} | ${median(r.writeMs).toFixed(0)} ms / ${Math.max(...r.writeMs).toFixed(0)} ms | ${median(r.cpuMs).toFixed(0)} ms | ${median(r.listMs).toFixed(0)} ms |`);
} finally {
  await m.stop();
}
