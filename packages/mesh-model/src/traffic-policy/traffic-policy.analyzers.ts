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
