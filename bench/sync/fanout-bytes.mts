// CPU time (process.cpuUsage: robust to a loaded machine, unlike wall time) of
// the manager's serialization of one config version for bench:sync's 20
// clusters (1,000 services, a Sidecar each): what tRPC's SSE producer did per
// stream (JSON.stringify of `{ json: config }`, the `data:` line, its UTF-8
// encoding) against the prebuilt lines (sse-frames.ts: the shared parts'
// JSON, kept from hashing them, assembled per cluster, large parts not
// copied). Both sides hash the shared parts as the distribution does. Rounds
// alternate A and B; every round is a new version (fresh objects, cold caches).
//
//   npm run bench:fanout-bytes -w @weft/agent
import { createHash } from "node:crypto";
import { loadavg } from "node:os";
import { ClusterConfigs, type ClusterCatalogInput, type ClusterConfig, type Resource } from "@weft/mesh-model";
import { jsonPieces, placeholderFor, sendAsJsonBytes, takeFrame } from "../../apps/api/src/transport/sse-frames.ts";
import { installWholeChunkTextEncoderStream } from "../../apps/api/src/transport/text-encoder-stream.ts";

const CLUSTERS = 20;
const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const perCluster = SERVICES / CLUSTERS;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const encoder = new TextEncoder();
installWholeChunkTextEncoderStream(); // placeholders are only handed out where the encoder swaps them

function version(n: number): ClusterConfigs {
  const resources = Array.from({ length: SERVICES }, (_, i) => ({
    apiVersion: "weft.io/v1alpha1",
    kind: "Sidecar",
    metadata: { name: `svc-${i}`, namespace: "bench" },
    spec: { targetRef: { kind: "Service", name: `svc-${i}` }, egress: { hosts: Array.from({ length: 10 }, (_, k) => `bench/svc-${(i + 1 + k) % SERVICES}`) } },
  })) as unknown as Resource[];
  const clusters: ClusterCatalogInput[] = Array.from({ length: CLUSTERS }, (_, c) => ({
    name: `bench-${String(c).padStart(2, "0")}`,
    region: null,
    gateway: { address: `bench-${c}.gw.example`, port: 15443 },
    services: Array.from({ length: perCluster }, (_, s) => ({
      namespace: "bench",
      name: `svc-${c * perCluster + s}`,
      ports: [{ name: "http", port: 8080, protocol: "http" as const }],
      endpoints: [{ version: "v1", zone: `bench-${c}-a`, healthy: true, sidecar: true, serviceAccount: `svc-${c * perCluster + s}` }],
    })),
  }));
  const createdAt = new Map(resources.map((r) => [`Sidecar/bench/${r.metadata.name}`, new Date(1_700_000_000_000 + n)]));
  return new ClusterConfigs({ mesh: { trustDomain: "weft.local", mtlsMode: "STRICT" }, trust: null, configVersion: BigInt(n), catalogVersion: 1n, resources, createdAt, clusters });
}

const shared = (c: ClusterConfig): object[] => [c.resources, ...(c.resourceCreatedAt ? [c.resourceCreatedAt] : []), ...c.catalog];

/** Before: the shared parts stringified to hash them, then each stream's event stringified and encoded whole. */
function before(all: ClusterConfigs): number {
  const digests = new WeakMap<object, string>();
  let bytes = 0;
  for (let c = 0; c < CLUSTERS; c++) {
    const config = all.forCluster(`bench-${String(c).padStart(2, "0")}`);
    for (const part of shared(config)) if (!digests.has(part)) digests.set(part, createHash("sha256").update(JSON.stringify(part)).digest("hex"));
    bytes += encoder.encode(`data: ${JSON.stringify({ json: config })}\n`).byteLength;
  }
  return bytes;
}

/** After: the shared parts' JSON kept from hashing them; each line assembled from it (sse-frames.ts). */
function after(all: ClusterConfigs): number {
  const json = new WeakMap<object, Uint8Array>();
  const digests = new WeakMap<object, string>();
  let bytes = 0;
  for (let c = 0; c < CLUSTERS; c++) {
    const config = all.forCluster(`bench-${String(c).padStart(2, "0")}`);
    for (const part of shared(config))
      if (!digests.has(part)) {
        const b = encoder.encode(JSON.stringify(part));
        json.set(part, b);
        digests.set(part, createHash("sha256").update(b).digest("hex"));
      }
    sendAsJsonBytes(config, () => jsonPieces(config as unknown as Record<string, unknown>, json));
    for (const chunk of takeFrame(`data: ${JSON.stringify(placeholderFor(config))}\n`)!) bytes += chunk.byteLength;
  }
  return bytes;
}

console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" / ")}; ${CLUSTERS} clusters, ${SERVICES} services, a Sidecar each`);
const results: Record<"A" | "B", number[]> = { A: [], B: [] };
for (let round = 0; round < ROUNDS; round++)
  for (const [side, run] of [["A", before], ["B", after]] as const) {
    const all = version(round * 2 + (side === "A" ? 0 : 1));
    const t = cpu();
    const bytes = run(all);
    const ms = cpu() - t;
    results[side].push(ms);
    console.log(`round ${round + 1} ${side === "A" ? "A (per stream: stringify + encode)" : "B (prebuilt lines)        "}: ${ms.toFixed(0)} ms CPU for ${CLUSTERS} events, ${(bytes / CLUSTERS / 1e6).toFixed(2)} MB each`);
  }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`median CPU per version (20 events): A ${median(results.A).toFixed(0)} ms, B ${median(results.B).toFixed(0)} ms; load average after ${loadavg().map((l) => l.toFixed(1)).join(" / ")}`);
