// The pure compiler: mesh resources + the federated catalog → the ProxyConfig
// of one workload. No I/O, no clock, no randomness: the same input always
// gives the same config, byte for byte, and the same version.
import { type ValidationIssue, issuesFromZod } from "../common/issues.ts";
import type { ExternalService } from "../external-service/external-service.schema.ts";
import { GRPC_STATUS_CODES, type BackendRef as RouteBackendRef, type RouteRule as SourceRule } from "../http-route/http-route.schema.ts";
import type { TrafficPolicy } from "../traffic-policy/traffic-policy.schema.ts";
import type { Mesh } from "../mesh/mesh.schema.ts";
import {
  type Backend,
  type BackendFilter,
  type BackendRef,
  type Endpoint,
  type HttpRouteEntry,
  type Listener,
  type ProxyConfig,
  ProxyConfigSchema,
  type RateLimitKey,
  type RouteFilter,
  type RouteMatch,
  type RouteRule,
  type VirtualHost,
} from "../proxy-config/proxy-config.schema.ts";
import { KINDS, type Resource, type ResourceOfKind, namespaceOf, refOf, resourceKey } from "../resource/resource.schema.ts";
import { type CatalogEndpoint, type CompileInput, type CompileInputRaw, CompileInputSchema, type ResourceEntry } from "./compile-input.ts";
import { canonicalJson, fnv1a64 } from "./config-hash.ts";
import { type CompileDiagnostic, DiagnosticSink, compareText } from "./diagnostics.ts";
import { type EffectivePolicy, type MappedRetry, type Origin, type PolicyEntry, PolicyResolver, mapRetry, pointsPerWeight, proxyMs, sameConfig } from "./policy-mapping.ts";
import { type MeshService, type ServicePort, endpointPort, indexCatalog, isHttpFamily, serviceKey } from "./service-catalog.ts";
import { formatEastWestSni } from "../proxy-config/east-west-sni.ts";
import { type SecurityInput, backendMtls, compileAuthorization, compileIdentity, compileRequestAuthentication, inboundMtlsMode } from "./security-mapping.ts";
import { findUnsupportedFields } from "./unsupported-fields.ts";

/** The outcome of a compilation: a valid config and everything worth telling the operator. */
export interface CompileResult {
  /** Validated by ProxyConfigSchema (defaults applied); `version` is a hash of its content. */
  config: ProxyConfig;
  /** Errors first, then warnings, then info; stable order. */
  diagnostics: CompileDiagnostic[];
}

/** The compile input is malformed (not a compile diagnostic: nothing was compiled). */
export class CompileInputError extends Error {
  override readonly name = "CompileInputError";
  readonly code = "INVALID_COMPILE_INPUT";
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(`invalid compile input: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  }
}

/** Bumped when the compiler's output changes for the same input, so versions change too. */
export const COMPILER_REVISION = 3;

const EPOCH = "1970-01-01T00:00:00.000Z";
/** Short names and the Kubernetes DNS forms a service is reached by. */
const CLUSTER_DOMAIN = "cluster.local";

/** Validates a compile input (resources, catalog, workload, options), applying defaults. */
export function parseCompileInput(value: unknown): { ok: true; input: CompileInput } | { ok: false; issues: ValidationIssue[] } {
  const result = CompileInputSchema.safeParse(value, { reportInput: true });
  return result.success ? { ok: true, input: result.data } : { ok: false, issues: issuesFromZod(result.error.issues) };
}

/**
 * Compiles the ProxyConfig of one workload. Throws {@link CompileInputError}
 * when the input does not match {@link CompileInputSchema}; everything else
 * (unknown services, unsupported fields, conflicts) is a diagnostic.
 */
export function compileProxyConfig(raw: CompileInputRaw): CompileResult {
  const parsed = parseCompileInput(raw);
  if (!parsed.ok) throw new CompileInputError(parsed.issues);
  return new Compilation(parsed.input).run();
}

type MirrorSpec = Extract<NonNullable<SourceRule["filters"]>[number], { type: "RequestMirror" }>["requestMirror"];
type SourceRateLimitKey = NonNullable<NonNullable<TrafficPolicy["spec"]["rateLimits"]>["local"]>[number]["key"];

/** A resource with its key and creation time (ms). */
interface Indexed<K extends Resource["kind"]> {
  resource: ResourceOfKind<K>;
  key: string;
  namespace: string;
  createdAt: number;
  createdAtText: string;
}

class Compilation {
  private readonly sink = new DiagnosticSink();
  private readonly services: Map<string, MeshService>;
  private readonly byKind: { [K in Resource["kind"]]: Indexed<K>[] };
  private readonly policies: PolicyResolver;
  private readonly backends = new Map<string, Backend>();
  private readonly virtualHosts: VirtualHost[] = [];
  private readonly claimedDomains = new Map<string, string>();
  private readonly security: SecurityInput;

  constructor(private readonly input: CompileInput) {
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

  run(): CompileResult {
    const { workload } = this.input;
    for (const service of [...this.services.values()].sort((a, b) => compareText(serviceKey(a.name, a.namespace), serviceKey(b.name, b.namespace)))) {
      this.compileServiceHost(service);
    }
    for (const es of this.byKind.ExternalService) this.compileExternalService(es);
    const plain = this.compileListeners();
    const mtlsMode = inboundMtlsMode(this.security, plain);
    const listeners = plain.map((l) => (l.kind === "inbound" && mtlsMode ? { ...l, mtlsMode } : l));
    this.reportPolicies();
    const rateLimits = this.compileRateLimits(listeners);
    const identity = compileIdentity(this.security);
    const authorization = compileAuthorization(this.security, listeners);
    const requestAuthentication = compileRequestAuthentication(this.security, listeners);

    const draft = {
      version: "pending",
      node: {
        service: workload.service,
        namespace: workload.namespace,
        ...(workload.version !== undefined ? { version: workload.version } : {}),
        locality: { ...(workload.zone !== undefined ? { zone: workload.zone } : {}), cluster: workload.cluster },
      },
      listeners,
      virtualHosts: [...this.virtualHosts].sort((a, b) => compareText(a.name, b.name)),
      backends: [...this.backends.values()].sort((a, b) => compareText(a.name, b.name)),
      ...(this.input.options.limits ? { limits: this.input.options.limits } : {}),
      ...this.telemetry(),
      ...(identity ? { identity } : {}),
      ...(authorization ? { authorization } : {}),
      ...(requestAuthentication ? { requestAuthentication } : {}),
      ...(rateLimits ? { rateLimits } : {}),
    };
    const result = ProxyConfigSchema.safeParse(draft);
    if (!result.success) {
      // A compiler bug, not bad input: the input was validated, so say where the output went wrong.
      throw new Error(`compiled config is invalid: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    }
    const { version: _pending, ...content } = result.data;
    const config: ProxyConfig = { ...result.data, version: `c${COMPILER_REVISION}-${fnv1a64(canonicalJson(content))}` };
    return { config, diagnostics: this.sink.list() };
  }

  // ------------------------------------------------------------ mesh services


  /** Access log and tracing: the agent's options, with the Mesh's sample rate (mesh-wide policy) when it sets one. */
  private telemetry(): { telemetry?: NonNullable<CompileInput["options"]["telemetry"]> } {
    const own = this.input.options.telemetry;
    const sampleRate = (this.byKind.Mesh[0]?.resource as Mesh | undefined)?.spec.tracing?.sampleRate;
    if (sampleRate === undefined) return own ? { telemetry: own } : {};
    return { telemetry: { ...own, tracing: { maxSpans: 4096, ...own?.tracing, sampleRate } } };
  }
  private domainsOf(service: MeshService): string[] {
    const long = [`${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}.svc.${CLUSTER_DOMAIN}`];
    // Short names resolve in the caller's own namespace, as Kubernetes DNS search paths do.
    return service.namespace === this.input.workload.namespace ? [service.name, ...long] : long;
  }

  private hostName(service: MeshService): string {
    return `${service.name}.${service.namespace}`;
  }

  private compileServiceHost(service: MeshService): void {
    const primary = service.primary;
    if (!primary) return; // TCP only: reachable through options.localPorts
    for (const port of service.ports) {
      if (port === primary || this.input.options.localPorts.some((l) => l.service === service.name && (l.namespace ?? this.input.workload.namespace) === service.namespace && l.port === port.port)) continue;
      this.sink.add({
        severity: "info",
        code: "unreachable_port",
        path: "catalog",
        message: `${serviceKey(service.name, service.namespace)} port ${port.port} (${port.protocol}) is not reachable by host name (virtual hosts are per host, the proxy serves port ${primary.port}); map it in options.localPorts`,
      });
    }
    const compiled = this.routesFor(service, primary).flatMap((r) => this.compileRoute(r, service, primary) ?? []);
    const entries: HttpRouteEntry[] =
      compiled.length > 0
        ? compiled
        : [
            {
              name: "default",
              namespace: service.namespace,
              creationTimestamp: EPOCH,
              rules: [this.defaultRule(service, primary)],
            },
          ];
    this.addVirtualHost({ name: this.hostName(service), domains: this.domainsOf(service), routes: entries }, `catalog service ${serviceKey(service.name, service.namespace)}`);
  }

  private addVirtualHost(host: VirtualHost, owner: string): boolean {
    const clash = host.domains.find((d) => this.claimedDomains.has(d));
    if (clash !== undefined) {
      this.sink.add({ severity: "warning", code: "duplicate_domain", path: "", message: `${owner} wants host ${clash}, already served by ${this.claimedDomains.get(clash)}; it is skipped` });
      return false;
    }
    for (const d of host.domains) this.claimedDomains.set(d, owner);
    this.virtualHosts.push(host);
    return true;
  }

  /**
   * HTTPRoutes attached to the service that apply to this workload (GAMMA):
   * producer routes (in the service's namespace) for every caller, consumer
   * routes (in the caller's namespace) for callers there — and those replace
   * the producer routes for them. Oldest first, then namespace/name.
   */
  private routesFor(service: MeshService, primary: ServicePort): Indexed<"HTTPRoute">[] {
    const attached = this.byKind.HTTPRoute.filter((r) =>
      r.resource.spec.parentRefs.some((p, i) => {
        if (p.kind !== "Service" || p.name !== service.name || (p.namespace ?? r.namespace) !== service.namespace) return false;
        if (p.port === undefined || p.port === primary.port) return true;
        const known = service.ports.some((sp) => sp.port === p.port);
        this.sink.add({
          severity: "warning",
          code: known ? "unsupported_port" : "unknown_port",
          resource: r.key,
          path: `spec.parentRefs[${i}].port`,
          message: known
            ? `routes are compiled for ${service.name}'s port ${primary.port} only (virtual hosts are per host, not per port)`
            : `${serviceKey(service.name, service.namespace)} has no port ${p.port}`,
        });
        return false;
      }),
    );
    const ownNamespace = this.input.workload.namespace;
    const consumer = ownNamespace !== service.namespace ? attached.filter((r) => r.namespace === ownNamespace) : [];
    return consumer.length > 0 ? consumer : attached.filter((r) => r.namespace === service.namespace);
  }

  /** The route's rules that apply in this workload's cluster; undefined when none does (the route is not attached here). */
  private compileRoute(route: Indexed<"HTTPRoute">, parent: MeshService, port: ServicePort): HttpRouteEntry | undefined {
    this.reportUnsupported(route.resource, route.key);
    if ((route.resource.spec.hostnames?.length ?? 0) > 0 && route.resource.spec.parentRefs.every((p) => p.kind === "Service"))
      this.sink.add({ severity: "warning", code: "no_effect", resource: route.key, path: "spec.hostnames", message: "hostnames only apply to Gateway parents; calls to a Service are matched by its own host names" });
    const cluster = this.input.workload.cluster;
    const rules = route.resource.spec.rules.flatMap((rule, i) => (rule.clusters && !rule.clusters.includes(cluster) ? [] : [this.compileRule(rule, `spec.rules[${i}]`, route, parent, port)]));
    if (rules.length === 0) {
      this.sink.add({ severity: "info", code: "no_effect", resource: route.key, path: "spec.rules", message: `no rule applies in cluster ${cluster}: the route is not applied here` });
      return undefined;
    }
    return { name: route.resource.metadata.name, namespace: route.namespace, creationTimestamp: route.createdAtText, rules };
  }

  private defaultRule(service: MeshService, port: ServicePort): RouteRule {
    const backend = this.serviceBackend(service, port, undefined);
    const policy = this.policies.resolve({ service: service.name, namespace: service.namespace, port: port.port });
    return withPolicy({ matches: [matchAll()], filters: [], backendRefs: [{ backend, weight: 1 }], timeouts: { grpcTimeoutOffsetMs: 5 } }, policy);
  }

  private compileRule(rule: SourceRule, path: string, route: Indexed<"HTTPRoute">, parent: MeshService, port: ServicePort): RouteRule {
    const refs: { ref: BackendRef; policy: EffectivePolicy }[] = (rule.backendRefs ?? []).map((ref, i) => {
      const resolved = this.resolveBackendRef(ref, `${path}.backendRefs[${i}]`, route, parent, port);
      return ref.filters?.length ? { ...resolved, ref: { ...resolved.ref, filters: ref.filters.map(mapBackendFilter) } } : resolved;
    });
    const out: RouteRule = {
      ...(rule.name !== undefined ? { name: rule.name } : {}),
      matches: (rule.matches?.length ?? 0) > 0 ? (rule.matches ?? []).map(mapMatch) : [matchAll()],
      filters: (rule.filters ?? []).flatMap((f, i) =>
        f.type === "RequestMirror" ? this.mapMirror(f.requestMirror, `${path}.filters[${i}].requestMirror`, route, parent, port) : mapFilter(f, { sink: this.sink, resource: route.key, path: `${path}.filters[${i}]` }),
      ),
      backendRefs: refs.map((r) => r.ref),
      timeouts: { grpcTimeoutOffsetMs: 5 },
    };
    const at = { sink: this.sink, resource: route.key, path: `${path}` };
    // The rule's own settings win; otherwise the destination's TrafficPolicy (or the Mesh default).
    const live = refs.filter((r) => r.ref.weight > 0);
    let policy = live[0]?.policy ?? this.policies.resolve({ service: parent.name, namespace: parent.namespace, port: port.port });
    if (live.some((r) => !sameConfig(pickRulePolicy(r.policy), pickRulePolicy(policy)))) {
      policy = this.policies.resolve({ service: parent.name, namespace: parent.namespace, port: port.port });
      this.sink.add({
        severity: "warning",
        code: "conflicting_backend_policies",
        resource: route.key,
        path: `${path}.backendRefs`,
        message: `the backends of this rule have different request timeouts or retries in their TrafficPolicies; the proxy sets them per rule, so ${parent.name}'s own (service-wide) settings are used`,
      });
    }
    const withDefaults = withPolicy(out, policy);
    if (rule.timeouts?.request !== undefined) {
      const ms = proxyMs(rule.timeouts.request, { ...at, path: `${path}.timeouts.request` });
      if (ms === undefined) delete withDefaults.timeouts.requestMs;
      else withDefaults.timeouts.requestMs = ms;
    }
    let ruleRetry: MappedRetry | undefined;
    if (rule.retry) {
      ruleRetry = mapRetry(rule.retry, { ...at, path: `${path}.retry` });
      withDefaults.retry = ruleRetry.retry;
      delete withDefaults.timeouts.perTryMs;
    }
    const backendRequest = rule.timeouts?.backendRequest !== undefined ? proxyMs(rule.timeouts.backendRequest, { ...at, path: `${path}.timeouts.backendRequest` }) : undefined;
    const perTry = ruleRetry?.perTryMs ?? backendRequest;
    if (perTry !== undefined) withDefaults.timeouts.perTryMs = perTry;
    return withDefaults;
  }

  /** A RequestMirror: the shadow backend is resolved like a backendRef (and is created if no rule sends to it). */
  private mapMirror(m: MirrorSpec, path: string, route: Indexed<"HTTPRoute">, parent: MeshService, port: ServicePort): RouteFilter[] {
    const { ref } = this.resolveBackendRef({ ...m.backendRef, weight: 1 }, `${path}.backendRef`, route, parent, port);
    return [{ type: "RequestMirror", requestMirror: { backend: ref.backend, percent: m.percent, maxInFlight: 64, timeoutMs: 10_000 } }];
  }

  private resolveBackendRef(
    ref: RouteBackendRef,
    path: string,
    route: Indexed<"HTTPRoute">,
    parent: MeshService,
    parentPort: ServicePort,
  ): { ref: BackendRef; policy: EffectivePolicy } {
    const namespace = ref.namespace ?? route.namespace;
    if (ref.kind === "ExternalService") {
      const es = this.byKind.ExternalService.find((e) => e.resource.metadata.name === ref.name && e.namespace === namespace);
      const backend = es ? this.externalBackendFor(es, ref.port) : undefined;
      if (!backend) {
        this.sink.add({ severity: "error", code: "unknown_backend", resource: route.key, path, message: `ExternalService ${namespace}/${ref.name}${ref.port ? ` port ${ref.port}` : ""} has no HTTP port and non-wildcard host to send to; its share of requests answers 503` });
        return { ref: { backend: this.emptyBackend(`external.${namespace}.${ref.name}`, ref.name, namespace), weight: ref.weight }, policy: this.policies.resolve({ service: ref.name, namespace, port: ref.port ?? 0 }) };
      }
      return { ref: { backend, weight: ref.weight }, policy: this.policies.resolve({ service: ref.name, namespace, port: ref.port ?? 0 }) };
    }
    const service = this.services.get(serviceKey(ref.name, namespace));
    const wanted = ref.port ?? (service === parent ? parentPort.port : (service?.ports.some((p) => p.port === parentPort.port) ? parentPort.port : service?.primary?.port));
    const port = service?.ports.find((p) => p.port === wanted);
    if (!service || !port || !isHttpFamily(port.protocol)) {
      const why = !service ? `service ${namespace}/${ref.name} is not in the catalog` : !port ? `${namespace}/${ref.name} has no port ${wanted ?? "(none given)"}` : `${namespace}/${ref.name} port ${port.port} is TCP`;
      this.sink.add({ severity: "error", code: "unknown_backend", resource: route.key, path, message: `${why}; its share of requests answers 503` });
      const name = `${ref.name}.${namespace}${wanted !== undefined ? `:${wanted}` : ""}${ref.version ? `/${ref.version}` : ""}`;
      return { ref: { backend: this.emptyBackend(name, ref.name, namespace, ref.version), weight: ref.weight }, policy: this.policies.resolve({ service: ref.name, namespace, port: wanted ?? 0 }) };
    }
    if (ref.version !== undefined && !service.endpoints.some((e) => e.version === ref.version))
      this.sink.add({ severity: "warning", code: "empty_subset", resource: route.key, path: `${path}.version`, message: `no endpoint of ${namespace}/${ref.name} has version ${ref.version}; its share of requests answers 503` });
    const backend = this.serviceBackend(service, port, ref.version);
    const target = { service: service.name, namespace: service.namespace, port: port.port, ...(ref.version !== undefined ? { version: ref.version } : {}) };
    return { ref: { backend, weight: ref.weight }, policy: this.policies.resolve(target) };
  }

  /** The backend of a service port, or of one version subset of it; created on first use. */
  private serviceBackend(service: MeshService, port: ServicePort, version: string | undefined): string {
    const name = `${service.name}.${service.namespace}:${port.port}${version !== undefined ? `/${version}` : ""}`;
    if (this.backends.has(name)) return name;
    const endpoints: Endpoint[] = [];
    const included: CatalogEndpoint[] = [];
    const candidates = service.endpoints.filter((e) => version === undefined || e.version === version);
    // Auto mTLS: originate it only to endpoints that have a proxy to terminate it. A service with none
    // (a workload outside the mesh) is called in plaintext; in a mixed one, the proxy-less endpoints are left out.
    const useMtls = this.input.options.identity !== undefined && isHttpFamily(port.protocol) && candidates.some((e) => e.sidecar !== false);
    for (const e of candidates) {
      if (useMtls && e.sidecar === false) {
        this.sink.add({ severity: "warning", code: "endpoint_without_proxy", path: "catalog", message: `endpoint ${e.address}:${e.port} of ${serviceKey(service.name, service.namespace)} has no proxy, so mTLS cannot reach it; it is left out (its other endpoints have proxies)` });
        continue;
      }
      let sni: string | undefined;
      if (e.viaGateway) {
        sni = this.eastWestSni(service, port, e);
        if (sni === undefined) continue;
      }
      // A gateway serves every port of every service on its one port; the server name says which.
      const target = e.viaGateway ? e.port : endpointPort(service, e, port);
      if (target === undefined) {
        this.sink.add({ severity: "warning", code: "unknown_endpoint_port", path: "catalog", message: `endpoint ${e.address} of ${serviceKey(service.name, service.namespace)} does not say which port serves port ${port.port} (endpoint.ports); it is left out` });
        continue;
      }
      included.push(e);
      endpoints.push({
        address: e.address,
        port: target,
        health: e.ready ? "healthy" : "unhealthy",
        locality: { ...(e.zone !== undefined ? { zone: e.zone } : {}), cluster: e.cluster },
        weight: Math.min(1000, e.weight ?? 1),
        ...(e.version !== undefined ? { version: e.version } : {}),
        ...(sni !== undefined ? { sni } : {}),
      });
    }
    const policy = this.policies.resolve({ service: service.name, namespace: service.namespace, port: port.port, ...(version !== undefined ? { version } : {}) });
    // The TCP passthrough has no TLS: TCP ports of mesh services stay plaintext (their inbound side is a TCP listener too).
    const mtls = useMtls ? backendMtls(this.security, service, included) : undefined;
    this.backends.set(name, {
      name,
      service: service.name,
      namespace: service.namespace,
      ...(version !== undefined ? { version } : {}),
      endpoints,
      protocol: port.protocol === "HTTP" ? "http1" : port.protocol === "TCP" ? "http1" : "http2",
      ...(mtls ? { mtls } : {}),
      loadBalancer: loadBalancerFor(policy, endpoints),
      policy: backendPolicy(policy),
    });
    return name;
  }

  /**
   * The server name of a service port (and the endpoint's version subset)
   * behind another cluster's east-west gateway; undefined, with a diagnostic,
   * when the endpoint cannot be used: the gateway only routes TLS this proxy
   * originates, so it needs an identity and an HTTP-family port.
   */
  private eastWestSni(service: MeshService, port: ServicePort, e: CatalogEndpoint): string | undefined {
    const key = serviceKey(service.name, service.namespace);
    if (!this.input.options.identity) {
      this.sink.add({ severity: "warning", code: "gateway_needs_mtls", path: "options.identity", message: `${key} in cluster ${e.cluster} is reached through its east-west gateway, which needs mTLS: without an identity those endpoints are left out` });
      return undefined;
    }
    if (!isHttpFamily(port.protocol)) {
      this.sink.add({ severity: "info", code: "unsupported_port", path: "catalog", message: `${key} port ${port.port} is TCP: the TCP passthrough does not originate mTLS, so cluster ${e.cluster}'s endpoints behind its gateway are left out` });
      return undefined;
    }
    const sni = formatEastWestSni({ service: service.name, namespace: service.namespace, port: port.port, version: e.version });
    if (sni === undefined)
      this.sink.add({ severity: "warning", code: "unnamed_east_west_target", path: "catalog", message: `${key} port ${port.port}${e.version !== undefined ? ` version ${e.version}` : ""} has no east-west server name (a name too long to encode); cluster ${e.cluster}'s endpoints are left out` });
    return sni;
  }

  private emptyBackend(name: string, service: string, namespace: string, version?: string): string {
    if (!this.backends.has(name)) {
      const policy = this.policies.resolve({ service, namespace, port: 0 });
      this.backends.set(name, { name, service, namespace, ...(version ? { version } : {}), endpoints: [], protocol: "http1", loadBalancer: loadBalancerFor(policy, []), policy: backendPolicy(policy) });
    }
    return name;
  }

  // ------------------------------------------------------- external services

  private compileExternalService(es: Indexed<"ExternalService">): void {
    this.reportUnsupported(es.resource, es.key);
    const port = httpPortOf(es.resource, undefined);
    if (!port) return; // only HTTPS/TLS/TCP ports: reported as unsupported above
    const httpPorts = es.resource.spec.ports.filter((p) => p.protocol === "HTTP" || p.protocol === "HTTP2" || p.protocol === "GRPC");
    if (httpPorts.length > 1)
      this.sink.add({ severity: "warning", code: "unsupported_port", resource: es.key, path: "spec.ports", message: `only port ${port.number} is routed (virtual hosts are per host, not per port)` });
    es.resource.spec.hosts.forEach((host) => {
      if (host.startsWith("*")) return;
      const backend = this.externalBackend(es, port, host);
      this.addVirtualHost(
        {
          name: `external.${es.namespace}.${es.resource.metadata.name}.${host}`,
          domains: [host],
          routes: [{ name: es.resource.metadata.name, namespace: es.namespace, creationTimestamp: es.createdAtText, rules: [withPolicy({ matches: [matchAll()], filters: [], backendRefs: [{ backend, weight: 1 }], timeouts: { grpcTimeoutOffsetMs: 5 } }, this.policies.resolve({ service: es.resource.metadata.name, namespace: es.namespace, port: port.number }))] }],
        },
        es.key,
      );
    });
  }

  private externalBackendFor(es: Indexed<"ExternalService">, portNumber: number | undefined): string | undefined {
    const port = httpPortOf(es.resource, portNumber);
    const host = es.resource.spec.hosts.find((h) => !h.startsWith("*"));
    return port && host ? this.externalBackend(es, port, host) : undefined;
  }

  private externalBackend(es: Indexed<"ExternalService">, port: ExternalService["spec"]["ports"][number], host: string): string {
    const name = `external.${es.namespace}.${es.resource.metadata.name}:${port.number}/${host}`;
    if (this.backends.has(name)) return name;
    const tls = es.resource.spec.tls;
    let failClosed = false;
    let upstreamTls: Backend["tls"];
    if (tls && tls.mode !== "DISABLE") {
      upstreamTls = { serverName: tls.sni ?? host, insecureSkipVerify: false };
      if (tls.mode === "MUTUAL") failClosed = true;
      if (tls.caCertificateRef) {
        const ref = `${tls.caCertificateRef.namespace ?? es.namespace}/${tls.caCertificateRef.name}`;
        const caPem = this.input.options.certificates[ref]?.caPem;
        if (caPem) upstreamTls.caPem = caPem;
        else {
          failClosed = true;
          this.sink.add({ severity: "error", code: "unresolved_certificate", resource: es.key, path: "spec.tls.caCertificateRef", message: `certificate ${ref} was not provided (options.certificates); calls fail closed (503)` });
        }
      }
    }
    const policy = this.policies.resolve({ service: es.resource.metadata.name, namespace: es.namespace, port: port.number });
    const endpoints: Endpoint[] = failClosed ? [] : [{ address: host, port: port.number, health: "healthy", locality: {}, weight: 1 }];
    this.backends.set(name, {
      name,
      service: es.resource.metadata.name,
      namespace: es.namespace,
      endpoints,
      protocol: port.protocol === "HTTP" ? "http1" : "http2",
      ...(upstreamTls ? { tls: upstreamTls } : {}),
      loadBalancer: loadBalancerFor(policy, endpoints),
      // External hosts have no locality.
      policy: { ...backendPolicy(policy), localityFailover: false },
    });
    return name;
  }

  // ---------------------------------------------------------------- listeners

  private compileListeners(): Listener[] {
    const { options, workload } = this.input;
    const listeners: Listener[] = [{ kind: "outbound", name: "outbound", address: options.outboundAddress, port: options.outboundPort, http2: true }];
    // By local port, so the listener order does not depend on the order the agent listed them in.
    const locals = options.localPorts.map((local, index) => ({ local, index })).sort((a, b) => a.local.localPort - b.local.localPort || a.index - b.index);
    for (const { local, index } of locals) {
      const path = `options.localPorts[${index}]`;
      const namespace = local.namespace ?? workload.namespace;
      const service = this.services.get(serviceKey(local.service, namespace));
      const port = service?.ports.find((p) => p.port === local.port);
      if (!service || !port) {
        this.sink.add({ severity: "error", code: "unknown_backend", path, message: `${namespace}/${local.service} port ${local.port} is not in the catalog; no listener` });
        continue;
      }
      const name = `local-${local.localPort}-${service.name}-${service.namespace}`.slice(0, 253).replace(/-+$/, "");
      if (isHttpFamily(port.protocol)) {
        if (port !== service.primary) {
          this.sink.add({ severity: "warning", code: "unsupported_port", path, message: `only the primary port (${service.primary?.port}) of ${namespace}/${local.service} has a virtual host; no listener` });
          continue;
        }
        listeners.push({ kind: "outbound", name, address: options.outboundAddress, port: local.localPort, http2: true, virtualHost: this.hostName(service) });
      } else {
        listeners.push({ kind: "tcp", name, address: options.outboundAddress, port: local.localPort, backend: this.serviceBackend(service, port, undefined) });
      }
    }
    workload.appPorts.forEach((app, i) => {
      const listenPort = app.inboundPort ?? (i === 0 ? options.inboundPort : undefined);
      if (listenPort === undefined) {
        this.sink.add({ severity: "error", code: "missing_inbound_port", path: `workload.appPorts[${i}].inboundPort`, message: `app port ${app.port} needs an inboundPort (only the first app port uses options.inboundPort); no listener` });
        return;
      }
      const name = i === 0 ? "inbound" : `inbound-${app.port}`;
      if (app.protocol === "TCP") {
        const backend = `inbound:${app.port}`;
        this.backends.set(backend, {
          name: backend,
          service: workload.service,
          namespace: workload.namespace,
          ...(workload.version !== undefined ? { version: workload.version } : {}),
          endpoints: [{ address: options.appAddress, port: app.port, health: "healthy", locality: {}, weight: 1 }],
          protocol: "http1",
          loadBalancer: { algorithm: "round-robin" },
          policy: { ...backendPolicy(this.policies.resolve({ service: workload.service, namespace: workload.namespace, port: app.port })), localityFailover: false },
        });
        listeners.push({ kind: "tcp", name, address: options.inboundAddress, port: listenPort, backend });
        return;
      }
      listeners.push({
        kind: "inbound",
        name,
        address: options.inboundAddress,
        port: listenPort,
        http2: true,
        app: { address: options.appAddress, port: app.port, protocol: app.protocol === "HTTP" ? "http1" : "http2" },
      });
    });
    listeners.push({ kind: "admin", name: "admin", address: "127.0.0.1", port: options.adminPort });
    return listeners;
  }

  // -------------------------------------------------------------- rate limits

  /**
   * TrafficPolicy rate limits are enforced by the destination's own proxies:
   * the ones that apply to this workload's service go on its inbound listeners.
   */
  private compileRateLimits(listeners: readonly Listener[]): ProxyConfig["rateLimits"] | undefined {
    const { workload } = this.input;
    const app = workload.appPorts[0];
    if (!app || !listeners.some((l) => l.kind === "inbound")) return undefined;
    const policy = this.policies.resolve({ service: workload.service, namespace: workload.namespace, port: app.port, ...(workload.version !== undefined ? { version: workload.version } : {}) });
    const rl = policy.rateLimits;
    if (!rl) return undefined;
    const at = (path: string) => ({ sink: this.sink, resource: rl.key, path: `spec.rateLimits.${path}` });
    const local: NonNullable<ProxyConfig["rateLimits"]>["local"] = [];
    (rl.spec.local ?? []).forEach((l, i) => {
      const key = this.rateLimitKey(l.key, `local[${i}].key`, rl.key);
      if (!key) return;
      local.push({ name: l.name, key, tokensPerFill: l.tokenBucket.requests, fillIntervalMs: proxyMs(l.tokenBucket.per, at(`local[${i}].tokenBucket.per`)) ?? 1000, burst: l.tokenBucket.burst ?? l.tokenBucket.requests });
    });
    let global: NonNullable<ProxyConfig["rateLimits"]>["global"];
    const g = rl.spec.global;
    if (g) {
      const limits = g.limits.flatMap((l, i) => {
        const key = this.rateLimitKey(l.key, `global.limits[${i}].key`, rl.key);
        return key ? [{ name: l.name, key, requests: l.requests, windowMs: UNIT_MS[l.unit] }] : [];
      });
      if (limits.length > 0)
        global = {
          redis: { address: g.redis.address, tls: g.redis.tls },
          domain: `${workload.namespace}/${workload.service}`,
          keyPrefix: "weft:rl:",
          failOpen: g.failOpen,
          timeoutMs: proxyMs(g.timeout, at("global.timeout")) ?? 20,
          limits,
        };
    }
    if (local.length === 0 && !global) return undefined;
    return { local, ...(global ? { global } : {}) };
  }

  /** A rate-limit key in proxy terms; a Route key becomes the matches of the routes (rules) it names. */
  private rateLimitKey(key: SourceRateLimitKey, path: string, resource: string): RateLimitKey | undefined {
    switch (key.type) {
      case "Header":
        return { type: "header", name: key.header };
      case "SourceIdentity":
        return { type: "source-identity", ...(key.identities ? { identities: [...key.identities] } : {}) };
      case "Route": {
        const { workload } = this.input;
        const self = this.services.get(serviceKey(workload.service, workload.namespace));
        const routes = self?.primary ? this.routesFor(self, self.primary).filter((r) => r.namespace === workload.namespace) : [];
        const rules = routes.flatMap((r) =>
          key.route && r.resource.metadata.name !== key.route.name
            ? []
            : r.resource.spec.rules.flatMap((rule, i) =>
                key.route?.rule !== undefined && rule.name !== key.route.rule
                  ? []
                  : [{ id: `${r.namespace}/${r.resource.metadata.name}/${rule.name ?? `rule-${i}`}`, matches: (rule.matches?.length ?? 0) > 0 ? (rule.matches ?? []).map(mapMatch) : [matchAll()] }],
              ),
        );
        if (rules.length === 0) {
          this.sink.add({
            severity: "warning",
            code: "unknown_route",
            resource,
            path: `spec.rateLimits.${path}.route`,
            message: key.route ? `no HTTPRoute ${key.route.name}${key.route.rule ? ` rule ${key.route.rule}` : ""} is attached to ${workload.namespace}/${workload.service}; the limit is not applied` : `no HTTPRoute is attached to ${workload.namespace}/${workload.service}; the limit is not applied`,
          });
          return undefined;
        }
        return { type: "route", rules };
      }
    }
  }

  // -------------------------------------------------------------- diagnostics

  private reportUnsupported(resource: Resource, key: string): void {
    for (const use of findUnsupportedFields(resource))
      this.sink.add({ severity: "warning", code: "unsupported_field", resource: key, path: use.path, message: `not applied: ${use.reason}` });
  }

  private reportPolicies(): void {
    const { workload } = this.input;
    for (const p of this.byKind.TrafficPolicy) {
      const t = p.resource.spec.targetRef;
      const namespace = t.namespace ?? p.namespace;
      if (this.services.has(serviceKey(t.name, namespace))) this.reportUnsupported(p.resource, p.key);
      else this.sink.add({ severity: "info", code: "unknown_target", resource: p.key, path: "spec.targetRef", message: `service ${namespace}/${t.name} is not in the catalog; the policy has no effect here` });
    }
    for (const m of this.byKind.Mesh.slice(0, 1)) this.reportUnsupported(m.resource, m.key);
    for (const a of this.byKind.AuthorizationPolicy) {
      const t = a.resource.spec.targetRef;
      if (t.name === workload.service && (t.namespace ?? a.namespace) === workload.namespace) this.reportUnsupported(a.resource, a.key);
    }
    for (const r of this.byKind.RequestAuthentication) {
      const t = r.resource.spec.targetRef;
      const applies = t ? t.name === workload.service && (t.namespace ?? r.namespace) === workload.namespace : r.namespace === workload.namespace;
      if (applies) this.reportUnsupported(r.resource, r.key);
    }
  }
}

// ------------------------------------------------------------------ helpers

function indexResources(entries: readonly ResourceEntry[]): { [K in Resource["kind"]]: Indexed<K>[] } {
  // Every registered kind, so a new kind needs no change here (kinds the compiler ignores stay unread).
  const out = Object.fromEntries(KINDS.map((kind) => [kind, []])) as unknown as { [K in Resource["kind"]]: Indexed<K>[] };
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
  // Oldest first, then by key (Gateway API tie-break), so input order never matters.
  for (const list of Object.values(out)) (list as Indexed<Resource["kind"]>[]).sort((a, b) => a.createdAt - b.createdAt || compareText(a.key, b.key));
  return out;
}

function matchAll(): RouteMatch {
  return { path: { type: "PathPrefix", value: "/" }, headers: [], queryParams: [] };
}

function mapMatch(m: NonNullable<SourceRule["matches"]>[number]): RouteMatch {
  return {
    path: m.path ? { type: m.path.type, value: m.path.value } : { type: "PathPrefix", value: "/" },
    headers: (m.headers ?? []).map((h) => ({ type: h.type, name: h.name, value: h.value })),
    queryParams: (m.queryParams ?? []).map((q) => ({ type: q.type, name: q.name, value: q.value })),
    ...(m.method !== undefined ? { method: m.method } : {}),
  };
}

function mapHeaderModifier(m: { set?: { name: string; value: string }[] | undefined; add?: { name: string; value: string }[] | undefined; remove?: string[] | undefined }) {
  return { set: m.set ?? [], add: m.add ?? [], remove: m.remove ?? [] };
}

const UNIT_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Filters map one to one (RequestMirror is resolved by the compilation, it needs the catalog). */
function mapBackendFilter(f: NonNullable<NonNullable<SourceRule["backendRefs"]>[number]["filters"]>[number]): BackendFilter {
  return f.type === "RequestHeaderModifier"
    ? { type: "RequestHeaderModifier", requestHeaderModifier: mapHeaderModifier(f.requestHeaderModifier) }
    : { type: "ResponseHeaderModifier", responseHeaderModifier: mapHeaderModifier(f.responseHeaderModifier) };
}

function mapFilter(f: NonNullable<SourceRule["filters"]>[number], at: Origin): RouteFilter[] {
  switch (f.type) {
    case "RequestHeaderModifier":
      return [{ type: "RequestHeaderModifier", requestHeaderModifier: mapHeaderModifier(f.requestHeaderModifier) }];
    case "ResponseHeaderModifier":
      return [{ type: "ResponseHeaderModifier", responseHeaderModifier: mapHeaderModifier(f.responseHeaderModifier) }];
    case "URLRewrite":
      return [{ type: "URLRewrite", urlRewrite: { ...(f.urlRewrite.hostname !== undefined ? { hostname: f.urlRewrite.hostname } : {}), ...(f.urlRewrite.path ? { path: f.urlRewrite.path } : {}) } }];
    case "RequestRedirect": {
      const r = f.requestRedirect;
      return [
        {
          type: "RequestRedirect",
          requestRedirect: {
            ...(r.scheme !== undefined ? { scheme: r.scheme } : {}),
            ...(r.hostname !== undefined ? { hostname: r.hostname } : {}),
            ...(r.path ? { path: r.path } : {}),
            ...(r.port !== undefined ? { port: r.port } : {}),
            statusCode: r.statusCode,
          },
        },
      ];
    }
    case "FaultInjection": {
      const fi = f.faultInjection;
      const delayMs = fi.delay ? proxyMs(fi.delay.fixedDelay, { ...at, path: `${at.path}.faultInjection.delay.fixedDelay` }) : undefined;
      if (fi.delay && delayMs === undefined)
        at.sink.add({ severity: "info", code: "no_effect", resource: at.resource, path: `${at.path}.faultInjection.delay.fixedDelay`, message: "a zero delay delays nothing" });
      const delay = fi.delay && delayMs !== undefined ? { fixedDelayMs: delayMs, percentage: fi.delay.percentage } : undefined;
      const abort = fi.abort
        ? {
            ...(fi.abort.httpStatus !== undefined ? { httpStatus: fi.abort.httpStatus } : {}),
            ...(fi.abort.grpcStatus !== undefined ? { grpcStatus: GRPC_STATUS_CODES[fi.abort.grpcStatus] } : {}),
            percentage: fi.abort.percentage,
          }
        : undefined;
      if (!delay && !abort) return [];
      return [{ type: "FaultInjection", faultInjection: { ...(delay ? { delay } : {}), ...(abort ? { abort } : {}), headers: (fi.headers ?? []).map((h) => ({ type: h.type, name: h.name, value: h.value })) } }];
    }
    case "RequestMirror":
      return [];
  }
}

/** The part of a policy that the proxy holds per rule rather than per backend. */
function pickRulePolicy(p: EffectivePolicy): unknown {
  return { requestTimeoutMs: p.requestTimeoutMs, retry: p.retry };
}

function withPolicy(rule: RouteRule, policy: EffectivePolicy): RouteRule {
  const out: RouteRule = { ...rule, timeouts: { ...rule.timeouts } };
  if (policy.requestTimeoutMs !== undefined) out.timeouts.requestMs = policy.requestTimeoutMs;
  if (policy.retry) {
    out.retry = policy.retry.retry;
    if (policy.retry.perTryMs !== undefined) out.timeouts.perTryMs = policy.retry.perTryMs;
  }
  return out;
}

function loadBalancerFor(policy: EffectivePolicy, endpoints: readonly Endpoint[]): Backend["loadBalancer"] {
  const lb = policy.loadBalancer;
  if (lb.algorithm === "ring-hash" && lb.hashOn) {
    const total = endpoints.reduce((sum, e) => sum + e.weight, 0);
    return { algorithm: "ring-hash", hashOn: lb.hashOn, pointsPerWeight: pointsPerWeight(lb.minimumRingSize ?? 1024, total) };
  }
  return { algorithm: lb.algorithm === "ring-hash" ? "ewma" : lb.algorithm } as Backend["loadBalancer"];
}

function backendPolicy(policy: EffectivePolicy): Backend["policy"] {
  return {
    connectTimeoutMs: policy.connectTimeoutMs ?? 1000,
    idleTimeoutMs: policy.idleTimeoutMs ?? 60_000,
    localityFailover: policy.localityFailover,
    retryBudget: { ratio: policy.retryBudget?.ratio ?? 0.2, minRetriesPerSecond: policy.retryBudget?.minRetriesPerSecond ?? 10, windowMs: 10_000 },
    healthChecks: policy.healthChecks ?? [],
    ...(policy.circuitBreaker ? { circuitBreaker: policy.circuitBreaker } : {}),
    ...(policy.outlierDetection ? { outlierDetection: policy.outlierDetection } : {}),
    ...(policy.connectionPool ? { connectionPool: policy.connectionPool } : {}),
    ...(policy.slowStartWindowMs !== undefined ? { slowStartWindowMs: policy.slowStartWindowMs } : {}),
  };
}

function httpPortOf(es: ExternalService, number: number | undefined): ExternalService["spec"]["ports"][number] | undefined {
  const http = es.spec.ports.filter((p) => p.protocol === "HTTP" || p.protocol === "HTTP2" || p.protocol === "GRPC").sort((a, b) => a.number - b.number);
  return number === undefined ? http[0] : http.find((p) => p.number === number);
}

