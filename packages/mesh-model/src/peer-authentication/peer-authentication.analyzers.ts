import { type Finding, finding } from "../analysis/findings.ts";
import type { SnapshotIndex } from "../analysis/snapshot.ts";
import { refOf, resourceKey } from "../resource/resource.schema.ts";
import { type PeerAuthentication, peerAuthenticationTarget } from "./peer-authentication.schema.ts";

/**
 * WEFT3101: two PeerAuthentications select the same namespace, or the same
 * service. A service-wide and a namespace-wide one are not a conflict: the
 * service's is more specific and wins.
 */
export function analyzePeerAuthenticationConflicts(index: SnapshotIndex): Finding[] {
  const groups = new Map<string, PeerAuthentication[]>();
  for (const p of index.ofKind("PeerAuthentication")) {
    const key = peerAuthenticationTarget(p);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const out: Finding[] = [];
  for (const [key, list] of groups) {
    if (list.length < 2) continue;
    const selection = key.endsWith("/*") ? `namespace ${key.slice(0, -2)}` : `service ${key}`;
    for (const p of list) {
      const others = list.filter((o) => o !== p).map(refOf);
      out.push(finding("WEFT3101", refOf(p), "spec.targetRef", `the mTLS mode of ${selection} is also set by ${others.map(resourceKey).join(", ")}; keep one`, others));
    }
  }
  return out;
}
