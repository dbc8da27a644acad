import { type Finding, finding } from "../analysis/findings.ts";
import type { SnapshotIndex } from "../analysis/snapshot.ts";
import { namespaceOf, refOf, resourceKey } from "../resource/resource.schema.ts";
import type { TrafficPolicy } from "./traffic-policy.schema.ts";

/**
 * WEFT2001: two TrafficPolicies with the same selection (service, version or
 * all versions, port or all ports). Overlapping but different selections
 * (all versions vs. v1) are not conflicts: the more specific one wins.
 */
export function analyzeTrafficPolicyConflicts(index: SnapshotIndex): Finding[] {
  const groups = new Map<string, TrafficPolicy[]>();
  for (const policy of index.ofKind("TrafficPolicy")) {
    const t = policy.spec.targetRef;
    const key = `${t.namespace ?? namespaceOf(policy)}/${t.name}|${t.version ?? "*"}|${t.port ?? "*"}`;
    groups.set(key, [...(groups.get(key) ?? []), policy]);
  }
  const out: Finding[] = [];
  for (const policies of groups.values()) {
    if (policies.length < 2) continue;
    for (const policy of policies) {
      const others = policies.filter((p) => p !== policy).map(refOf);
      const t = policy.spec.targetRef;
      const selection = `${t.namespace ?? namespaceOf(policy)}/${t.name}${t.version !== undefined ? ` version ${t.version}` : ""}${t.port !== undefined ? ` port ${t.port}` : ""}`;
      out.push(finding("WEFT2001", refOf(policy), "spec.targetRef", `${selection} is also selected by ${others.map(resourceKey).join(", ")}; merge them into one policy`, others));
    }
  }
  return out;
}

/** The clusters a policy's locality settings name, each with its path ("cluster/zone" names count by their cluster). */
function namedLocalityClusters(policy: TrafficPolicy): { cluster: string; path: string }[] {
  const locality = policy.spec.loadBalancer?.locality;
  const out: { cluster: string; path: string }[] = [];
  const base = "spec.loadBalancer.locality";
  locality?.failover?.forEach((f, i) => {
    out.push({ cluster: f.from, path: `${base}.failover[${i}].from` });
    f.to.forEach((cluster, j) => out.push({ cluster, path: `${base}.failover[${i}].to[${j}]` }));
  });
  locality?.distribute?.forEach((d, i) => {
    out.push({ cluster: d.from.split("/")[0] ?? d.from, path: `${base}.distribute[${i}].from` });
    for (const to of Object.keys(d.to)) out.push({ cluster: to.split("/")[0] ?? to, path: `${base}.distribute[${i}].to.${to}` });
  });
  return out;
}

/**
 * WEFT2002: a locality failover order or distribution names a cluster that
 * discovery has not reported (a typo there silently never applies). Clusters
 * are those of every discovered service and workload; skipped when discovery
 * reports none.
 */
export function analyzeTrafficPolicyLocalities(index: SnapshotIndex): Finding[] {
  const known = new Set<string>();
  for (const s of index.snapshot.services) if (s.cluster !== undefined) known.add(s.cluster);
  for (const w of index.snapshot.workloads) if (w.cluster !== undefined) known.add(w.cluster);
  if (known.size === 0) return [];
  const list = [...known].sort().join(", ");
  const out: Finding[] = [];
  for (const policy of index.ofKind("TrafficPolicy"))
    for (const { cluster, path } of namedLocalityClusters(policy))
      if (!known.has(cluster)) out.push(finding("WEFT2002", refOf(policy), path, `no cluster "${cluster}" has been discovered (known: ${list})`));
  return out;
}
