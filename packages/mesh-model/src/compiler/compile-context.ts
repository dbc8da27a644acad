// What every unit of one compilation shares: the validated input, the indexed
// resources and catalog (a MeshIndex, which many compilations of one snapshot
// can share), the policy resolver, the diagnostics sink and the backends built
// so far. The units (routes, backends, external services, listeners, rate
// limits) each read it and add to `backends` or the sink.
import type { Mesh } from "../mesh/mesh.schema.ts";
import type { Backend } from "../proxy-config/proxy-backends.schema.ts";
import type { VirtualHost } from "../proxy-config/proxy-routes.schema.ts";
import { KINDS, type Resource, namespaceOf, refOf, resourceKey } from "../resource/resource.schema.ts";
import type { Catalog, CompileInput, ResourceEntry } from "./compile-input.ts";
import { type CompileDiagnostic, DiagnosticSink, compareText } from "./diagnostics.ts";
import { type PolicyEntry, type PolicyLookup, PolicyResolver } from "./policy-mapping.ts";
import type { SecurityInput } from "./security-mapping.ts";
import { type MeshService, indexCatalog, serviceKey } from "./service-catalog.ts";
import type { Indexed, ResourcesByKind } from "./indexed-resource.ts";
import { findUnsupportedFields } from "./unsupported-fields.ts";
import { type EgressScope, resolveEgressScope } from "./egress-scope.ts";

/** Creation time of resources that carry none (and of the synthetic default route). */
export const EPOCH = "1970-01-01T00:00:00.000Z";

export type { Indexed, ResourcesByKind } from "./indexed-resource.ts";

interface Lookups {
  sidecars: Map<string, Indexed<"Sidecar">[]>;
  routes: Map<string, Indexed<"HTTPRoute">[]>;
  policies: Map<string, Indexed<"TrafficPolicy">[]>;
  catalog: Map<string, Catalog["services"][number][]>;
}

/**
 * Catalogs indexed before, by the parsed catalog: the parse cache hands the
 * same object to the next snapshot while the catalog is unchanged (a resource
 * write leaves it so), and indexing a thousand services is not redone. The
 * index is read-only once built; its diagnostics are replayed.
 */
const catalogIndexes = new WeakMap<Catalog, { services: Map<string, MeshService>; diagnostics: CompileDiagnostic[] }>();

function indexedCatalog(catalog: Catalog): { services: Map<string, MeshService>; diagnostics: CompileDiagnostic[] } {
  let indexed = catalogIndexes.get(catalog);
  if (!indexed) {
    const sink = new DiagnosticSink();
    const services = indexCatalog(catalog, sink);
    catalogIndexes.set(catalog, (indexed = { services, diagnostics: sink.entries() }));
  }
  return indexed;
}

/**
 * The resources and catalog of one snapshot, parsed and indexed once, for
 * every proxy compiled against it: the merged catalog, the resources by kind,
 * the policy resolver (which records its diagnostics so each proxy gets
 * them), and the diagnostics of indexing itself, in the order found.
 */
export class MeshIndex {
  readonly services: Map<string, MeshService>;
  readonly byKind: ResourcesByKind;
  readonly policies: PolicyResolver;
  /** Catalog conflicts, several Mesh resources, Mesh defaults: every proxy's compilation starts with these. */
  readonly diagnostics: CompileDiagnostic[];
  #sorted: MeshService[] | undefined;
  /** Per namespace, per targeted service (null: no targetRef). */
  #sidecarsByTarget: Map<string, Map<string | null, Indexed<"Sidecar">[]>> | undefined;
  #multiPort: MeshService[] | undefined;
  #lookups: Lookups | undefined;

  constructor(
    resources: readonly ResourceEntry[],
    private readonly catalog: Catalog,
  ) {
    const sink = new DiagnosticSink();
    const indexed = indexedCatalog(catalog);
    this.services = indexed.services;
    sink.addAll(indexed.diagnostics);
    this.byKind = indexResources(resources);
    const meshes = this.byKind.Mesh;
    if (meshes.length > 1) sink.add({ severity: "warning", code: "several_meshes", resource: meshes[1]?.key ?? "Mesh", path: "", message: `${meshes.length} Mesh resources; the oldest, ${meshes[0]?.key}, is used` });
    const mesh = meshes[0];
    const policies: PolicyEntry[] = this.byKind.TrafficPolicy.map((p) => ({ policy: p.resource, key: p.key, createdAt: p.createdAt }));
    this.policies = new PolicyResolver(policies, mesh ? { resource: mesh.resource as Mesh, key: mesh.key } : undefined);
    sink.addAll(this.policies.baseDiagnostics);
    this.diagnostics = sink.entries();
  }

  /** Catalog services ordered by `<namespace>/<name>` (the order of their virtual hosts). */
  get sortedServices(): readonly MeshService[] {
    this.#sorted ??= [...this.services.values()].sort((a, b) => compareText(serviceKey(a.name, a.namespace), serviceKey(b.name, b.namespace)));
    return this.#sorted;
  }

  /** Sidecars of a namespace, oldest first. */
  sidecarsIn(namespace: string): readonly Indexed<"Sidecar">[] {
    return this.lookups.sidecars.get(namespace) ?? [];
  }

  /**
   * Sidecars of a namespace that target the service `service` (or, for null,
   * that have no targetRef: the whole namespace), oldest first. Indexed on
   * first use: every proxy's scope asks, and a namespace may hold a Sidecar per service.
   */
  sidecarsTargeting(namespace: string, service: string | null): readonly Indexed<"Sidecar">[] {
    if (!this.#sidecarsByTarget) {
      this.#sidecarsByTarget = new Map();
      for (const [ns, sidecars] of this.lookups.sidecars) {
        const byService = new Map<string | null, Indexed<"Sidecar">[]>();
        this.#sidecarsByTarget.set(ns, byService);
        for (const s of sidecars) {
          const target = s.resource.spec.targetRef?.name ?? null;
          const list = byService.get(target);
          if (list) list.push(s);
          else byService.set(target, [s]);
        }
      }
    }
    return this.#sidecarsByTarget.get(namespace)?.get(service) ?? [];
  }

  /** HTTPRoutes with the service `<namespace>/<name>` as a parent, oldest first. */
  routesAttachedTo(key: string): readonly Indexed<"HTTPRoute">[] {
    return this.lookups.routes.get(key) ?? [];
  }

  /** TrafficPolicies whose target is the service (or ExternalService) `<namespace>/<name>`. */
  policiesTargeting(key: string): readonly Indexed<"TrafficPolicy">[] {
    return this.lookups.policies.get(key) ?? [];
  }

  /** The catalog entries (one per cluster) of the service `<namespace>/<name>`, in input order. */
  catalogEntriesOf(key: string): readonly Catalog["services"][number][] {
    return this.lookups.catalog.get(key) ?? [];
  }

  private get lookups(): Lookups {
    if (this.#lookups) return this.#lookups;
    const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
      const list = map.get(key);
      if (list) list.push(value);
      else map.set(key, [value]);
    };
    const lookups: Lookups = { sidecars: new Map(), routes: new Map(), policies: new Map(), catalog: new Map() };
    for (const s of this.byKind.Sidecar) push(lookups.sidecars, s.namespace, s);
    for (const r of this.byKind.HTTPRoute) {
      const parents = new Set(r.resource.spec.parentRefs.filter((p) => p.kind === "Service").map((p) => serviceKey(p.name, p.namespace ?? r.namespace)));
      for (const key of parents) push(lookups.routes, key, r);
    }
    for (const p of this.byKind.TrafficPolicy) push(lookups.policies, serviceKey(p.resource.spec.targetRef.name, p.resource.spec.targetRef.namespace ?? p.namespace), p);
    for (const entry of this.catalog.services) push(lookups.catalog, serviceKey(entry.name, entry.namespace), entry);
    return (this.#lookups = lookups);
  }

  /** Services with ports beside their virtual host's (each workload is told which it cannot reach by host name). */
  get multiPortServices(): readonly MeshService[] {
    this.#multiPort ??= this.sortedServices.filter((s) => s.primary !== undefined && s.ports.length > 1);
    return this.#multiPort;
  }
}

/**
 * The outbound part of a config — virtual hosts and backends of the catalog
 * services and ExternalServices — and the diagnostics building it gave. It
 * depends on the snapshot and on where the caller sits (namespace, cluster,
 * zone, trust domain, resolved certificates), not on the workload itself, so
 * proxies that sit alike share one (see MeshCompiler).
 */
export interface OutboundPart {
  backends: ReadonlyMap<string, Backend>;
  virtualHosts: readonly VirtualHost[];
  diagnostics: readonly CompileDiagnostic[];
  /** The same, ordered by name as the config lists them. */
  sortedBackends: readonly Backend[];
  sortedVirtualHosts: readonly VirtualHost[];
}

/** The outbound part a context has built (compileOutbound), to share with the contexts of workloads that sit alike. */
export function outboundPart(ctx: CompileContext): OutboundPart {
  return {
    backends: new Map(ctx.backends),
    virtualHosts: [...ctx.virtualHosts],
    diagnostics: ctx.sink.entries(),
    sortedBackends: [...ctx.backends.values()].sort((a, b) => compareText(a.name, b.name)),
    sortedVirtualHosts: [...ctx.virtualHosts].sort((a, b) => compareText(a.name, b.name)),
  };
}

/** The shared state of one compilation. */
export class CompileContext {
  readonly sink = new DiagnosticSink();
  readonly services: Map<string, MeshService>;
  readonly byKind: ResourcesByKind;
  readonly policies: PolicyLookup;
  readonly security: SecurityInput;
  /** Backends by name, created on first use by whichever unit needs them. */
  readonly backends: Map<string, Backend>;
  /** Virtual hosts of catalog services and ExternalServices; a host name belongs to the first that claims it. */
  readonly virtualHosts: VirtualHost[];
  /** The workload's egress scope (a Sidecar), or undefined: the whole mesh. */
  readonly scope: EgressScope | undefined;
  private readonly claimedDomains = new Map<string, string>();

  /**
   * `index`: the snapshot's parsed resources and catalog (built from `input`
   * when not given). `outbound`: an outbound part already built for a caller
   * that sits where this workload does; its backends and virtual hosts start
   * this compilation and its diagnostics are replayed.
   */
  constructor(
    readonly input: CompileInput,
    readonly index: MeshIndex = new MeshIndex(input.resources, input.catalog),
    readonly outbound?: OutboundPart,
  ) {
    this.sink.addAll(index.diagnostics);
    this.services = index.services;
    this.byKind = index.byKind;
    this.policies = index.policies.bind(this.sink);
    this.backends = new Map(outbound?.backends);
    this.virtualHosts = [...(outbound?.virtualHosts ?? [])];
    if (outbound) this.sink.addAll(outbound.diagnostics);
    this.scope = resolveEgressScope(index, input, this.sink);
    const mesh = this.byKind.Mesh[0];
    this.security = {
      input,
      sink: this.sink,
      mesh: mesh ? { resource: mesh.resource as Mesh, key: mesh.key, namespace: "" } : undefined,
      peerAuthentications: this.byKind.PeerAuthentication,
      authorizationPolicies: this.byKind.AuthorizationPolicy,
      requestAuthentications: this.byKind.RequestAuthentication,
      ownService: this.services.get(serviceKey(input.workload.service, input.workload.namespace)),
    };
  }

  /** The Mesh resource in force (the oldest), if any. */
  get mesh(): Mesh | undefined {
    return this.byKind.Mesh[0]?.resource as Mesh | undefined;
  }

  /** Adds a virtual host unless one of its domains is taken (a `duplicate_domain` warning); `owner` names it in messages. */
  addVirtualHost(host: VirtualHost, owner: string): boolean {
    const clash = host.domains.find((d) => this.claimedDomains.has(d));
    if (clash !== undefined) {
      this.sink.add({ severity: "warning", code: "duplicate_domain", path: "", message: `${owner} wants host ${clash}, already served by ${this.claimedDomains.get(clash)}; it is skipped` });
      return false;
    }
    for (const d of host.domains) this.claimedDomains.set(d, owner);
    this.virtualHosts.push(host);
    return true;
  }

  /** One `unsupported_field` warning per field of `resource` the ProxyConfig cannot express. */
  reportUnsupported(resource: Resource, key: string): void {
    for (const use of findUnsupportedFields(resource))
      this.sink.add({ severity: "warning", code: "unsupported_field", resource: key, path: use.path, message: `not applied: ${use.reason}` });
  }
}

/** Groups resources by kind, oldest first, then by key (Gateway API tie-break), so input order never matters. */
export function indexResources(entries: readonly ResourceEntry[]): ResourcesByKind {
  // Every registered kind gets a list, so a new kind needs no edit here.
  const out = Object.fromEntries(KINDS.map((kind) => [kind, []])) as unknown as ResourcesByKind;
  for (const entry of entries) {
    const createdAtText = entry.createdAt !== undefined ? new Date(Date.parse(entry.createdAt)).toISOString() : EPOCH;
    const indexed = {
      resource: entry.resource,
      key: resourceKey(refOf(entry.resource)),
      namespace: namespaceOf(entry.resource) ?? "",
      createdAt: Date.parse(createdAtText),
      createdAtText,
    };
    (out[entry.resource.kind] as Indexed<Resource["kind"]>[]).push(indexed as Indexed<Resource["kind"]>);
  }
  for (const list of Object.values(out)) (list as Indexed<Resource["kind"]>[]).sort((a, b) => a.createdAt - b.createdAt || compareText(a.key, b.key));
  return out;
}
