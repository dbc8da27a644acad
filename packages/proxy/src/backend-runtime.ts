// A backend as the forwarder sees it: endpoints with live stats, a balancer,
// a keep-alive connection pool and a retry budget. `BackendRegistry` keeps
// what must survive a config reload (stats, pools, budgets, counters) keyed
// by backend name, so swapping configs every 100 ms costs no connections.
import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { ConnectionOptions } from "node:tls";
import { spiffeServerIdentityCheck } from "@weft/identity";
import { matchesIdentityPattern } from "@weft/mesh-model/authorization";
import type { Backend, ProxyNode, UpstreamTls } from "@weft/mesh-model/proxy-config";
import { H2SessionPool } from "./h2-session-pool.ts";
import { createBalancer, eligibleEndpoints, EndpointStats, readCookie, type Balancer, type EndpointView, type PickContext } from "./load-balancer.ts";
import { RetryBudget } from "./retry.ts";
import type { IdentityMaterial } from "./workload-identity.ts";

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

/** TLS client options for one endpoint of a backend (per address: SNI), or undefined for plain TCP. */
export type TlsFor = (address: string, alpn: string[]) => ConnectionOptions;

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
    checkServerIdentity: spiffeServerIdentityCheck({ bundle: identity.bundle, expect: (id) => expected.some((p) => matchesIdentityPattern(p, id)) }),
  };
  const byAlpn = new Map<string, ConnectionOptions>();
  return (_address, alpn) => {
    const key = alpn.join(",");
    let options = byAlpn.get(key);
    if (!options) byAlpn.set(key, (options = { ...base, ALPNProtocols: alpn }));
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
      ? new HttpsAgent({ ...options, ...this.tlsFor("", ["http/1.1"]), servername: tls?.serverName })
      : new Agent(options);
    this.h2 = backend.protocol === "http2" ? new H2SessionPool(this.tlsFor, backend.policy.idleTimeoutMs) : undefined;
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
  agent?: PooledAgent;
  budget?: RetryBudget;
  budgetSignature?: string;
}

function agentSignature(backend: Backend, identity: IdentityMaterial | undefined): string {
  // A new SVID or bundle means a new pool for mTLS backends: new connections use it, open ones finish on the old.
  const mtls = backend.mtls ? [backend.mtls, identity?.generation ?? null] : null;
  return JSON.stringify([backend.policy.maxConnectionsPerEndpoint ?? null, backend.policy.idleTimeoutMs, backend.protocol, backend.tls ?? null, mtls]);
}

/** State shared across config versions, by backend name. */
export class BackendRegistry {
  private readonly shared = new Map<string, SharedBackendState>();

  constructor(private readonly now: () => number) {}

  /** Builds the runtime of `backend` for a new config, reusing shared state. */
  runtime(backend: Backend, node: ProxyNode, identity?: IdentityMaterial): BackendRuntime {
    let state = this.shared.get(backend.name);
    if (!state) {
      state = {
        stats: new Map(),
        counters: { requests: 0, retries: 0, retryBudgetExhausted: 0, connectFailures: 0, timeouts: 0, resets: 0, noHealthy: 0 },
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
        maxFreeSockets: 256,
        scheduling: "lifo",
        timeout: Math.min(FREE_SOCKET_TIMEOUT_MS, backend.policy.idleTimeoutMs),
      }, identity);
    }
    const budgetSig = JSON.stringify(backend.policy.retryBudget);
    if (!state.budget || state.budgetSignature !== budgetSig) {
      state.budget = new RetryBudget(backend.policy.retryBudget, this.now);
      state.budgetSignature = budgetSig;
    }
    const views: EndpointView[] = backend.endpoints.map((endpoint) => {
      const key = `${endpoint.address}:${endpoint.port}`;
      let stats = state.stats.get(key);
      if (!stats) {
        stats = new EndpointStats();
        state.stats.set(key, stats);
      }
      return { key, endpoint, stats };
    });
    return new BackendRuntime(backend, node, views, state.agent, state.budget, state.counters);
  }

  /** Drops state of backends no config references any more and retires their pools. */
  prune(keep: ReadonlySet<string>): void {
    for (const [name, state] of this.shared) {
      if (keep.has(name)) continue;
      state.agent?.retire();
      this.shared.delete(name);
    }
  }

  /** Counters and endpoint stats of every backend, for /stats. */
  snapshot(): Record<string, { counters: BackendCounters }> {
    const out: Record<string, { counters: BackendCounters }> = {};
    for (const [name, state] of this.shared) out[name] = { counters: { ...state.counters } };
    return out;
  }

  destroyAll(): void {
    for (const state of this.shared.values()) state.agent?.retire();
    this.shared.clear();
  }
}

export class BackendRuntime {
  private readonly balancer: Balancer;
  private firstChoice: EndpointView[] | undefined;

  constructor(
    readonly spec: Backend,
    readonly node: ProxyNode,
    readonly endpoints: readonly EndpointView[],
    readonly pool: PooledAgent,
    readonly budget: RetryBudget,
    readonly counters: BackendCounters,
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
    // Health and locality are fixed per config, so first attempts share one candidate list.
    const candidates =
      ctx.tried === undefined || ctx.tried.size === 0
        ? (this.firstChoice ??= eligibleEndpoints(this.endpoints, this.node.locality, this.spec.policy.localityFailover))
        : eligibleEndpoints(this.endpoints, this.node.locality, this.spec.policy.localityFailover, ctx.tried);
    if (candidates.length === 0) return undefined;
    return this.balancer.pick(candidates, ctx);
  }
}
