import { namespaceOf, refOf, type Resource } from "../resource/resource.schema.ts";
import { type Finding, finding } from "./findings.ts";
import type { SnapshotIndex } from "./snapshot.ts";

interface Target {
  name: string;
  namespace?: string | undefined;
  version?: string | undefined;
  ports: readonly number[];
}

function check(index: SnapshotIndex, resource: Resource, target: Target): Finding[] {
  const namespace = target.namespace ?? namespaceOf(resource) ?? "";
  const known = index.service("Service", namespace, target.name);
  const about = refOf(resource);
  if (!known) return [finding("WEFT1005", about, "spec.targetRef.name", `service ${namespace}/${target.name} has not been discovered in any cluster`)];
  const out: Finding[] = [];
  if (target.version !== undefined && !known.versions.has(target.version))
    out.push(finding("WEFT1005", about, "spec.targetRef.version", `service ${namespace}/${target.name} has no version "${target.version}"`));
  for (const port of target.ports)
    if (known.ports.size > 0 && !known.ports.has(port)) out.push(finding("WEFT1005", about, "spec.targetRef", `service ${namespace}/${target.name} does not expose port ${port}`));
  return out;
}

/** WEFT1005: policies (and PeerAuthentications, Sidecars) whose target service, version or port is unknown to discovery. */
export function analyzePolicyTargets(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  for (const p of index.ofKind("TrafficPolicy")) {
    const t = p.spec.targetRef;
    out.push(...check(index, p, { ...t, ports: t.port !== undefined ? [t.port] : [] }));
  }
  for (const p of index.ofKind("AuthorizationPolicy")) out.push(...check(index, p, { ...p.spec.targetRef, ports: p.spec.targetRef.ports ?? [] }));
  for (const p of index.ofKind("RequestAuthentication")) if (p.spec.targetRef) out.push(...check(index, p, { ...p.spec.targetRef, ports: [] }));
  // PeerAuthentication targets are always in the resource's own namespace.
  for (const p of index.ofKind("PeerAuthentication")) if (p.spec.targetRef) out.push(...check(index, p, { name: p.spec.targetRef.name, ports: [] }));
  for (const s of index.ofKind("Sidecar")) if (s.spec.targetRef) out.push(...check(index, s, { name: s.spec.targetRef.name, ports: [] }));
  return out;
}
