// A backend as the forwarder sees it for one config version: endpoints with
// live stats, a balancer, the pool, the retry budget and the breaker gauges
// (the shared parts come from BackendRegistry).
import { DEFAULT_CIRCUIT_BREAKER, type Backend, type CircuitBreaker, type ProxyNode } from "@weft/mesh-model/proxy-config";
import { createBalancer, eligibleEndpoints, readCookie, type Balancer, type EndpointView, type LocalityPreference, type PickContext } from "./load-balancer.ts";
import type { OutlierDetector, HealthGeneration } from "./outlier-detection.ts";
import type { PooledAgent } from "./pooled-agent.ts";
import type { RetryBudget } from "./retry.ts";

/** Counters for one backend, kept across reloads. */
export interface BackendCounters {
  requests: number;
  retries: number;
  retryBudgetExhausted: number;
  connectFailures: number;
  timeouts: number;
  resets: number;
  /** HTTP/2 streams the upstream refused unprocessed (REFUSED_STREAM, or above a GOAWAY's last stream id). */
  refusedStreams: number;
  noHealthy: number;
  /** Circuit-breaker overflows, by limit. */
  overflowRequests: number;
  overflowPending: number;
  overflowRetries: number;
}

/** Live circuit-breaker gauges of one backend (shared across config versions). */
export interface BreakerState {
  /** Requests in flight. */
  requests: number;
  /** Attempts waiting for a connection. */
  pending: number;
  /** Retries in flight. */
  retries: number;
  limits: CircuitBreaker;
}

export class BackendRuntime {
  private readonly balancer: Balancer;
  private firstChoice: EndpointView[] | undefined;
  private firstChoiceGeneration = -1;
  private readonly localityPreference: LocalityPreference;

  constructor(
    readonly spec: Backend,
    readonly node: ProxyNode,
    readonly endpoints: readonly EndpointView[],
    readonly pool: PooledAgent,
    readonly budget: RetryBudget,
    readonly counters: BackendCounters,
    readonly breaker: BreakerState = { requests: 0, pending: 0, retries: 0, limits: DEFAULT_CIRCUIT_BREAKER },
    private readonly health: HealthGeneration = { generation: 0 },
    /** Outlier detection, when the backend has it. */
    readonly outlier?: OutlierDetector,
  ) {
    this.balancer = createBalancer(spec.loadBalancer);
    this.localityPreference = { order: spec.policy.localityOrder, distribution: spec.policy.localityDistribution };
  }

  /** The ring-hash key of a request, if the algorithm uses one. */
  hashKey(headers: Readonly<Record<string, string | string[] | undefined>>, sourceAddress: string | undefined): string | undefined {
    const lb = this.spec.loadBalancer;
    if (lb.algorithm !== "ring-hash") return undefined;
    const hashOn = lb.hashOn;
    switch (hashOn.kind) {
      case "header": {
        const v = headers[hashOn.name.toLowerCase()];
        return Array.isArray(v) ? v.join(",") : v;
      }
      case "cookie": {
        const cookie = headers.cookie;
        return readCookie(Array.isArray(cookie) ? cookie.join("; ") : cookie, hashOn.name);
      }
      case "source-address":
        return sourceAddress;
    }
  }

  /** Picks an endpoint; undefined when none is healthy. */
  pick(ctx: PickContext): EndpointView | undefined {
    this.outlier?.returnDue(ctx.now);
    // Health and locality change only with a config or a health event, so first attempts share one candidate list.
    let candidates: EndpointView[];
    const { localityFailover, localityDistribution } = this.spec.policy;
    const preference = this.localityPreference;
    // A weighted distribution draws a locality per request, so only level-ordered candidates are shared.
    if ((ctx.tried === undefined || ctx.tried.size === 0) && !localityDistribution) {
      if (this.firstChoiceGeneration !== this.health.generation || !this.firstChoice) {
        this.firstChoice = eligibleEndpoints(this.endpoints, this.node.locality, localityFailover, undefined, preference);
        this.firstChoiceGeneration = this.health.generation;
      }
      candidates = this.firstChoice;
    } else candidates = eligibleEndpoints(this.endpoints, this.node.locality, localityFailover, ctx.tried, preference, ctx.random);
    if (candidates.length === 0) return undefined;
    const window = this.spec.policy.slowStartWindowMs;
    if (window !== undefined && candidates.length > 1) candidates = slowStart(candidates, ctx.now, window);
    return this.balancer.pick(candidates, ctx);
  }
}

/**
 * Slow start: an endpoint that joined less than `windowMs` ago gets its weight
 * ramped linearly from 10% to 100% (views are copied only while one is young).
 */
export function slowStart(candidates: EndpointView[], now: number, windowMs: number): EndpointView[] {
  if (!candidates.some((c) => now - c.stats.firstSeenMs < windowMs)) return candidates;
  return candidates.map((c) => {
    const age = now - c.stats.firstSeenMs;
    const factor = age >= windowMs ? 1 : 0.1 + (0.9 * Math.max(0, age)) / windowMs;
    // The balancers want integer weights: everyone is scaled by 10 so a young endpoint starts at 1 in 10.
    return { key: c.key, stats: c.stats, endpoint: { ...c.endpoint, weight: Math.max(1, Math.round(c.endpoint.weight * 10 * factor)) } };
  });
}
