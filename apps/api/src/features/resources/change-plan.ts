// Pure planning of a change: what it does to each resource, what the analyzers
// say about the mesh afterwards, and whose proxy configuration it touches.
import {
  analyze,
  diffDocuments,
  namespaceOf,
  namespacesReferencedBy,
  refOf,
  resourceKey,
  serializeResource,
  servicesReferencedBy,
  type DiffEntry,
  type Finding,
  type MeshSnapshot,
  type Resource,
  type ResourceRef,
  type ServiceReference,
  type ValidationIssue,
} from "@weft/mesh-model";
import { createTwoFilesPatch } from "diff";
import type { Discovery, StoredResource, WorkloadRecord } from "./resources.repository.ts";

/** One thing a change does: store a document (create or update), or delete a resource. */
export type ChangeOperation = { op: "apply"; resource: Resource } | { op: "delete"; ref: ResourceRef };

/** What a change does to one resource. */
export interface ResourceChange {
  ref: ResourceRef;
  action: "create" | "update" | "delete" | "unchanged";
  /** The revision the change starts from; null for a creation. */
  fromRevision: number | null;
  /** Path-addressed differences against the current revision. */
  diff: DiffEntry[];
  /** A unified diff of the YAML documents (library `diff`). */
  textDiff: string;
}

/** A workload whose proxy configuration the change alters, and why. */
export interface AffectedWorkload {
  cluster: string;
  namespace: string;
  name: string;
  /** E.g. `target shop/checkout`, `caller of shop/checkout: ≈ 9.8 req/min in the last hour`. */
  reasons: string[];
  /** For a caller: its requests per second to each edited service over the last hour (telemetry rollups); empty otherwise. */
  calls: { service: string; requestsPerSecond: number }[];
}

/**
 * Requests one caller sent to one service over the last hour, as the
 * telemetry rollups count them (an edge of `telemetry.edges`).
 */
export interface ObservedCall {
  source: { cluster: string; namespace: string; service: string; version: string };
  destination: { namespace: string; service: string };
  /** Requests per second over the time the data covers. */
  rate: number;
}

/**
 * The predicted effect on live traffic, from telemetry: the share of the last
 * hour's requests whose outcome (destination, status, allowed/denied) would
 * change. Telemetry arrives with a later issue; until then it is null.
 */
export interface ImpactEstimate {
  /** Telemetry window the estimate is based on, e.g. `1h`. */
  window: string;
  requests: number;
  changedRequests: number;
  /** changedRequests / requests, 0..1. */
  share: number;
  byService: { service: string; requests: number; changedRequests: number }[];
}

/** The outcome of submitting a change (dry run or not). */
export interface ChangeResult {
  dryRun: boolean;
  /**
   * `applied`: stored as new revisions; `unchanged`: nothing to do; `dry-run`: would apply;
   * `pending-approval`: held as a change request; `invalid`/`blocked`: dry run that would be refused.
   */
  status: "applied" | "unchanged" | "dry-run" | "pending-approval" | "invalid" | "blocked";
  /** The config version after the change (the current one when nothing was applied). */
  configVersion: bigint;
  changes: ResourceChange[];
  validation: { valid: boolean; issues: ValidationIssue[] };
  /** Findings about the changed resources, and new findings the change causes elsewhere. */
  findings: Finding[];
  affectedWorkloads: AffectedWorkload[];
  /** Reserved for telemetry-based estimates; null until telemetry exists. */
  impact: ImpactEstimate | null;
  changeRequest: { id: string; namespaces: string[] } | null;
}

/** The live state a change is planned against. */
export interface MeshState {
  trustDomain: string;
  resources: StoredResource[];
  discovery: Discovery;
  /** For the SLO analyzers: how far back metrics reach, and services' recent request rates. */
  metrics?: Pick<MeshSnapshot, "metricsRetentionMs" | "observedTraffic">;
  /** Who called whom in the last hour (telemetry); without it every workload counts as a possible caller. */
  calls?: readonly ObservedCall[];
}

export interface ChangePlan {
  changes: (ResourceChange & { before: Resource | null; after: Resource | null })[];
  findings: Finding[];
  blocked: boolean;
  affectedWorkloads: AffectedWorkload[];
  /**
   * Namespaces the effective changes touch: each resource's own and every
   * namespace its old or new document references (targets, parents,
   * backends, mirrors, certificates), and every namespace whose egress an
   * ExternalService change can capture ({@link egressClaims}); "" for
   * mesh-wide kinds. The scope check and protected namespaces use this list.
   */
  namespaces: string[];
}

/** The stored-form namespace of a resource ref: "" for mesh-wide kinds. */
export function storedNamespace(ref: ResourceRef): string {
  return ref.namespace ?? "";
}

function findingKey(f: Finding): string {
  return `${f.code} ${resourceKey(f.resource)} ${f.path} ${f.message}`;
}

function textDiff(key: string, before: Resource | null, after: Resource | null, fromRevision: number | null): string {
  const a = before ? serializeResource(before, "yaml") : "";
  const b = after ? serializeResource(after, "yaml") : "";
  if (a === b) return "";
  return createTwoFilesPatch(before ? key : "/dev/null", after ? key : "/dev/null", a, b, fromRevision !== null ? `revision ${fromRevision}` : "", "proposed");
}

/** Plans `operations` against `state`; throws nothing: missing deletes come back as `unchanged` with `fromRevision` null. */
export function planChange(state: MeshState, operations: readonly ChangeOperation[]): ChangePlan {
  const live = new Map<string, StoredResource>();
  for (const r of state.resources) if (r.document) live.set(resourceKey(refOf(r.document)), r);
  const after = new Map<string, Resource>([...live].map(([k, r]) => [k, r.document as Resource]));

  const changes = operations.map((op) => {
    const ref = op.op === "apply" ? refOf(op.resource) : op.ref;
    const key = resourceKey(ref);
    const current = live.get(key);
    const before = current?.document ?? null;
    const next = op.op === "apply" ? op.resource : null;
    if (next) after.set(key, next);
    else after.delete(key);
    // Compare as stored (JSON), so `undefined` fields do not count as changes.
    const diff = diffDocuments(before === null ? undefined : JSON.parse(JSON.stringify(before)), next === null ? undefined : JSON.parse(JSON.stringify(next)));
    const action: ResourceChange["action"] = before === null ? (next ? "create" : "unchanged") : next === null ? "delete" : diff.length > 0 ? "update" : "unchanged";
    const fromRevision = current && before ? current.revision : null;
    return { ref, action, fromRevision, diff, textDiff: textDiff(key, before, next, fromRevision), before, after: next };
  });

  const effective = changes.filter((c) => c.action !== "unchanged");
  const changedKeys = new Set(effective.map((c) => resourceKey(c.ref)));
  // A Mesh document in the change sets the trust domain the identities are derived with.
  const meshAfter = [...after.values()].find((r) => r.kind === "Mesh");
  const trustDomain = meshAfter?.kind === "Mesh" ? meshAfter.spec.trustDomain : state.trustDomain;
  const base = { services: state.discovery.services, workloads: state.discovery.workloads, trustDomain, ...state.metrics };
  const beforeFindings = new Set(analyze({ ...base, resources: [...live.values()].map((r) => r.document as Resource) }).map(findingKey));
  // A change answers for its own resources, and for problems it causes elsewhere; not for old problems it leaves alone.
  const findings = analyze({ ...base, resources: [...after.values()] }).filter(
    (f) => changedKeys.has(resourceKey(f.resource)) || (f.related ?? []).some((r) => changedKeys.has(resourceKey(r))) || !beforeFindings.has(findingKey(f)),
  );
  return {
    changes,
    findings,
    blocked: findings.some((f) => f.severity === "error"),
    affectedWorkloads: affectedWorkloads(effective, state.discovery, state.calls),
    namespaces: [...new Set([...touchedNamespaces(effective), ...egressClaims(effective, [...live.values()].map((r) => r.document as Resource), [...after.values()], state.discovery).keys()])].sort(),
  };
}

/** Suffix of the mesh's own service host names (`<service>.<namespace>.svc.cluster.local`). */
const SERVICE_DOMAIN = /^(?:\*\.)?(?:[^.]+\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?$/;

/** True when two ExternalService hosts can name the same destination (equal, or one's `*.` wildcard covers the other). */
export function hostsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.startsWith("*.") && b.endsWith(a.slice(1))) return true;
  return b.startsWith("*.") && a.endsWith(b.slice(1));
}

/**
 * The namespaces whose egress traffic an ExternalService change can capture
 * or release, besides its own: every proxy of the mesh carries every
 * ExternalService, and a host belongs to whichever definition claims it
 * first, so a definition in `shop` for a host that `payments` also defines
 * (before or after the change), or for a host in the mesh's own service name
 * space (`ledger.payments`, `*.payments.svc.cluster.local`), can change how
 * `payments`' workloads reach it. Keyed by namespace, with the reasons.
 */
export function egressClaims(changes: readonly { ref: ResourceRef; before: Resource | null; after: Resource | null }[], live: readonly Resource[], after: readonly Resource[], discovery: Discovery): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (namespace: string, reason: string) => out.set(namespace, [...(out.get(namespace) ?? []), reason]);
  const externals = [...live, ...after].filter((r) => r.kind === "ExternalService");
  for (const change of changes) {
    if (change.ref.kind !== "ExternalService") continue;
    const own = storedNamespace(change.ref);
    const hosts = new Set([change.before, change.after].flatMap((d) => (d?.kind === "ExternalService" ? d.spec.hosts : [])));
    for (const host of hosts) {
      for (const other of externals) {
        const namespace = namespaceOf(other) ?? "";
        if (namespace === own || other.kind !== "ExternalService") continue;
        const shared = other.spec.hosts.find((h) => hostsOverlap(h, host));
        if (shared !== undefined) add(namespace, `egress host ${host} is also defined by ${namespace}/${other.metadata.name} (${shared})`);
      }
      for (const service of discovery.services) {
        if (service.namespace === own) continue;
        const domains = [`${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}.svc.cluster.local`];
        if (domains.some((d) => hostsOverlap(d, host))) add(service.namespace, `egress host ${host} names service ${service.namespace}/${service.name}`);
      }
      const named = SERVICE_DOMAIN.exec(host)?.[1];
      if (named !== undefined && named !== own) add(named, `egress host ${host} is in namespace ${named}'s service domain`);
    }
  }
  return out;
}

/** Every namespace the changes touch (see {@link ChangePlan.namespaces}), sorted. */
export function touchedNamespaces(changes: readonly { ref: ResourceRef; before: Resource | null; after: Resource | null }[]): string[] {
  const out = new Set<string>();
  for (const change of changes) {
    out.add(storedNamespace(change.ref));
    for (const doc of [change.before, change.after]) if (doc) for (const ns of namespacesReferencedBy(doc)) out.add(ns);
  }
  return [...out].sort();
}

/** Kinds whose configuration lives in the proxies of the callers (outbound side). */
const CALLER_SIDE: ReadonlySet<string> = new Set(["HTTPRoute", "TrafficPolicy"]);

/** True when the operations change caller-side configuration, so who calls the services matters. */
export function changesCallerSide(operations: readonly ChangeOperation[]): boolean {
  return operations.some((o) => CALLER_SIDE.has(o.op === "apply" ? o.resource.kind : o.ref.kind));
}

const perMinute = (rate: number) => Math.round(rate * 600) / 10;

/**
 * The discovered workloads behind each observed caller of `target`
 * (`namespace/name`), with their summed rate: an edge's source is a service
 * version in a cluster, so it maps to that service's workloads there (of
 * that version, when both sides know it). Callers from outside the mesh, or
 * whose workloads are gone, have no proxy to reconfigure and are left out.
 */
function observedCallers(target: string, calls: readonly ObservedCall[], discovery: Discovery): { workload: WorkloadRecord; rate: number }[] {
  const out = new Map<WorkloadRecord, number>();
  for (const call of calls) {
    if (`${call.destination.namespace}/${call.destination.service}` !== target || call.source.cluster === "") continue;
    const members = discovery.members.get(`${call.source.namespace}/${call.source.service}`) ?? [];
    for (const w of members) {
      if (w.cluster !== call.source.cluster) continue;
      if (call.source.version !== "" && w.version !== undefined && w.version !== call.source.version) continue;
      out.set(w, (out.get(w) ?? 0) + call.rate);
    }
  }
  return [...out].map(([workload, rate]) => ({ workload, rate }));
}

/**
 * The workloads whose proxy configuration a change alters: the workloads of
 * every service the old or new document refers to; for routes and traffic
 * policies (applied by the caller's proxy) also the callers: the workloads
 * telemetry saw calling the service in the last hour, with their rate (when
 * `calls` is given), else every workload of the mesh as a possible caller,
 * since each proxy carries the outbound config of every service. Mesh-wide
 * kinds and ExternalServices (egress) reach every workload too.
 */
export function affectedWorkloads(changes: readonly { ref: ResourceRef; before: Resource | null; after: Resource | null }[], discovery: Discovery, calls?: readonly ObservedCall[]): AffectedWorkload[] {
  const out = new Map<string, AffectedWorkload>();
  const add = (w: { cluster: string; namespace: string; name: string }, reason: string, call?: { service: string; requestsPerSecond: number }) => {
    const key = `${w.cluster}/${w.namespace}/${w.name}`;
    const entry = out.get(key) ?? { cluster: w.cluster, namespace: w.namespace, name: w.name, reasons: [], calls: [] };
    if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
    if (call && !entry.calls.some((c) => c.service === call.service)) entry.calls.push(call);
    out.set(key, entry);
  };
  for (const change of changes) {
    const docs = [change.before, change.after].filter((d): d is Resource => d !== null);
    const refs = new Map<string, ServiceReference>();
    for (const doc of docs) for (const ref of servicesReferencedBy(doc)) refs.set(`${ref.role} ${ref.namespace}/${ref.name}`, ref);
    for (const [reason, ref] of refs) {
      const members = ref.name === "*" ? discovery.workloads.filter((w) => w.namespace === ref.namespace) : (discovery.members.get(`${ref.namespace}/${ref.name}`) ?? []);
      for (const w of members) add(w, reason);
    }
    const kind = change.ref.kind;
    if (CALLER_SIDE.has(kind)) {
      const targets = [...new Set([...refs.values()].filter((r) => r.role !== "backend").map((r) => `${r.namespace}/${r.name}`))];
      for (const t of targets) {
        if (!calls) {
          for (const w of discovery.workloads) add(w, `possible caller of ${t} (no telemetry)`);
          continue;
        }
        for (const { workload, rate } of observedCallers(t, calls, discovery)) add(workload, `caller of ${t}: ≈ ${perMinute(rate)} req/min in the last hour`, { service: t, requestsPerSecond: rate });
      }
    } else if (kind === "ExternalService" || kind === "Mesh") {
      const reason = kind === "Mesh" ? "mesh defaults" : `egress to ${namespaceOf(docs[0] as Resource) ?? ""}/${change.ref.name}`;
      for (const w of discovery.workloads) add(w, reason);
    }
  }
  return [...out.values()].sort((a, b) => `${a.namespace}/${a.name}/${a.cluster}`.localeCompare(`${b.namespace}/${b.name}/${b.cluster}`));
}
