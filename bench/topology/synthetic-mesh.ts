// A deterministic synthetic mesh for the topology bench: CLUSTERS × NAMESPACES
// namespaces holding SERVICES services in total, and EDGES distinct
// caller → callee pairs (mostly within a namespace, some across namespaces,
// a few across clusters, plus callers from outside the mesh), shaped like
// the telemetry.edges response the dashboard receives.
import type { EdgeEndLike, TrafficEdge } from "../../apps/web/src/features/topology/graph-model.ts";

export interface MeshShape {
  clusters: number;
  namespacesPerCluster: number;
  services: number;
  edges: number;
}

// mulberry32: small, seedable, good enough to spread edges.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticMesh(shape: MeshShape, seed = 7): TrafficEdge[] {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const namespaces: EdgeEndLike[][] = [];
  for (let c = 0; c < shape.clusters; c++)
    for (let n = 0; n < shape.namespacesPerCluster; n++) namespaces.push([]);
  for (let s = 0; s < shape.services; s++) {
    const bucket = s % namespaces.length;
    const c = Math.floor(bucket / shape.namespacesPerCluster);
    const n = bucket % shape.namespacesPerCluster;
    namespaces[bucket]!.push({ cluster: `cluster-${c}`, namespace: `ns-${n}`, service: `svc-${String(s).padStart(4, "0")}`, version: random() < 0.2 ? "v2" : "v1" });
  }
  const all = namespaces.flat();
  const outside: EdgeEndLike = { cluster: "", namespace: "", service: "unknown", version: "" };
  const seen = new Set<string>();
  const edges: TrafficEdge[] = [];
  const key = (e: EdgeEndLike) => `${e.cluster}/${e.namespace}/${e.service}`;
  while (edges.length < shape.edges) {
    const r = random();
    let source: EdgeEndLike;
    let destination: EdgeEndLike;
    if (edges.length < all.length) {
      // Every service is called at least once, so all of them are drawn.
      destination = all[edges.length]!;
      const home = namespaces.find((ns) => ns.includes(destination))!;
      source = r < 0.02 ? outside : pick(home);
    } else if (r < 0.02) {
      source = outside;
      destination = pick(all);
    } else if (r < 0.8) {
      const ns = pick(namespaces);
      source = pick(ns);
      destination = pick(ns);
    } else if (r < 0.95) {
      source = pick(all);
      destination = pick(namespaces.filter((ns) => ns[0]?.cluster === source.cluster).flat());
    } else {
      source = pick(all);
      destination = pick(all);
    }
    const id = `${key(source)}->${key(destination)}`;
    if (source === destination || seen.has(id)) continue;
    seen.add(id);
    const requests = Math.round(10 + random() * 5000);
    const errors = random() < 0.1 ? Math.round(requests * random() * 0.08) : 0;
    const p99 = Math.round(5 + random() * (random() < 0.05 ? 3000 : 400));
    edges.push({
      source,
      destination,
      requests,
      errors,
      rate: requests / 300,
      errorPercent: (errors / requests) * 100,
      p50: p99 / 4,
      p99,
      mtls: random() < 0.9,
    });
  }
  return edges;
}
