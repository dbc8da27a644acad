import { type Finding, finding } from "../analysis/findings.ts";
import type { SnapshotIndex } from "../analysis/snapshot.ts";
import { namespaceOf, refOf, resourceKey } from "../resource/resource.schema.ts";
import { type Sidecar, egressHosts, sidecarTarget } from "./sidecar.schema.ts";

/**
 * WEFT1301: two Sidecars scope the same namespace, or the same service. A
 * service's Sidecar and its namespace's are not a conflict: the service's is
 * more specific and wins.
 */
export function analyzeSidecarConflicts(index: SnapshotIndex): Finding[] {
  const groups = new Map<string, Sidecar[]>();
  for (const s of index.ofKind("Sidecar")) {
    const key = sidecarTarget(s);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const out: Finding[] = [];
  for (const [key, list] of groups) {
    if (list.length < 2) continue;
    const selection = key.endsWith("/*") ? `namespace ${key.slice(0, -2)}` : `service ${key}`;
    for (const s of list) {
      const others = list.filter((o) => o !== s).map(refOf);
      out.push(finding("WEFT1301", refOf(s), "spec.targetRef", `the egress scope of ${selection} is also set by ${others.map(resourceKey).join(", ")}; keep one`, others));
    }
  }
  return out;
}

/** WEFT1302: egress hosts that name a namespace or service nothing in the mesh has (a typo scopes a proxy to nothing). */
export function analyzeSidecarHosts(index: SnapshotIndex): Finding[] {
  const namespaces = new Set<string>(index.snapshot.services.map((s) => s.namespace));
  const names = new Set<string>(index.snapshot.services.map((s) => s.name));
  for (const e of index.ofKind("ExternalService")) {
    namespaces.add(namespaceOf(e) ?? "");
    names.add(e.metadata.name);
  }
  const out: Finding[] = [];
  for (const s of index.ofKind("Sidecar")) {
    egressHosts(s).forEach((host, i) => {
      const path = `spec.egress.hosts[${i}]`;
      const text = s.spec.egress.hosts[i];
      if (host.namespace === "*") {
        if (host.service !== "*" && !names.has(host.service))
          out.push(finding("WEFT1302", refOf(s), path, `"${text}": no namespace has a service or ExternalService named ${host.service}`));
        return;
      }
      if (!namespaces.has(host.namespace)) {
        out.push(finding("WEFT1302", refOf(s), path, `"${text}": no service has been discovered in namespace ${host.namespace}`));
        return;
      }
      if (host.service !== "*" && !index.service("Service", host.namespace, host.service) && !index.service("ExternalService", host.namespace, host.service))
        out.push(finding("WEFT1302", refOf(s), path, `"${text}": service ${host.namespace}/${host.service} has not been discovered in any cluster and is no ExternalService`));
    });
  }
  return out;
}
