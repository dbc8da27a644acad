// A compiled, immutable view of one ProxyConfig: host and route tables and
// backend runtimes. A request captures the snapshot current when it arrives
// and uses it to the end, which is what makes a config swap atomic.
import {
  BackendSchema,
  buildHostTable,
  buildRouteTable,
  type Backend,
  type HostTable,
  type InboundListener,
  type ProxyConfig,
  type RouteTable,
  type VirtualHost,
} from "@weft/mesh-model/proxy-config";
import type { BackendRegistry } from "../upstream/backend-registry.ts";
import type { BackendRuntime } from "../upstream/backend-runtime.ts";
import type { ListenerSecurity } from "../security/inbound-security.ts";
import { JwtAuthenticator, type JwtKeyRegistry } from "../security/jwt-authenticator.ts";
import type { ListenerRateLimiter, RateLimitRegistry } from "../security/rate-limit.ts";
import type { IdentityMaterial } from "../core/identity-material.ts";

export interface CompiledVirtualHost {
  vh: VirtualHost;
  routes: RouteTable;
}

export interface Snapshot {
  readonly config: ProxyConfig;
  readonly hosts: HostTable;
  readonly virtualHosts: ReadonlyMap<string, CompiledVirtualHost>;
  readonly backends: ReadonlyMap<string, BackendRuntime>;
  /** The local app behind each inbound listener, as a one-endpoint backend. */
  readonly inbound: ReadonlyMap<string, BackendRuntime>;
  /** JWT and authorization checks, only for listeners that have any. */
  readonly security: ReadonlyMap<string, ListenerSecurity>;
  /** Rate limits, only for listeners that have any. */
  readonly rateLimits: ReadonlyMap<string, ListenerRateLimiter>;
  /** The workload identity this snapshot's mTLS pools were built with. */
  readonly identity: IdentityMaterial | undefined;
}

/** The synthetic backend for the app behind an inbound listener. */
export function inboundBackend(config: ProxyConfig, listener: InboundListener): Backend {
  return BackendSchema.parse({
    name: `inbound|${listener.name}`,
    service: config.node.service,
    namespace: config.node.namespace,
    version: config.node.version,
    // The app runs where this proxy runs: the inbound side counts its own cluster as the destination's.
    endpoints: [{ address: listener.app.address, port: listener.app.port, version: config.node.version, locality: config.node.locality }],
    loadBalancer: { algorithm: "random" },
    policy: { localityFailover: false },
  });
}

/** Which listeners check what: JWT on the named (default: inbound) listeners, policies on inbound ones. */
function buildSecurity(config: ProxyConfig, jwtKeys: JwtKeyRegistry): Map<string, ListenerSecurity> {
  const security = new Map<string, ListenerSecurity>();
  const authn = config.requestAuthentication;
  const jwt = authn ? new JwtAuthenticator(authn, jwtKeys) : undefined;
  const policies = config.authorization?.policies;
  for (const l of config.listeners) {
    if (l.kind !== "inbound" && l.kind !== "outbound") continue;
    const verifiesJwt = jwt !== undefined && (authn?.listeners ? authn.listeners.includes(l.name) : l.kind === "inbound");
    const authorizes = l.kind === "inbound" && policies !== undefined && policies.length > 0;
    if (!verifiesJwt && !authorizes) continue;
    security.set(l.name, { jwt: verifiesJwt ? jwt : undefined, policies: authorizes ? policies : undefined, port: l.kind === "inbound" ? l.app.port : undefined });
  }
  return security;
}

export function buildSnapshot(config: ProxyConfig, registry: BackendRegistry, jwtKeys: JwtKeyRegistry, identity?: IdentityMaterial, rateLimits?: RateLimitRegistry): Snapshot {
  const virtualHosts = new Map<string, CompiledVirtualHost>();
  for (const vh of config.virtualHosts) virtualHosts.set(vh.name, { vh, routes: buildRouteTable(vh.routes) });
  const backends = new Map<string, BackendRuntime>();
  for (const b of config.backends) backends.set(b.name, registry.runtime(b, config.node, identity));
  const inbound = new Map<string, BackendRuntime>();
  for (const l of config.listeners) {
    if (l.kind === "inbound") inbound.set(l.name, registry.runtime(inboundBackend(config, l), config.node));
  }
  return {
    config,
    hosts: buildHostTable(config.virtualHosts),
    virtualHosts,
    backends,
    inbound,
    security: buildSecurity(config, jwtKeys),
    rateLimits: rateLimits?.build(config) ?? new Map(),
    identity,
  };
}

/** Names of every backend a snapshot uses (for pruning shared state). */
export function backendNames(snapshot: Snapshot): Set<string> {
  return new Set([...snapshot.backends.values(), ...snapshot.inbound.values()].map((b) => b.spec.name));
}
