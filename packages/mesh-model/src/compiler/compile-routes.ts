// Virtual hosts of catalog services and their routes: the host names a
// service is called by, the HTTPRoutes attached to it (GAMMA producer and
// consumer routes), or a default rule when none is, and each rule's
// backendRefs resolved to backends with the destination's policy.
import type { BackendRef as RouteBackendRef, RouteRule as SourceRule } from "../http-route/http-route.schema.ts";
import type { BackendRef, HttpRouteEntry, RouteFilter, RouteRule } from "../proxy-config/proxy-routes.schema.ts";
import type { BackendCompiler } from "./compile-backends.ts";
import { type CompileContext, EPOCH, type Indexed } from "./compile-context.ts";
import type { ExternalServiceCompiler } from "./compile-external-services.ts";
import { type EffectivePolicy, type MappedRetry, mapRetry, proxyMs, sameConfig } from "./policy-mapping.ts";
import { mapBackendFilter, mapFilter, mapMatch, matchAll, pickRulePolicy, withPolicy } from "./route-mapping.ts";
import { type MeshService, type MeshServicePort, isHttpFamily, serviceKey } from "./service-catalog.ts";

/** Short names and the Kubernetes DNS forms a service is reached by. */
const CLUSTER_DOMAIN = "cluster.local";

type MirrorSpec = Extract<NonNullable<SourceRule["filters"]>[number], { type: "RequestMirror" }>["requestMirror"];

/**
 * Info for each port of `service` beside its virtual host's that the workload
 * cannot reach by host name and has no local port (options.localPorts) for.
 */
export function reportUnreachablePorts(ctx: CompileContext, service: MeshService): void {
  const primary = service.primary;
  if (!primary || service.ports.length < 2) return;
  const { input, sink } = ctx;
  for (const port of service.ports) {
    if (port === primary || input.options.localPorts.some((l) => l.service === service.name && (l.namespace ?? input.workload.namespace) === service.namespace && l.port === port.port)) continue;
    sink.add({
      severity: "info",
      code: "unreachable_port",
      path: "catalog",
      message: `${serviceKey(service.name, service.namespace)} port ${port.port} (${port.protocol}) is not reachable by host name (virtual hosts are per host, the proxy serves port ${primary.port}); map it in options.localPorts`,
    });
  }
}

/** Compiles the virtual host of each catalog service into the context. */
export class RouteCompiler {
  constructor(
    private readonly ctx: CompileContext,
    private readonly backends: BackendCompiler,
    private readonly externals: ExternalServiceCompiler,
  ) {}

  /** The virtual host name of a service: `<name>.<namespace>`. */
  hostName(service: MeshService): string {
    return `${service.name}.${service.namespace}`;
  }

  /**
   * The virtual host of a service's primary port (TCP-only services have
   * none). It depends on where the caller sits, not on its local ports: the
   * other ports' `unreachable_port` notes are the workload's own
   * ({@link reportUnreachablePorts}).
   */
  compileServiceHost(service: MeshService): void {
    const primary = service.primary;
    if (!primary) return; // TCP only: reachable through options.localPorts
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
    this.ctx.addVirtualHost({ name: this.hostName(service), domains: this.domainsOf(service), routes: entries }, `catalog service ${serviceKey(service.name, service.namespace)}`);
  }

  /**
   * HTTPRoutes attached to the service that apply to this workload (GAMMA):
   * producer routes (in the service's namespace) for every caller, consumer
   * routes (in the caller's namespace) for callers there — and those replace
   * the producer routes for them. Oldest first, then namespace/name.
   */
  routesFor(service: MeshService, primary: MeshServicePort): Indexed<"HTTPRoute">[] {
    const attached = this.ctx.byKind.HTTPRoute.filter((r) =>
      r.resource.spec.parentRefs.some((p, i) => {
        if (p.kind !== "Service" || p.name !== service.name || (p.namespace ?? r.namespace) !== service.namespace) return false;
        if (p.port === undefined || p.port === primary.port) return true;
        const known = service.ports.some((sp) => sp.port === p.port);
        this.ctx.sink.add({
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
    const ownNamespace = this.ctx.input.workload.namespace;
    const consumer = ownNamespace !== service.namespace ? attached.filter((r) => r.namespace === ownNamespace) : [];
    return consumer.length > 0 ? consumer : attached.filter((r) => r.namespace === service.namespace);
  }

  private domainsOf(service: MeshService): string[] {
    const long = [`${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}.svc.${CLUSTER_DOMAIN}`];
    // Short names resolve in the caller's own namespace, as Kubernetes DNS search paths do.
    return service.namespace === this.ctx.input.workload.namespace ? [service.name, ...long] : long;
  }

  /** The route's rules that apply in this workload's cluster; undefined when none does (the route is not attached here). */
  private compileRoute(route: Indexed<"HTTPRoute">, parent: MeshService, port: MeshServicePort): HttpRouteEntry | undefined {
    this.ctx.reportUnsupported(route.resource, route.key);
    if ((route.resource.spec.hostnames?.length ?? 0) > 0 && route.resource.spec.parentRefs.every((p) => p.kind === "Service"))
      this.ctx.sink.add({ severity: "warning", code: "no_effect", resource: route.key, path: "spec.hostnames", message: "hostnames only apply to Gateway parents; calls to a Service are matched by its own host names" });
    const cluster = this.ctx.input.workload.cluster;
    const rules = route.resource.spec.rules.flatMap((rule, i) => (rule.clusters && !rule.clusters.includes(cluster) ? [] : [this.compileRule(rule, `spec.rules[${i}]`, route, parent, port)]));
    if (rules.length === 0) {
      this.ctx.sink.add({ severity: "info", code: "no_effect", resource: route.key, path: "spec.rules", message: `no rule applies in cluster ${cluster}: the route is not applied here` });
      return undefined;
    }
    return { name: route.resource.metadata.name, namespace: route.namespace, creationTimestamp: route.createdAtText, rules };
  }

  private defaultRule(service: MeshService, port: MeshServicePort): RouteRule {
    const backend = this.backends.serviceBackend(service, port, undefined);
    const policy = this.ctx.policies.resolve({ service: service.name, namespace: service.namespace, port: port.port });
    return withPolicy({ matches: [matchAll()], filters: [], backendRefs: [{ backend, weight: 1 }], timeouts: { grpcTimeoutOffsetMs: 5 } }, policy);
  }

  private compileRule(rule: SourceRule, path: string, route: Indexed<"HTTPRoute">, parent: MeshService, port: MeshServicePort): RouteRule {
    const { sink, policies } = this.ctx;
    const refs: { ref: BackendRef; policy: EffectivePolicy }[] = (rule.backendRefs ?? []).map((ref, i) => {
      const resolved = this.resolveBackendRef(ref, `${path}.backendRefs[${i}]`, route, parent, port);
      return ref.filters?.length ? { ...resolved, ref: { ...resolved.ref, filters: ref.filters.map(mapBackendFilter) } } : resolved;
    });
    const out: RouteRule = {
      ...(rule.name !== undefined ? { name: rule.name } : {}),
      matches: (rule.matches?.length ?? 0) > 0 ? (rule.matches ?? []).map(mapMatch) : [matchAll()],
      filters: (rule.filters ?? []).flatMap((f, i) =>
        f.type === "RequestMirror" ? this.mapMirror(f.requestMirror, `${path}.filters[${i}].requestMirror`, route, parent, port) : mapFilter(f, { sink, resource: route.key, path: `${path}.filters[${i}]` }),
      ),
      backendRefs: refs.map((r) => r.ref),
      timeouts: { grpcTimeoutOffsetMs: 5 },
    };
    const at = { sink, resource: route.key, path: `${path}` };
    // The rule's own settings win; otherwise the destination's TrafficPolicy (or the Mesh default).
    const live = refs.filter((r) => r.ref.weight > 0);
    let policy = live[0]?.policy ?? policies.resolve({ service: parent.name, namespace: parent.namespace, port: port.port });
    if (live.some((r) => !sameConfig(pickRulePolicy(r.policy), pickRulePolicy(policy)))) {
      policy = policies.resolve({ service: parent.name, namespace: parent.namespace, port: port.port });
      sink.add({
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
  private mapMirror(m: MirrorSpec, path: string, route: Indexed<"HTTPRoute">, parent: MeshService, port: MeshServicePort): RouteFilter[] {
    const { ref } = this.resolveBackendRef({ ...m.backendRef, weight: 1 }, `${path}.backendRef`, route, parent, port);
    return [{ type: "RequestMirror", requestMirror: { backend: ref.backend, percent: m.percent, maxInFlight: 64, timeoutMs: 10_000 } }];
  }

  private resolveBackendRef(ref: RouteBackendRef, path: string, route: Indexed<"HTTPRoute">, parent: MeshService, parentPort: MeshServicePort): { ref: BackendRef; policy: EffectivePolicy } {
    const { sink, policies } = this.ctx;
    const namespace = ref.namespace ?? route.namespace;
    if (ref.kind === "ExternalService") {
      const es = this.ctx.byKind.ExternalService.find((e) => e.resource.metadata.name === ref.name && e.namespace === namespace);
      const backend = es ? this.externals.backendFor(es, ref.port) : undefined;
      if (!backend) {
        sink.add({ severity: "error", code: "unknown_backend", resource: route.key, path, message: `ExternalService ${namespace}/${ref.name}${ref.port ? ` port ${ref.port}` : ""} has no HTTP port and non-wildcard host to send to; its share of requests answers 503` });
        return { ref: { backend: this.backends.emptyBackend(`external.${namespace}.${ref.name}`, ref.name, namespace), weight: ref.weight }, policy: policies.resolve({ service: ref.name, namespace, port: ref.port ?? 0 }) };
      }
      return { ref: { backend, weight: ref.weight }, policy: policies.resolve({ service: ref.name, namespace, port: ref.port ?? 0 }) };
    }
    const service = this.ctx.services.get(serviceKey(ref.name, namespace));
    const wanted = ref.port ?? (service === parent ? parentPort.port : service?.ports.some((p) => p.port === parentPort.port) ? parentPort.port : service?.primary?.port);
    const port = service?.ports.find((p) => p.port === wanted);
    if (!service || !port || !isHttpFamily(port.protocol)) {
      const why = !service ? `service ${namespace}/${ref.name} is not in the catalog` : !port ? `${namespace}/${ref.name} has no port ${wanted ?? "(none given)"}` : `${namespace}/${ref.name} port ${port.port} is TCP`;
      sink.add({ severity: "error", code: "unknown_backend", resource: route.key, path, message: `${why}; its share of requests answers 503` });
      const name = `${ref.name}.${namespace}${wanted !== undefined ? `:${wanted}` : ""}${ref.version ? `/${ref.version}` : ""}`;
      return { ref: { backend: this.backends.emptyBackend(name, ref.name, namespace, ref.version), weight: ref.weight }, policy: policies.resolve({ service: ref.name, namespace, port: wanted ?? 0 }) };
    }
    if (ref.version !== undefined && !service.endpoints.some((e) => e.version === ref.version))
      sink.add({ severity: "warning", code: "empty_subset", resource: route.key, path: `${path}.version`, message: `no endpoint of ${namespace}/${ref.name} has version ${ref.version}; its share of requests answers 503` });
    const backend = this.backends.serviceBackend(service, port, ref.version);
    const target = { service: service.name, namespace: service.namespace, port: port.port, ...(ref.version !== undefined ? { version: ref.version } : {}) };
    return { ref: { backend, weight: ref.weight }, policy: policies.resolve(target) };
  }
}
