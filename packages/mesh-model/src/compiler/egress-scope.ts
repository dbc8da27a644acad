// Egress scoping (the Sidecar resource): which services a workload's outbound
// side is compiled for. The Sidecar targeting the workload's service wins over
// its namespace's; of two equally specific ones the oldest wins. Without one
// the scope is the whole mesh (the default). In scope: the services and
// ExternalServices the hosts match and those the workload has local ports
// for. Routes of in-scope services keep their backends wherever those are.
//
// `relevantContent` lists everything a scoped proxy's config is compiled
// from, so that a change elsewhere in the mesh leaves its input key — and its
// config — unchanged (MeshCompiler.inputKey; the agent skips its compile).
import { type EgressHost, egressAllows, egressHosts } from "../sidecar/sidecar.schema.ts";
import type { Catalog, CompileInput } from "./compile-input.ts";
import { canonicalJson } from "./config-hash.ts";
import { type DiagnosticSink, compareText } from "./diagnostics.ts";
import type { Indexed, ResourcesByKind } from "./indexed-resource.ts";
import { type MeshService, serviceKey } from "./service-catalog.ts";

/** What the egress scope reads of a snapshot's index (compile-context.ts's MeshIndex has it all). */
export interface ScopeIndex {
  readonly services: ReadonlyMap<string, MeshService>;
  readonly sortedServices: readonly MeshService[];
  readonly byKind: ResourcesByKind;
  sidecarsIn(namespace: string): readonly Indexed<"Sidecar">[];
  /** Sidecars of a namespace targeting `service` (null: those without a targetRef), oldest first. */
  sidecarsTargeting(namespace: string, service: string | null): readonly Indexed<"Sidecar">[];
  routesAttachedTo(key: string): readonly Indexed<"HTTPRoute">[];
  policiesTargeting(key: string): readonly Indexed<"TrafficPolicy">[];
  catalogEntriesOf(key: string): readonly Catalog["services"][number][];
}

/** The egress scope of one workload. */
export interface EgressScope {
  /** The Sidecar in force. */
  sidecar: Indexed<"Sidecar">;
  hosts: readonly EgressHost[];
  /** `<namespace>/<name>` of the services the workload has local ports for (always in scope). */
  localPorts: ReadonlySet<string>;
  /** Identifies the scope within one snapshot: the Sidecar and the local-port services. */
  key: string;
}

/** True when the service or ExternalService `namespace/name` is in scope (always, without a scope). */
export function inScope(scope: EgressScope | undefined, namespace: string, name: string): boolean {
  return !scope || scope.localPorts.has(serviceKey(name, namespace)) || egressAllows(scope.hosts, namespace, name);
}

/**
 * The catalog services in scope, ordered by `<namespace>/<name>` (all of them
 * without a scope). Hosts that name exact services are looked up rather than
 * matched against the whole catalog: a scoped proxy costs its scope, not the mesh.
 */
export function servicesInScope(index: ScopeIndex, scope: EgressScope | undefined): readonly MeshService[] {
  if (!scope) return index.sortedServices;
  if (scope.hosts.some((h) => h.namespace === "*" || h.service === "*")) return index.sortedServices.filter((s) => inScope(scope, s.namespace, s.name));
  const keys = new Set([...scope.hosts.map((h) => serviceKey(h.service, h.namespace)), ...scope.localPorts]);
  return [...keys]
    .flatMap((key) => index.services.get(key) ?? [])
    .sort((a, b) => compareText(serviceKey(a.name, a.namespace), serviceKey(b.name, b.namespace)));
}

/** The Sidecar that scopes the workload, if any; a `conflicting_policies` warning for each equally specific one it beats. */
export function resolveEgressScope(index: ScopeIndex, input: Pick<CompileInput, "workload" | "options">, sink?: DiagnosticSink): EgressScope | undefined {
  const { workload, options } = input;
  const forService = index.sidecarsTargeting(workload.namespace, workload.service);
  const forNamespace = index.sidecarsTargeting(workload.namespace, null);
  for (const group of [forService, forNamespace]) {
    const [winner, ...losers] = group;
    if (!winner) continue;
    for (const loser of losers)
      sink?.add({ severity: "warning", code: "conflicting_policies", resource: loser.key, path: "spec.targetRef", message: `${winner.key} scopes the same workloads and is older; its egress hosts are used` });
    const localPorts = new Set(options.localPorts.map((l) => serviceKey(l.service, l.namespace ?? workload.namespace)));
    return { sidecar: winner, hosts: egressHosts(winner.resource), localPorts, key: JSON.stringify([winner.key, [...localPorts].sort()]) };
  }
  return undefined;
}

/**
 * Canonical JSON of everything a scoped workload's config is compiled from,
 * besides its own workload and options: the Mesh, the Sidecars that could
 * scope it, the in-scope services, the workload's own service and everything
 * their routes send to — their catalog entries, their routes, the
 * TrafficPolicies that target them — the in-scope and routed-to
 * ExternalServices, and the security resources of the workload's service and
 * namespace. Resources with their creation times (precedence).
 */
export function relevantContent(index: ScopeIndex, scope: EgressScope, input: Pick<CompileInput, "workload">): string {
  const { workload } = input;
  const own = serviceKey(workload.service, workload.namespace);
  const scoped = new Set<string>([own]);
  for (const s of servicesInScope(index, scope)) scoped.add(serviceKey(s.name, s.namespace));
  for (const key of scope.localPorts) scoped.add(key);
  const resources = new Map<string, { key: string; createdAtText: string; resource: object }>();
  const add = (r: { key: string; createdAtText: string; resource: object }) => resources.set(r.key, r);
  const reached = new Set(scoped);
  const externals = new Set<string>();
  for (const key of scoped)
    for (const route of index.routesAttachedTo(key)) {
      add(route);
      for (const rule of route.resource.spec.rules) {
        const refs = [...(rule.backendRefs ?? []), ...(rule.filters ?? []).flatMap((f) => (f.type === "RequestMirror" ? [f.requestMirror.backendRef] : []))];
        for (const ref of refs) (ref.kind === "ExternalService" ? externals : reached).add(serviceKey(ref.name, ref.namespace ?? route.namespace));
      }
    }
  // A reference to an ExternalService that does not exist still resolves policies by its name.
  for (const key of externals) reached.add(key);
  for (const es of index.byKind.ExternalService) {
    const key = serviceKey(es.resource.metadata.name, es.namespace);
    if (externals.has(key) || inScope(scope, es.namespace, es.resource.metadata.name)) {
      add(es);
      reached.add(key);
    }
  }
  for (const key of reached) for (const p of index.policiesTargeting(key)) add(p);
  for (const m of index.byKind.Mesh) add(m);
  for (const s of [...index.sidecarsTargeting(workload.namespace, workload.service), ...index.sidecarsTargeting(workload.namespace, null)]) add(s);
  for (const p of index.byKind.PeerAuthentication) if (p.namespace === workload.namespace) add(p);
  for (const r of index.byKind.RequestAuthentication) if (r.namespace === workload.namespace || serviceKey(r.resource.spec.targetRef?.name ?? "", r.resource.spec.targetRef?.namespace ?? r.namespace) === own) add(r);
  for (const a of index.byKind.AuthorizationPolicy) if (serviceKey(a.resource.spec.targetRef.name, a.resource.spec.targetRef.namespace ?? a.namespace) === own) add(a);
  const parts: string[] = [];
  for (const key of [...resources.keys()].sort()) {
    const r = resources.get(key)!;
    parts.push(`${JSON.stringify(key)}@${r.createdAtText}:${resourceJson(r.resource)}`);
  }
  for (const key of [...reached].sort()) for (const entry of index.catalogEntriesOf(key)) parts.push(`${JSON.stringify(key)}:${entryJson(entry)}`);
  return parts.join("\n");
}

const jsonOf = new WeakMap<object, string>();
function resourceJson(resource: object): string {
  let json = jsonOf.get(resource);
  if (json === undefined) jsonOf.set(resource, (json = canonicalJson(resource)));
  return json;
}
const entryJson = resourceJson;
