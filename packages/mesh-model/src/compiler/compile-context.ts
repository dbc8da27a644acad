// What every unit of one compilation shares: the validated input, the indexed
// resources and catalog, the policy resolver, the diagnostics sink and the
// backends built so far. The units (routes, backends, external services,
// listeners, rate limits) each read it and add to `backends` or the sink.
import type { Mesh } from "../mesh/mesh.schema.ts";
import type { Backend } from "../proxy-config/proxy-backends.schema.ts";
import type { VirtualHost } from "../proxy-config/proxy-routes.schema.ts";
import { KINDS, type Resource, type ResourceOfKind, namespaceOf, refOf, resourceKey } from "../resource/resource.schema.ts";
import type { CompileInput, ResourceEntry } from "./compile-input.ts";
import { DiagnosticSink, compareText } from "./diagnostics.ts";
import { type PolicyEntry, PolicyResolver } from "./policy-mapping.ts";
import type { SecurityInput } from "./security-mapping.ts";
import { type MeshService, indexCatalog, serviceKey } from "./service-catalog.ts";
import { findUnsupportedFields } from "./unsupported-fields.ts";

/** Creation time of resources that carry none (and of the synthetic default route). */
export const EPOCH = "1970-01-01T00:00:00.000Z";

/** A resource with its key and creation time (ms). */
export interface Indexed<K extends Resource["kind"]> {
  resource: ResourceOfKind<K>;
  key: string;
  namespace: string;
  createdAt: number;
  createdAtText: string;
}

/** Resources of one compilation grouped by kind, oldest first. */
export type ResourcesByKind = { [K in Resource["kind"]]: Indexed<K>[] };

/** The shared state of one compilation. */
export class CompileContext {
  readonly sink = new DiagnosticSink();
  readonly services: Map<string, MeshService>;
  readonly byKind: ResourcesByKind;
  readonly policies: PolicyResolver;
  readonly security: SecurityInput;
  /** Backends by name, created on first use by whichever unit needs them. */
  readonly backends = new Map<string, Backend>();
  /** Virtual hosts of catalog services and ExternalServices; a host name belongs to the first that claims it. */
  readonly virtualHosts: VirtualHost[] = [];
  private readonly claimedDomains = new Map<string, string>();

  constructor(readonly input: CompileInput) {
    this.services = indexCatalog(input.catalog, this.sink);
    this.byKind = indexResources(input.resources);
    const meshes = this.byKind.Mesh;
    if (meshes.length > 1)
      this.sink.add({ severity: "warning", code: "several_meshes", resource: meshes[1]?.key ?? "Mesh", path: "", message: `${meshes.length} Mesh resources; the oldest, ${meshes[0]?.key}, is used` });
    const mesh = meshes[0];
    const policies: PolicyEntry[] = this.byKind.TrafficPolicy.map((p) => ({ policy: p.resource, key: p.key, createdAt: p.createdAt }));
    this.policies = new PolicyResolver(policies, mesh ? { resource: mesh.resource as Mesh, key: mesh.key } : undefined, this.sink);
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
