// A backend as the forwarder sees it: endpoints with live stats, a balancer,
// a keep-alive connection pool and a retry budget. `BackendRegistry` keeps
// what must survive a config reload (stats, pools, budgets, counters) keyed
// by backend name, so swapping configs every 100 ms costs no connections.
import { Agent } from "node:http";
import type { Socket } from "node:net";
import { Agent as HttpsAgent } from "node:https";
import type { ConnectionOptions } from "node:tls";
import { spiffeServerIdentityCheck } from "@weft/identity";
import { matchesIdentityPattern } from "@weft/mesh-model/authorization";
import { DEFAULT_CIRCUIT_BREAKER, type Backend, type CircuitBreaker, type ProxyNode, type UpstreamTls } from "@weft/mesh-model/proxy-config";
import { H2SessionPool } from "./h2-session-pool.ts";
import { HealthChecker } from "./health-check.ts";
import { createBalancer, eligibleEndpoints, EndpointStats, readCookie, type Balancer, type EndpointView, type PickContext } from "./load-balancer.ts";
import { OutlierDetector, type HealthGeneration } from "./outlier-detection.ts";
import type { HealthEvents } from "../observability/resilience-events.ts";
import { RetryBudget } from "./retry.ts";
import type { IdentityMaterial } from "../security/workload-identity.ts";

/** Free pooled sockets close after this long: below Node's 5 s server keep-alive default, to avoid reusing a socket the upstream is closing. */
const FREE_SOCKET_TIMEOUT_MS = 4000;

/** Counters for one backend, kept across reloads. */
export interface BackendCounters {
  requests: number;
  retries: number;
  retryBudgetExhausted: number;
  connectFailures: number;
  timeouts: number;
  resets: number;
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

/** TLS client options for an endpoint of a backend with `tls`. */
export function tlsClientOptions(tls: UpstreamTls, address: string, alpn: string[]) {
  return {
    servername: tls.serverName ?? (/^[\d.:]+$/.test(address) ? undefined : address),
    ca: tls.caPem,
    rejectUnauthorized: !tls.insecureSkipVerify,
    ALPNProtocols: alpn,
  };
}

/**
 * TLS client options for one endpoint of a backend (per address and the
 * endpoint's `sni`, which an east-west gateway routes on), or undefined for plain TCP.
 */
export type TlsFor = (address: string, alpn: string[], sni?: string) => ConnectionOptions;

/**
 * mTLS origination: present the workload's SVID, trust the bundle's roots
 * (OpenSSL checks the chain), then judge the server by the X.509-SVID rules
 * and require one of the SPIFFE IDs the destination may have. A refusal
 * surfaces as a PeerIdentityError from the connection.
 */
export function mtlsClientOptions(backend: Backend, identity: IdentityMaterial): TlsFor {
  const expected = backend.mtls?.expectedIdentities ?? [];
  const base: ConnectionOptions = {
    cert: identity.certChainPem,
    key: identity.keyPem,
    ca: identity.caPem,
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
    checkServerIdentity: spiffeServerIdentityCheck({ bundle: identity.bundle, revoked: identity.revoked, expect: (id) => expected.some((p) => matchesIdentityPattern(p, id)) }),
  };
  const byAlpn = new Map<string, ConnectionOptions>();
  return (_address, alpn, sni) => {
    // The server name is part of the https.Agent's pool key: connections to one gateway for different services never mix.
    const key = sni === undefined ? alpn.join(",") : `${alpn.join(",")}|${sni}`;
    let options = byAlpn.get(key);
    if (!options) {
      // Bounded by the backend's (alpn, sni) pairs: a config lists its endpoints.
      options = { ...base, ALPNProtocols: alpn, ...(sni !== undefined ? { servername: sni } : {}) };
      byAlpn.set(key, options);
    }
    return options;
  };
}

function tlsForBackend(backend: Backend, identity: IdentityMaterial | undefined): TlsFor | undefined {
  if (backend.mtls) return identity ? mtlsClientOptions(backend, identity) : undefined;
  const tls = backend.tls;
  return tls ? (address, alpn) => tlsClientOptions(tls, address, alpn) : undefined;
}

/**
 * The connections of one backend: a keep-alive http(s).Agent for HTTP/1.1,
 * or one multiplexed session per endpoint for HTTP/2. Destroyed once
 * retired (by a config that changed the connection settings) and idle.
 */
export class PooledAgent {
  readonly agent: Agent;
  readonly h2: H2SessionPool | undefined;
  /** TLS options per endpoint address; undefined for plain TCP. */
  readonly tlsFor: TlsFor | undefined;
  /** The server's SPIFFE ID is checked (mTLS): certificate failures are identity refusals. */
  readonly verifiesPeer: boolean;
  private active = 0;
  private retired = false;

  constructor(readonly signature: string, backend: Backend, options: ConstructorParameters<typeof Agent>[0], identity: IdentityMaterial | undefined) {
    const tls = backend.tls;
    this.tlsFor = tlsForBackend(backend, identity);
    this.verifiesPeer = backend.mtls !== undefined;
    this.agent = this.tlsFor
      ? // Agent options override request options: a `servername: undefined` here would hide each endpoint's `sni`.
        new HttpsAgent({ ...options, ...this.tlsFor("", ["http/1.1"]), ...(tls?.serverName !== undefined ? { servername: tls.serverName } : {}) })
      : new Agent(options);
    const pool = backend.policy.connectionPool;
    this.h2 =
      backend.protocol === "http2"
        ? new H2SessionPool(this.tlsFor, pool?.idleTimeoutMs ?? backend.policy.idleTimeoutMs, pool?.http2MaxConcurrentStreams, pool?.maxRequestsPerConnection)
        : undefined;
    const maxRequests = pool?.maxRequestsPerConnection;
    if (maxRequests !== undefined && !this.h2) {
      // The agent's own 'free' listener has pooled the socket by now; destroying it takes it out again.
      const served = new WeakMap<object, number>();
      this.agent.on("free", (socket: Socket) => {
        const n = (served.get(socket) ?? 0) + 1;
        if (n >= maxRequests) socket.destroy();
        else served.set(socket, n);
      });
    }
  }

  private destroy(): void {
    this.agent.destroy();
    this.h2?.close();
  }

  /** Marks one attempt as using the pool; call the returned function once it is done. */
  hold(): () => void {
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      if (this.retired && this.active === 0) this.destroy();
    };
  }

  retire(): void {
    this.retired = true;
    if (this.active === 0) this.destroy();
  }
}

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
        counters: { requests: 0, retries: 0, retryBudgetExhausted: 0, connectFailures: 0, timeouts: 0, resets: 0, noHealthy: 0, overflowRequests: 0, overflowPending: 0, overflowRetries: 0 },
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

export class BackendRuntime {
  private readonly balancer: Balancer;
  private firstChoice: EndpointView[] | undefined;
  private firstChoiceGeneration = -1;

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
    if (ctx.tried === undefined || ctx.tried.size === 0) {
      if (this.firstChoiceGeneration !== this.health.generation || !this.firstChoice) {
        this.firstChoice = eligibleEndpoints(this.endpoints, this.node.locality, this.spec.policy.localityFailover);
        this.firstChoiceGeneration = this.health.generation;
      }
      candidates = this.firstChoice;
    } else candidates = eligibleEndpoints(this.endpoints, this.node.locality, this.spec.policy.localityFailover, ctx.tried);
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
