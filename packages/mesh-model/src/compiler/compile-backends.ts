// Backends of catalog services: one per `service:port[/version]`, with the
// endpoints a caller can actually reach (auto mTLS, east-west gateways), the
// load balancer and the per-backend policy of the destination.
import { formatEastWestSni } from "../proxy-config/east-west-sni.ts";
import type { Backend, Endpoint } from "../proxy-config/proxy-backends.schema.ts";
import type { CompileContext } from "./compile-context.ts";
import type { CatalogEndpoint } from "./compile-input.ts";
import { type EffectivePolicy, pointsPerWeight } from "./policy-mapping.ts";
import { localityPreference } from "./locality-mapping.ts";
import { backendMtls } from "./security-mapping.ts";
import { type MeshService, type MeshServicePort, endpointPort, isHttpFamily, serviceKey } from "./service-catalog.ts";

/** The load balancer of a backend: a ring hash sized for its endpoints' total weight. */
export function loadBalancerFor(policy: EffectivePolicy, endpoints: readonly Endpoint[]): Backend["loadBalancer"] {
  const lb = policy.loadBalancer;
  if (lb.algorithm === "ring-hash" && lb.hashOn) {
    const total = endpoints.reduce((sum, e) => sum + e.weight, 0);
    return { algorithm: "ring-hash", hashOn: lb.hashOn, pointsPerWeight: pointsPerWeight(lb.minimumRingSize ?? 1024, total) };
  }
  return { algorithm: lb.algorithm === "ring-hash" ? "ewma" : lb.algorithm } as Backend["loadBalancer"];
}

/** The per-backend policy: the proxy's defaults where the effective policy says nothing. */
export function backendPolicy(policy: EffectivePolicy): Backend["policy"] {
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

/**
 * The passive health check a mesh service's backend gets when no policy sets
 * one and locality failover is on. Locality failover moves traffic only when
 * the local level has no *healthy* endpoint; without outlier detection a local
 * instance that answers every request with 503 or refuses connections stays
 * "healthy" and callers keep failing — Istio's pitfall, where locality
 * failover silently does nothing until a DestinationRule adds
 * outlierDetection. In Weft it is on by default: 5 consecutive 5xx (or 3
 * gateway errors / connect failures) eject an endpoint for 30 s (× the
 * number of ejections, up to 5 min), and every endpoint of a level may be
 * ejected (100 %; the last one standing never is), so a whole zone or
 * cluster can fail over. A TrafficPolicy's `outlierDetection` replaces it.
 */
export const DEFAULT_OUTLIER_DETECTION: NonNullable<Backend["policy"]["outlierDetection"]> = {
  consecutive5xx: 5,
  consecutiveGatewayErrors: 3,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 100,
  alwaysKeepOne: true,
};

/** Builds catalog backends into the context's `backends`, once per name. */
export class BackendCompiler {
  constructor(private readonly ctx: CompileContext) {}

  /** The backend of a service port, or of one version subset of it; created on first use. */
  serviceBackend(service: MeshService, port: MeshServicePort, version: string | undefined): string {
    const name = `${service.name}.${service.namespace}:${port.port}${version !== undefined ? `/${version}` : ""}`;
    if (this.ctx.backends.has(name)) return name;
    const { sink, input } = this.ctx;
    const endpoints: Endpoint[] = [];
    const included: CatalogEndpoint[] = [];
    const candidates = service.endpoints.filter((e) => (version === undefined || e.version === version) && this.reachableThroughGateway(service, port, e));
    // Auto mTLS: originate it only to endpoints that have a proxy to terminate it. A service with none
    // (a workload outside the mesh) is called in plaintext; in a mixed one, the proxy-less endpoints are left out.
    const useMtls = input.options.identity !== undefined && isHttpFamily(port.protocol) && candidates.some((e) => e.sidecar !== false);
    for (const e of candidates) {
      if (useMtls && e.sidecar === false) {
        sink.add({ severity: "warning", code: "endpoint_without_proxy", path: "catalog", service: serviceKey(service.name, service.namespace), message: `endpoint ${e.address}:${e.port} of ${serviceKey(service.name, service.namespace)} has no proxy, so mTLS cannot reach it; it is left out (its other endpoints have proxies)` });
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
        sink.add({ severity: "warning", code: "unknown_endpoint_port", path: "catalog", service: serviceKey(service.name, service.namespace), message: `endpoint ${e.address} of ${serviceKey(service.name, service.namespace)} does not say which port serves port ${port.port} (endpoint.ports); it is left out` });
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
    if (endpoints.length === 0 && service.notExportedIn.length > 0)
      sink.add({
        severity: "warning",
        code: "not_exported",
        path: "catalog",
        service: serviceKey(service.name, service.namespace),
        message: `${serviceKey(service.name, service.namespace)} runs in cluster ${service.notExportedIn.join(", ")}, which does not export it (Mesh spec.multicluster.export), and nowhere this workload can reach: its calls answer 503 UH`,
      });
    const policy = this.ctx.policies.resolve({ service: service.name, namespace: service.namespace, port: port.port, ...(version !== undefined ? { version } : {}) });
    // The TCP passthrough has no TLS: TCP ports of mesh services stay plaintext (their inbound side is a TCP listener too).
    const mtls = useMtls ? backendMtls(this.ctx.security, service, included) : undefined;
    this.ctx.backends.set(name, {
      name,
      service: service.name,
      namespace: service.namespace,
      ...(version !== undefined ? { version } : {}),
      endpoints,
      protocol: port.protocol === "HTTP" ? "http1" : port.protocol === "TCP" ? "http1" : "http2",
      ...(mtls ? { mtls } : {}),
      loadBalancer: loadBalancerFor(policy, endpoints),
      policy: {
        ...(policy.localityFailover && { outlierDetection: DEFAULT_OUTLIER_DETECTION }),
        ...backendPolicy(policy),
        ...localityPreference(policy, { cluster: input.workload.cluster, zone: input.workload.zone }),
      },
    });
    return name;
  }

  /** A backend without endpoints (its share of requests answers 503), for a reference that resolves to nothing. */
  emptyBackend(name: string, service: string, namespace: string, version?: string): string {
    if (!this.ctx.backends.has(name)) {
      const policy = this.ctx.policies.resolve({ service, namespace, port: 0 });
      this.ctx.backends.set(name, { name, service, namespace, ...(version ? { version } : {}), endpoints: [], protocol: "http1", loadBalancer: loadBalancerFor(policy, []), policy: backendPolicy(policy) });
    }
    return name;
  }

  /**
   * Whether the path to `e` can carry what the caller would send: another
   * cluster's gateway only passes mTLS through to a proxy, so remote
   * endpoints without one are never candidates (they would fail every
   * request with a TLS error), with a diagnostic saying why.
   */
  private reachableThroughGateway(service: MeshService, port: MeshServicePort, e: CatalogEndpoint): boolean {
    if (!e.viaGateway) return true;
    const served = service.clusterPorts.get(e.cluster);
    if (served && !served.has(port.port)) {
      // The server name names the port; that cluster's gateway has no route for a port its service does not declare.
      this.ctx.sink.add({
        severity: "warning",
        code: "unreachable_endpoint",
        path: "catalog",
        service: serviceKey(service.name, service.namespace),
        message: `${serviceKey(service.name, service.namespace)} in cluster ${e.cluster} does not serve port ${port.port} (it serves ${[...served].sort((a, b) => a - b).join(", ")}), so its east-west gateway has no route for it: those endpoints are left out of port ${port.port}`,
      });
      return false;
    }
    if (e.sidecar !== false) return true;
    this.ctx.sink.add({
      severity: "warning",
      code: "unreachable_endpoint",
      path: "catalog",
      service: serviceKey(service.name, service.namespace),
      message: `${serviceKey(service.name, service.namespace)} in cluster ${e.cluster}${e.version !== undefined ? ` (version ${e.version})` : ""} has no proxy in front of it, and its east-west gateway only passes mTLS through to a proxy: those endpoints are left out (mesh them, or call the service in its own cluster)`,
    });
    return false;
  }

  /**
   * The server name of a service port (and the endpoint's version subset)
   * behind another cluster's east-west gateway; undefined, with a diagnostic,
   * when the endpoint cannot be used: the gateway only routes TLS this proxy
   * originates, so it needs an identity and an HTTP-family port.
   */
  private eastWestSni(service: MeshService, port: MeshServicePort, e: CatalogEndpoint): string | undefined {
    const key = serviceKey(service.name, service.namespace);
    const { sink } = this.ctx;
    if (!this.ctx.input.options.identity) {
      sink.add({ severity: "warning", code: "gateway_needs_mtls", path: "options.identity", service: key, message: `${key} in cluster ${e.cluster} is reached through its east-west gateway, which needs mTLS: without an identity those endpoints are left out` });
      return undefined;
    }
    if (!isHttpFamily(port.protocol)) {
      sink.add({ severity: "info", code: "unsupported_port", path: "catalog", service: key, message: `${key} port ${port.port} is TCP: the TCP passthrough does not originate mTLS, so cluster ${e.cluster}'s endpoints behind its gateway are left out` });
      return undefined;
    }
    const sni = formatEastWestSni({ service: service.name, namespace: service.namespace, port: port.port, version: e.version });
    if (sni === undefined)
      sink.add({ severity: "warning", code: "unnamed_east_west_target", path: "catalog", service: key, message: `${key} port ${port.port}${e.version !== undefined ? ` version ${e.version}` : ""} has no east-west server name (a name too long to encode); cluster ${e.cluster}'s endpoints are left out` });
    return sni;
  }
}
