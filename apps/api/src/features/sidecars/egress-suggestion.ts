// Suggests a Sidecar (egress scope) from what a service's, or a namespace's,
// workloads really called: every destination in the per-minute rollups,
// collapsed over clusters and versions to `<namespace>/<service>`. Pure: the
// repository gathers, this decides. A suggestion is only a document; nothing
// is stored until someone applies it like any other resource.
//
// Why it refuses rather than suggests little: a Sidecar's hosts are all its
// proxies are compiled for, so a scope built from no traffic (or only from
// traffic it cannot attribute) would cut every outbound call.
import { validateResource, type Sidecar } from "@weft/mesh-model";
import { invalid, preconditionFailed } from "../../errors.ts";

/** One destination of the target's workloads in the rollups, per cluster, as the repository groups them. */
export interface ObservedCall {
  sourceNamespace: string;
  destCluster: string;
  /** Empty when the caller's agent could not tell (an ExternalService, or a name in several namespaces). */
  destNamespace: string;
  /** `unknown` for calls that matched no route (404 at the caller's proxy). */
  destService: string;
  requests: number;
  lastSeen: Date;
}

/** A service or ExternalService by namespace and name. */
export interface NamedService {
  namespace: string;
  name: string;
}

/** A stored Sidecar that scopes the same workloads as the suggestion. */
export interface ExistingSidecar {
  namespace: string;
  name: string;
  hosts: readonly string[];
}

export interface SuggestionInput {
  namespace: string;
  /** The service whose workloads are scoped; the whole namespace without one. */
  service?: string | undefined;
  calls: readonly ObservedCall[];
  /** Discovered services (any cluster). */
  services: readonly NamedService[];
  /** Stored ExternalServices. */
  externalServices: readonly NamedService[];
  /** The live Sidecar for exactly this target (oldest first if several), if any. */
  existing: readonly ExistingSidecar[];
  /** The live namespace-wide Sidecar, when the target is one service (it scopes the service today). */
  namespaceScope?: ExistingSidecar | undefined;
  /** The window asked for, and the part of it telemetry covers (from the mesh's first reported minute to now or `to`). */
  window: SuggestionWindow;
}

export interface SuggestionWindow {
  from: Date;
  to: Date;
  coveredFrom: Date;
  coveredTo: Date;
}

/** One host of the suggestion with the evidence for it. */
export interface Callee {
  /** `<namespace>/<service>` as it appears in `spec.egress.hosts`. */
  host: string;
  kind: "Service" | "ExternalService";
  requests: number;
  lastSeen: Date;
  /** Clusters the calls went to (empty for ExternalServices, which have no cluster). */
  clusters: string[];
}

export interface HostsDiff {
  /** The Sidecar the diff is against, `namespace/name`. */
  against: string;
  added: string[];
  removed: string[];
  unchanged: string[];
}

export interface EgressSuggestion {
  document: Sidecar;
  callees: Callee[];
  window: SuggestionWindow;
  /** Hosts added and removed against the Sidecar in force for the target; null when there is none. */
  diff: HostsDiff | null;
  notes: string[];
}

/** A week: below this much covered traffic, a weekly caller may be missed. */
export const FULL_WINDOW_MS = 7 * 86_400_000;

/** The name a new Sidecar gets: the service's, or `namespace-egress` for the whole namespace. */
export function suggestedName(namespace: string, service: string | undefined): string {
  return `${service ?? namespace}-egress`.slice(0, 63).replace(/-+$/, "");
}

/**
 * The namespace of a destination its caller's agent left empty, the way the
 * agent names it when it can: the caller's own namespace if a service or
 * ExternalService of that name lives there, else the only namespace that has one.
 */
function resolveNamespace(name: string, callerNamespace: string, known: readonly NamedService[]): string | undefined {
  const namespaces = new Set(known.filter((s) => s.name === name).map((s) => s.namespace));
  if (namespaces.has(callerNamespace)) return callerNamespace;
  return namespaces.size === 1 ? [...namespaces][0] : undefined;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function suggestEgress(input: SuggestionInput): EgressSuggestion {
  const target = input.service ? `${input.namespace}/${input.service}` : `namespace ${input.namespace}`;
  const span = `${input.window.from.toISOString()} … ${input.window.to.toISOString()}`;
  if (input.calls.length === 0)
    throw preconditionFailed(
      `no outbound calls of ${target}'s workloads in the telemetry rollups for ${span}: a Sidecar is only suggested from observed traffic, and one listing no hosts would cut all of its outbound traffic (widen the window, or wait until its agents report traffic)`,
      "from",
    );
  const external = new Set(input.externalServices.map((e) => `${e.namespace}/${e.name}`));
  const known = [...input.services, ...input.externalServices];
  const callees = new Map<string, Callee>();
  let noRoute = 0;
  const unresolved = new Map<string, number>();
  for (const call of input.calls) {
    if (call.destService === "unknown" || call.destService === "") {
      noRoute += call.requests;
      continue;
    }
    const namespace = call.destNamespace || resolveNamespace(call.destService, call.sourceNamespace, known);
    if (!namespace) {
      unresolved.set(call.destService, (unresolved.get(call.destService) ?? 0) + call.requests);
      continue;
    }
    const host = `${namespace}/${call.destService}`;
    const kind = external.has(host) ? "ExternalService" : "Service";
    const entry = callees.get(host) ?? { host, kind, requests: 0, lastSeen: call.lastSeen, clusters: [] };
    entry.requests += call.requests;
    if (call.lastSeen > entry.lastSeen) entry.lastSeen = call.lastSeen;
    if (call.destCluster !== "" && !entry.clusters.includes(call.destCluster)) entry.clusters.push(call.destCluster);
    callees.set(host, entry);
  }
  const list = [...callees.values()].map((c) => ({ ...c, clusters: c.clusters.sort(compare) })).sort((a, b) => compare(a.host, b.host));

  const notes: string[] = [];
  const unresolvedText = [...unresolved].map(([name, n]) => `"${name}" (${n} requests)`).join(", ");
  if (list.length === 0)
    throw preconditionFailed(
      `${target}'s workloads made calls in ${span}, but none to a service the mesh can name (${[noRoute > 0 ? `${noRoute} matched no route` : "", unresolvedText ? `no namespace for ${unresolvedText}` : ""].filter(Boolean).join("; ")}): a Sidecar listing no hosts would cut all of its outbound traffic`,
      "from",
    );
  if (noRoute > 0) notes.push(`${noRoute} request(s) matched no route at the caller's proxy (unknown host): not in the scope`);
  if (unresolved.size > 0) notes.push(`no single namespace known for ${unresolvedText}: not in the scope; add "<namespace>/<name>" by hand if it should stay reachable`);
  const coveredMs = input.window.coveredTo.getTime() - input.window.coveredFrom.getTime();
  if (coveredMs < FULL_WINDOW_MS)
    notes.push(
      `the telemetry covers only ${describeSpan(coveredMs)} (since ${input.window.coveredFrom.toISOString()}): a service called less often than that (a weekly job, a monthly report) is missing, and after applying its calls would answer 404 (no route)`,
    );
  notes.push("the services the workloads have local ports for stay reachable whatever the hosts say");

  const [current, ...others] = input.existing;
  if (others.length > 0) notes.push(`${others.map((o) => `${o.namespace}/${o.name}`).join(", ")} also scope(s) the same workloads; the oldest, ${current?.namespace}/${current?.name}, is in force`);
  if (!current && input.namespaceScope)
    notes.push(`${input.namespaceScope.namespace}/${input.namespaceScope.name} scopes the whole namespace today; a Sidecar for ${target} wins over it for this service`);

  const document = validated({
    apiVersion: "weft.io/v1alpha1",
    kind: "Sidecar",
    metadata: { name: current?.name ?? suggestedName(input.namespace, input.service), namespace: input.namespace },
    spec: { ...(input.service ? { targetRef: { kind: "Service", name: input.service } } : {}), egress: { hosts: list.map((c) => c.host) } },
  });
  return { document, callees: list, window: input.window, diff: current ? diffHosts(current, document.spec.egress.hosts) : null, notes };
}

/** Hosts added to and removed from `current` by `hosts` (with "." read as the Sidecar's namespace). */
export function diffHosts(current: ExistingSidecar, hosts: readonly string[]): HostsDiff {
  const resolve = (h: string) => (h.startsWith("./") ? `${current.namespace}/${h.slice(2)}` : h);
  const before = new Set(current.hosts.map(resolve));
  const after = new Set(hosts.map(resolve));
  return {
    against: `${current.namespace}/${current.name}`,
    added: [...after].filter((h) => !before.has(h)).sort(compare),
    removed: [...before].filter((h) => !after.has(h)).sort(compare),
    unchanged: [...after].filter((h) => before.has(h)).sort(compare),
  };
}

function validated(document: unknown): Sidecar {
  const result = validateResource(document);
  // Names come from stored telemetry; one the schema refuses (too many hosts, a malformed name) is reported, not suggested.
  if (!result.ok || result.value.kind !== "Sidecar") throw invalid(`the suggested Sidecar is not valid: ${result.ok ? "not a Sidecar" : result.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  return result.value;
}

function describeSpan(ms: number): string {
  const hours = ms / 3_600_000;
  return hours < 1 ? `${Math.max(1, Math.round(ms / 60_000))} minute(s)` : hours < 48 ? `${Math.round(hours)} hour(s)` : `${Math.round(hours / 24)} day(s)`;
}
