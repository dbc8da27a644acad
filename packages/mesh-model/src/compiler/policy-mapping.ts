// TrafficPolicy, Mesh defaults and route retry/timeout blocks → the proxy's
// terms (milliseconds, proxy enum names). Every adjustment is a diagnostic.
import { parseDuration } from "../common/duration.ts";
import type { Retry } from "../common/retry.schema.ts";
import type { Mesh } from "../mesh/mesh.schema.ts";
import { MeshDefaultsSchema } from "../mesh/mesh.schema.ts";
import type { BackendPolicy, HashOn, LoadBalancer } from "../proxy-config/proxy-backends.schema.ts";
import type { RetryPolicy } from "../proxy-config/proxy-routes.schema.ts";
import type { LoadBalancingAlgorithm, LocalityDistribute, LocalityFailover, TrafficPolicy } from "../traffic-policy/traffic-policy.schema.ts";
import { canonicalJson } from "./config-hash.ts";
import { type CompileDiagnostic, DiagnosticSink, compareText } from "./diagnostics.ts";

/** ProxyConfig bounds durations to 1 ms .. 24 h. */
const MAX_PROXY_MS = 24 * 60 * 60 * 1000;
/** ProxyConfig RetryPolicy.maxAttempts bound (attempts including the first). */
const MAX_PROXY_ATTEMPTS = 10;

/** Where a value came from, for diagnostics. */
export interface Origin {
  sink: DiagnosticSink;
  resource: string;
  path: string;
}

/**
 * Milliseconds of a validated duration for the proxy: `undefined` for "0"
 * (Gateway API: zero disables), clamped to 24 h with a warning.
 */
export function proxyMs(text: string, at: Origin): number | undefined {
  const ms = parseDuration(text) ?? 0;
  if (ms === 0) return undefined;
  if (ms > MAX_PROXY_MS) {
    at.sink.add({ severity: "warning", code: "clamped_value", resource: at.resource, path: at.path, message: `${text} is longer than the proxy's 24h limit; 24h is used` });
    return MAX_PROXY_MS;
  }
  return ms;
}

const ALGORITHMS: Record<LoadBalancingAlgorithm, LoadBalancer["algorithm"]> = {
  ROUND_ROBIN: "round-robin",
  LEAST_REQUEST: "least-request",
  EWMA: "ewma",
  RING_HASH: "ring-hash",
  RANDOM: "random",
};

const GRPC_RETRY_CODES = { cancelled: 1, "deadline-exceeded": 4, internal: 13, "resource-exhausted": 8, unavailable: 14 } as const;

/** The retry fields common to route rules, Mesh defaults and TrafficPolicies. */
type RetryFields = Pick<Retry, "attempts" | "perTryTimeout" | "retryOn" | "retriableStatusCodes" | "grpcCodes" | "backoff">;

/** A retry block in the proxy's terms, plus its per-try timeout (a rule timeout in ProxyConfig). */
export interface MappedRetry {
  retry: RetryPolicy;
  perTryMs?: number;
}

/** Maps a retry block (`attempts` retries after the first try) to a ProxyConfig RetryPolicy. */
export function mapRetry(retry: RetryFields, at: Origin): MappedRetry {
  let maxAttempts = retry.attempts + 1;
  if (maxAttempts > MAX_PROXY_ATTEMPTS) {
    at.sink.add({ severity: "warning", code: "clamped_value", resource: at.resource, path: `${at.path}.attempts`, message: `${retry.attempts} retries exceed the proxy's limit of ${MAX_PROXY_ATTEMPTS} attempts; ${MAX_PROXY_ATTEMPTS - 1} retries are used` });
    maxAttempts = MAX_PROXY_ATTEMPTS;
  }
  const conditions = retry.retryOn ?? ["5xx", "connect-failure", "reset"];
  const baseMs = retry.backoff ? Math.max(1, proxyMs(retry.backoff.baseInterval, { ...at, path: `${at.path}.backoff.baseInterval` }) ?? 1) : 25;
  const maxMs = retry.backoff?.maxInterval !== undefined ? Math.max(baseMs, proxyMs(retry.backoff.maxInterval, { ...at, path: `${at.path}.backoff.maxInterval` }) ?? baseMs) : Math.min(MAX_PROXY_MS, baseMs * 10);
  const mapped: MappedRetry = {
    retry: {
      maxAttempts,
      retryOn: conditions.filter((c) => c !== "retriable-status-codes") as RetryPolicy["retryOn"],
      statusCodes: conditions.includes("retriable-status-codes") ? [...(retry.retriableStatusCodes ?? [])].sort((a, b) => a - b) : [],
      grpcStatusCodes: [...new Set((retry.grpcCodes ?? []).map((c) => GRPC_RETRY_CODES[c]))].sort((a, b) => a - b),
      backoff: { baseMs, maxMs },
    },
  };
  const perTry = retry.perTryTimeout !== undefined ? proxyMs(retry.perTryTimeout, { ...at, path: `${at.path}.perTryTimeout` }) : undefined;
  if (perTry !== undefined) mapped.perTryMs = perTry;
  return mapped;
}

/** Load-balancer settings before endpoints are known (the ring size depends on them). */
export interface LoadBalancerIntent {
  algorithm: LoadBalancer["algorithm"];
  hashOn?: HashOn;
  minimumRingSize?: number;
}

/**
 * What callers of one backend get: the Mesh defaults overlaid with the
 * TrafficPolicies that apply, least specific first. `null` request timeout or
 * retry means "explicitly none".
 */
export interface EffectivePolicy {
  loadBalancer: LoadBalancerIntent;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  localityFailover: boolean;
  /** The policy's explicit locality settings (TrafficPolicy spec.loadBalancer.locality), resolved per caller by localityPreference. */
  locality?: { failover?: LocalityFailover[]; distribute?: LocalityDistribute[] };
  retryBudget?: { ratio: number; minRetriesPerSecond: number };
  requestTimeoutMs?: number;
  retry?: MappedRetry;
  circuitBreaker?: BackendPolicy["circuitBreaker"];
  outlierDetection?: BackendPolicy["outlierDetection"];
  healthChecks?: BackendPolicy["healthChecks"];
  connectionPool?: BackendPolicy["connectionPool"];
  slowStartWindowMs?: number;
  /** Enforced by the destination's own proxies (its inbound listeners), not by callers. */
  rateLimits?: { spec: NonNullable<TrafficPolicy["spec"]["rateLimits"]>; key: string };
}

/** A TrafficPolicy with what the compiler needs to order it. */
export interface PolicyEntry {
  policy: TrafficPolicy;
  key: string;
  createdAt: number;
}

/** A backend's identity for policy selection. */
export interface PolicyTargetKey {
  service: string;
  namespace: string;
  port: number;
  version?: string;
}

function specificity(p: TrafficPolicy): number {
  return (p.spec.targetRef.port !== undefined ? 1 : 0) + (p.spec.targetRef.version !== undefined ? 2 : 0);
}

/** What a compilation asks of the policies: the effective policy of one backend (its diagnostics go to the compilation's sink). */
export interface PolicyLookup {
  resolve(target: PolicyTargetKey): EffectivePolicy;
}

/**
 * Resolves TrafficPolicies and Mesh defaults per backend, caching by target.
 * One resolver serves every proxy compiled against the same resources: it
 * records the diagnostics of each resolution once, and {@link bind} replays
 * them into the sink of each compilation that asks (as if it had resolved
 * the policy itself).
 */
export class PolicyResolver {
  private readonly cache = new Map<string, { policy: EffectivePolicy; diagnostics: CompileDiagnostic[] }>();
  private readonly base: EffectivePolicy;
  /** Diagnostics of the Mesh defaults, in the order found. */
  readonly baseDiagnostics: CompileDiagnostic[];

  constructor(
    private readonly policies: readonly PolicyEntry[],
    mesh: { resource: Mesh; key: string } | undefined,
  ) {
    const sink = new DiagnosticSink();
    const defaults = MeshDefaultsSchema.parse(mesh?.resource.spec.defaults ?? {});
    const at = (path: string): Origin => ({ sink, resource: mesh?.key ?? "Mesh", path: `spec.defaults.${path}` });
    this.base = { loadBalancer: { algorithm: ALGORITHMS[defaults.loadBalancing] }, localityFailover: true };
    const connect = proxyMs(defaults.connectTimeout, at("connectTimeout"));
    if (connect !== undefined) this.base.connectTimeoutMs = connect;
    const idle = proxyMs(defaults.idleTimeout, at("idleTimeout"));
    if (idle !== undefined) this.base.idleTimeoutMs = idle;
    if (defaults.requestTimeout !== undefined) {
      const request = proxyMs(defaults.requestTimeout, at("requestTimeout"));
      if (request !== undefined) this.base.requestTimeoutMs = request;
    }
    if (defaults.retry) this.base.retry = mapRetry(defaults.retry, at("retry"));
    this.baseDiagnostics = sink.entries();
  }

  /** The resolver as one compilation sees it: each resolution's diagnostics land in `sink`. */
  bind(sink: DiagnosticSink): PolicyLookup {
    return {
      resolve: (target) => {
        const resolved = this.resolveRecorded(target);
        sink.addAll(resolved.diagnostics);
        return resolved.policy;
      },
    };
  }

  /** The effective policy of a backend and the diagnostics resolving it gave (shared: do not modify either). */
  resolveRecorded(target: PolicyTargetKey): { policy: EffectivePolicy; diagnostics: CompileDiagnostic[] } {
    const cacheKey = `${target.namespace}/${target.service}:${target.port}/${target.version ?? ""}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const sink = new DiagnosticSink();
    const applicable = this.policies
      .filter(({ policy }) => {
        const t = policy.spec.targetRef;
        return (
          t.name === target.service &&
          (t.namespace ?? policy.metadata.namespace ?? "default") === target.namespace &&
          (t.port === undefined || t.port === target.port) &&
          (t.version === undefined || t.version === target.version)
        );
      })
      // Least specific first, and among equals the newest first, so the oldest is applied last and wins.
      .sort((a, b) => specificity(a.policy) - specificity(b.policy) || b.createdAt - a.createdAt || compareText(b.key, a.key));
    this.reportConflicts(applicable, sink);
    const effective: EffectivePolicy = { ...this.base, loadBalancer: { ...this.base.loadBalancer } };
    for (const entry of applicable) this.overlay(effective, entry, sink);
    const resolved = { policy: effective, diagnostics: sink.entries() };
    this.cache.set(cacheKey, resolved);
    return resolved;
  }

  private reportConflicts(applicable: readonly PolicyEntry[], sink: DiagnosticSink): void {
    for (let i = 1; i < applicable.length; i++) {
      const [a, b] = [applicable[i - 1], applicable[i]] as [PolicyEntry, PolicyEntry];
      if (specificity(a.policy) !== specificity(b.policy)) continue;
      const overlap = Object.keys(a.policy.spec).filter((k) => k !== "targetRef" && k in b.policy.spec);
      if (overlap.length === 0) continue;
      sink.add({
        severity: "warning",
        code: "conflicting_policies",
        resource: a.key,
        path: "spec.targetRef",
        message: `${a.key} and ${b.key} configure the same target with the same specificity (${overlap.join(", ")}); the older one, ${b.key}, wins`,
      });
    }
  }

  private overlay(into: EffectivePolicy, entry: PolicyEntry, sink: DiagnosticSink): void {
    const { spec } = entry.policy;
    const at = (path: string): Origin => ({ sink, resource: entry.key, path: `spec.${path}` });
    if (spec.loadBalancer) {
      const lb = spec.loadBalancer;
      into.loadBalancer = { algorithm: ALGORITHMS[lb.algorithm] };
      if (lb.algorithm === "RING_HASH" && lb.ringHash) {
        const h = lb.ringHash.hashOn;
        into.loadBalancer.hashOn = h.type === "Header" ? { kind: "header", name: h.header } : h.type === "Cookie" ? { kind: "cookie", name: h.cookie.name } : { kind: "source-address" };
        into.loadBalancer.minimumRingSize = lb.ringHash.minimumRingSize;
      }
      if (lb.locality) {
        into.localityFailover = lb.locality.enabled;
        const { failover, distribute } = lb.locality;
        if (failover || distribute) into.locality = { ...(failover ? { failover } : {}), ...(distribute ? { distribute } : {}) };
        else delete into.locality;
      }
      if (lb.slowStart) into.slowStartWindowMs = proxyMs(lb.slowStart.window, at("loadBalancer.slowStart.window")) ?? 1;
      else delete into.slowStartWindowMs;
    }
    if (spec.circuitBreaker) into.circuitBreaker = { ...spec.circuitBreaker };
    if (spec.outlierDetection) into.outlierDetection = mapOutlierDetection(spec.outlierDetection, at("outlierDetection"));
    if (spec.connectionPool) {
      const p = spec.connectionPool;
      const pool: NonNullable<BackendPolicy["connectionPool"]> = {};
      if (p.maxRequestsPerConnection !== undefined) pool.maxRequestsPerConnection = p.maxRequestsPerConnection;
      if (p.http2MaxConcurrentStreams !== undefined) pool.http2MaxConcurrentStreams = p.http2MaxConcurrentStreams;
      if (p.idleTimeout !== undefined) {
        const ms = proxyMs(p.idleTimeout, at("connectionPool.idleTimeout"));
        if (ms === undefined) sink.add({ severity: "warning", code: "unsupported_value", resource: entry.key, path: "spec.connectionPool.idleTimeout", message: "the proxy cannot keep pooled connections forever; its default free-socket timeout (4s) is kept" });
        else pool.idleTimeoutMs = ms;
      }
      into.connectionPool = pool;
    }
    if (spec.healthChecks) into.healthChecks = spec.healthChecks.map((h, i) => mapHealthCheck(h, at(`healthChecks[${i}]`)));
    if (spec.rateLimits) into.rateLimits = { spec: spec.rateLimits, key: entry.key };
    if (spec.timeouts) {
      const t = spec.timeouts;
      if (t.connect !== undefined) {
        const ms = proxyMs(t.connect, at("timeouts.connect"));
        if (ms === undefined) sink.add({ severity: "warning", code: "unsupported_value", resource: entry.key, path: "spec.timeouts.connect", message: "the proxy cannot disable the connect timeout; the Mesh default is kept" });
        else into.connectTimeoutMs = ms;
      }
      if (t.idle !== undefined) {
        const ms = proxyMs(t.idle, at("timeouts.idle"));
        if (ms === undefined) sink.add({ severity: "warning", code: "unsupported_value", resource: entry.key, path: "spec.timeouts.idle", message: "the proxy cannot disable the idle timeout; the Mesh default is kept" });
        else into.idleTimeoutMs = ms;
      }
      if (t.request !== undefined) {
        const ms = proxyMs(t.request, at("timeouts.request"));
        if (ms === undefined) delete into.requestTimeoutMs;
        else into.requestTimeoutMs = ms;
      }
    }
    if (spec.retries) {
      into.retry = mapRetry(spec.retries, at("retries"));
      if (spec.retries.budget) into.retryBudget = { ratio: spec.retries.budget.percent / 100, minRetriesPerSecond: spec.retries.budget.minRetriesPerSecond };
    }
  }
}

/** The proxy's ring: fixed points per unit of weight, so that the ring holds at least `minimumRingSize` entries. */
export function pointsPerWeight(minimumRingSize: number, totalWeight: number): number {
  if (totalWeight <= 0) return 160;
  return Math.min(1024, Math.max(1, Math.ceil(minimumRingSize / totalWeight)));
}

/** True when two values are the same configuration. */
export function sameConfig(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

type SourceOutlier = NonNullable<TrafficPolicy["spec"]["outlierDetection"]>;
type SourceHealthCheck = NonNullable<TrafficPolicy["spec"]["healthChecks"]>[number];

/** Outlier detection in the proxy's terms (milliseconds). */
export function mapOutlierDetection(o: SourceOutlier, at: Origin): NonNullable<BackendPolicy["outlierDetection"]> {
  const base = proxyMs(o.baseEjectionTime, { ...at, path: `${at.path}.baseEjectionTime` }) ?? 1;
  return {
    consecutive5xx: Math.min(1000, o.consecutive5xx),
    ...(o.consecutiveGatewayErrors !== undefined ? { consecutiveGatewayErrors: Math.min(1000, o.consecutiveGatewayErrors) } : {}),
    intervalMs: proxyMs(o.interval, { ...at, path: `${at.path}.interval` }) ?? 1,
    baseEjectionTimeMs: base,
    maxEjectionTimeMs: Math.max(base, proxyMs(o.maxEjectionTime, { ...at, path: `${at.path}.maxEjectionTime` }) ?? base),
    maxEjectionPercent: o.maxEjectionPercent,
    alwaysKeepOne: true,
    ...(o.successRate ? { successRate: { minimumHosts: Math.min(10_000, o.successRate.minimumHosts), requestVolume: Math.min(1_000_000, o.successRate.requestVolume), stdevFactor: Math.min(100, o.successRate.stdevFactor) } } : {}),
  };
}

/** An active health check in the proxy's terms. */
export function mapHealthCheck(h: SourceHealthCheck, at: Origin): BackendPolicy["healthChecks"][number] {
  const common = {
    intervalMs: proxyMs(h.interval, { ...at, path: `${at.path}.interval` }) ?? 10_000,
    timeoutMs: proxyMs(h.timeout, { ...at, path: `${at.path}.timeout` }) ?? 1000,
    healthyThreshold: h.healthyThreshold,
    unhealthyThreshold: h.unhealthyThreshold,
    ...(h.port !== undefined ? { port: h.port } : {}),
  };
  switch (h.type) {
    case "HTTP":
      return { type: "http", ...common, path: h.http.path, ...(h.http.host !== undefined ? { host: h.http.host } : {}), expectedStatuses: [...h.http.expectedStatuses] };
    case "TCP":
      return { type: "tcp", ...common };
    case "GRPC":
      return { type: "grpc", ...common, service: h.grpc?.service ?? "" };
  }
}
