// What must survive a config reload, keyed by backend name: endpoint stats,
// pools, retry budgets, breaker gauges, outlier detection and health checks.
// Swapping configs every 100 ms costs no connections.
import { DEFAULT_CIRCUIT_BREAKER, type Backend, type ProxyNode } from "@weft/mesh-model/proxy-config";
import type { IdentityMaterial } from "../core/identity-material.ts";
import type { HealthEvents } from "../observability/resilience-events.ts";
import { BackendRuntime, type BackendCounters, type BreakerState } from "./backend-runtime.ts";
import { HealthChecker } from "./health-check.ts";
import { EndpointStats, type EndpointView } from "./load-balancer.ts";
import { OutlierDetector, type HealthGeneration } from "./outlier-detection.ts";
import { FREE_SOCKET_TIMEOUT_MS, PooledAgent } from "./pooled-agent.ts";
import { RetryBudget } from "./retry.ts";


interface SharedBackendState {
  stats: Map<string, EndpointStats>;
  counters: BackendCounters;
  health: HealthGeneration;
  breaker: BreakerState;
  outlier?: OutlierDetector;
  checker?: HealthChecker;
  agent?: PooledAgent;
  budget?: RetryBudget;
  budgetSignature?: string;
}

function agentSignature(backend: Backend, identity: IdentityMaterial | undefined): string {
  // A new SVID or bundle means a new pool for mTLS backends: new connections use it, open ones finish on the old.
  const mtls = backend.mtls ? [backend.mtls, identity?.generation ?? null] : null;
  const p = backend.policy;
  return JSON.stringify([p.maxConnectionsPerEndpoint ?? null, p.idleTimeoutMs, backend.protocol, backend.tls ?? null, mtls, p.circuitBreaker?.maxConnections ?? null, p.connectionPool ?? null]);
}

/** State shared across config versions, by backend name. */
export class BackendRegistry {
  private readonly shared = new Map<string, SharedBackendState>();

  constructor(
    private readonly now: () => number,
    private readonly events: HealthEvents,
    /** Called after every active check (metrics). */
    private readonly onCheck: (service: string, ok: boolean) => void = () => undefined,
  ) {}

  /** Builds the runtime of `backend` for a new config, reusing shared state. */
  runtime(backend: Backend, node: ProxyNode, identity?: IdentityMaterial): BackendRuntime {
    let state = this.shared.get(backend.name);
    // Endpoints of a backend's first config are established; later ones are new (slow start).
    const joinedAt = state ? this.now() : 0;
    if (!state) {
      state = {
        stats: new Map(),
        counters: { requests: 0, retries: 0, retryBudgetExhausted: 0, connectFailures: 0, timeouts: 0, resets: 0, refusedStreams: 0, noHealthy: 0, overflowRequests: 0, overflowPending: 0, overflowRetries: 0 },
        health: { generation: 0 },
        breaker: { requests: 0, pending: 0, retries: 0, limits: DEFAULT_CIRCUIT_BREAKER },
      };
      this.shared.set(backend.name, state);
    }
    const sig = agentSignature(backend, identity);
    if (state.agent?.signature !== sig) {
      // The old pool keeps serving requests of the old config, then goes away.
      state.agent?.retire();
      state.agent = new PooledAgent(sig, backend, {
        keepAlive: true,
        keepAliveMsecs: 1000,
        maxSockets: backend.policy.maxConnectionsPerEndpoint ?? Infinity,
        maxTotalSockets: backend.policy.circuitBreaker?.maxConnections ?? DEFAULT_CIRCUIT_BREAKER.maxConnections,
        maxFreeSockets: 256,
        scheduling: "lifo",
        timeout: backend.policy.connectionPool?.idleTimeoutMs ?? Math.min(FREE_SOCKET_TIMEOUT_MS, backend.policy.idleTimeoutMs),
      }, identity);
    }
    const budgetSig = JSON.stringify(backend.policy.retryBudget);
    if (!state.budget || state.budgetSignature !== budgetSig) {
      state.budget = new RetryBudget(backend.policy.retryBudget, this.now);
      state.budgetSignature = budgetSig;
    }
    const views: EndpointView[] = backend.endpoints.map((endpoint) => {
      // Behind one gateway address, each server name is a different destination with its own stats.
      const key = endpoint.sni === undefined ? `${endpoint.address}:${endpoint.port}` : `${endpoint.address}:${endpoint.port}#${endpoint.sni}`;
      let stats = state.stats.get(key);
      if (!stats) {
        stats = new EndpointStats(joinedAt);
        state.stats.set(key, stats);
      }
      return { key, endpoint, stats };
    });
    state.breaker.limits = backend.policy.circuitBreaker ?? DEFAULT_CIRCUIT_BREAKER;
    const od = backend.policy.outlierDetection;
    if (od) {
      state.outlier ??= new OutlierDetector(backend.name, backend.service, od, state.health, this.now, this.events);
      state.outlier.configure(od, views);
    } else if (state.outlier) {
      state.outlier.stop();
      state.outlier = undefined;
      for (const v of views) v.stats.ejectedUntil = 0;
      state.health.generation++;
    }
    const checks = backend.policy.healthChecks;
    if (checks.length > 0) {
      state.checker ??= new HealthChecker(backend.name, backend.service, state.health, this.events, this.onCheck);
      state.checker.configure(checks, views, state.agent.tlsFor);
    } else if (state.checker) {
      state.checker.stop();
      state.checker = undefined;
      for (const v of views) v.stats.checkFailing = false;
      state.health.generation++;
    }
    return new BackendRuntime(backend, node, views, state.agent, state.budget, state.counters, state.breaker, state.health, state.outlier);
  }

  /** Drops state of backends no config references any more and retires their pools. */
  prune(keep: ReadonlySet<string>): void {
    for (const [name, state] of this.shared) {
      if (keep.has(name)) continue;
      state.agent?.retire();
      state.outlier?.stop();
      state.checker?.stop();
      this.shared.delete(name);
    }
  }

  /** Counters and endpoint stats of every backend, for /stats. */
  snapshot(): Record<string, { counters: BackendCounters; breaker: Omit<BreakerState, "limits">; healthChecks: { success: number; failure: number } | undefined; ejectionsCapped: number }> {
    const out: ReturnType<BackendRegistry["snapshot"]> = {};
    for (const [name, state] of this.shared) {
      const { requests, pending, retries } = state.breaker;
      out[name] = { counters: { ...state.counters }, breaker: { requests, pending, retries }, healthChecks: state.checker ? { ...state.checker.counts } : undefined, ejectionsCapped: state.outlier?.capped ?? 0 };
    }
    return out;
  }

  destroyAll(): void {
    for (const state of this.shared.values()) {
      state.agent?.retire();
      state.outlier?.stop();
      state.checker?.stop();
    }
    this.shared.clear();
  }
}

