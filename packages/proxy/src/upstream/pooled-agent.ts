// The connections of one backend: a keep-alive http(s).Agent for HTTP/1.1
// or HTTP/2 sessions, kept until a config changes the connection settings.
import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Socket } from "node:net";
import { DEFAULT_CIRCUIT_BREAKER, type Backend } from "@weft/mesh-model/proxy-config";
import type { IdentityMaterial } from "../core/identity-material.ts";
import { H1Pool } from "./h1-pool.ts";
import { H2SessionPool } from "./h2-session-pool.ts";
import { tlsForBackend, type TlsFor } from "./tls-options.ts";

/** Free pooled sockets close after this long: below Node's 5 s server keep-alive default, to avoid reusing a socket the upstream is closing. */
export const FREE_SOCKET_TIMEOUT_MS = 4000;

/**
 * The connections of one backend: a keep-alive http(s).Agent for HTTP/1.1,
 * or one multiplexed session per endpoint for HTTP/2. Destroyed once
 * retired (by a config that changed the connection settings) and idle.
 */
export class PooledAgent {
  readonly agent: Agent;
  readonly h2: H2SessionPool | undefined;
  /** Raw keep-alive sockets for the fast path (HTTP/1.1 backends). */
  readonly raw: H1Pool | undefined;
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
    this.raw = this.h2
      ? undefined
      : new H1Pool(this.tlsFor, {
          streamIdleTimeoutMs: backend.policy.idleTimeoutMs,
          maxTotal: backend.policy.circuitBreaker?.maxConnections ?? DEFAULT_CIRCUIT_BREAKER.maxConnections,
          maxPerEndpoint: backend.policy.maxConnectionsPerEndpoint ?? Infinity,
          idleTimeoutMs: pool?.idleTimeoutMs ?? Math.min(FREE_SOCKET_TIMEOUT_MS, backend.policy.idleTimeoutMs),
          maxRequestsPerConnection: pool?.maxRequestsPerConnection,
          verifiesPeer: this.verifiesPeer,
        });
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
    this.raw?.close();
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

