// The configs the benchmark runs: Weft (plain, mTLS pair, a realistic
// sidecar for memory) and HAProxy (plain, TLS pair, h2c), nbthread 1.
import { UNSENT_RETRY_POLICY } from "@weft/mesh-model/proxy-config";
import { CLIENT_ID, identitySection, SERVER_ID, type BenchPki } from "./pki.ts";

const CREATED = "2024-01-01T00:00:00Z";
/** A route as the compiler writes one that no policy touches: with the default retry of unsent requests (what users run). */
const route = (name: string, { retry = true }: { retry?: boolean } = {}) => ({
  name,
  namespace: "default",
  creationTimestamp: CREATED,
  rules: [{ backendRefs: [{ backend: `${name}.default` }], ...(retry && { retry: UNSENT_RETRY_POLICY }) }],
});

/** One outbound listener pinned to the upstream's virtual host, and an admin listener; `retry: false` drops the compiler's default retry (to price it). */
export function weftPlain(listen: number, admin: number, upstream: number, options: { retry?: boolean } = {}): object {
  return {
    version: "bench",
    node: { service: "bench-client", namespace: "default" },
    listeners: [
      { kind: "outbound", name: "bench", port: listen, virtualHost: "upstream.default" },
      { kind: "admin", name: "admin", port: admin },
    ],
    virtualHosts: [{ name: "upstream.default", domains: ["upstream"], routes: [route("upstream", options)] }],
    backends: [{ name: "upstream.default", service: "upstream", namespace: "default", endpoints: [{ address: "127.0.0.1", port: upstream }] }],
  };
}

/** The calling side of the mTLS pair: outbound, originating mTLS to the server proxy. */
export function weftMtlsClient(pki: BenchPki, listen: number, admin: number, serverInbound: number): object {
  return {
    version: "bench",
    node: { service: "client", namespace: "bench" },
    listeners: [
      { kind: "outbound", name: "bench", port: listen, virtualHost: "server.bench" },
      { kind: "admin", name: "admin", port: admin },
    ],
    virtualHosts: [{ name: "server.bench", domains: ["server"], routes: [{ ...route("server"), namespace: "bench", rules: [{ backendRefs: [{ backend: "server.bench" }], retry: UNSENT_RETRY_POLICY }] }] }],
    backends: [{ name: "server.bench", service: "server", namespace: "bench", endpoints: [{ address: "127.0.0.1", port: serverInbound }], mtls: { expectedIdentities: [SERVER_ID] } }],
    identity: identitySection(pki, "client"),
  };
}

/** The serving side: an inbound STRICT mTLS listener in front of the upstream. */
export function weftMtlsServer(pki: BenchPki, inbound: number, admin: number, upstream: number): object {
  return {
    version: "bench",
    node: { service: "server", namespace: "bench" },
    listeners: [
      { kind: "inbound", name: "inbound", port: inbound, app: { port: upstream }, mtlsMode: "STRICT" },
      { kind: "admin", name: "admin", port: admin },
    ],
    identity: identitySection(pki, "server"),
    authorization: { policies: [{ name: "client", namespace: "bench", action: "ALLOW", rules: [{ from: { identities: [CLIENT_ID] } }] }] },
  };
}

/**
 * A realistic sidecar, for idle memory: 20 routes, 50 endpoints over 10
 * mTLS backends, an inbound STRICT listener, an outbound and an admin one.
 */
export function weftRealistic(pki: BenchPki, outbound: number, inbound: number, admin: number, app: number): object {
  const backends = Array.from({ length: 10 }, (_, b) => ({
    name: `svc${b}.default`,
    service: `svc${b}`,
    namespace: "default",
    endpoints: Array.from({ length: 5 }, (_, e) => ({ address: `10.0.${b}.${e + 1}`, port: 8080, locality: { zone: `z${e % 3}` } })),
    mtls: { expectedIdentities: [`spiffe://bench.local/ns/default/sa/svc${b}`] },
  }));
  const virtualHosts = Array.from({ length: 20 }, (_, r) => ({
    name: `route${r}.default`,
    domains: [`route${r}`, `route${r}.default`, `route${r}.default.svc.cluster.local`],
    routes: [{ name: `route${r}`, namespace: "default", creationTimestamp: CREATED, rules: [{ matches: [{ path: { type: "PathPrefix", value: `/r${r}` } }], backendRefs: [{ backend: `svc${r % 10}.default`, weight: 90 }, { backend: `svc${(r + 1) % 10}.default`, weight: 10 }], timeouts: { requestMs: 15_000 }, retry: { maxAttempts: 2 } }] }],
  }));
  return {
    version: "realistic",
    node: { service: "server", namespace: "bench", locality: { zone: "z0", cluster: "bench" } },
    listeners: [
      { kind: "outbound", name: "outbound", port: outbound },
      { kind: "inbound", name: "inbound", port: inbound, app: { port: app }, mtlsMode: "STRICT" },
      { kind: "admin", name: "admin", port: admin },
    ],
    virtualHosts,
    backends,
    identity: identitySection(pki, "server"),
  };
}

const HAPROXY_DEFAULTS = `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
`;

export function haproxyPlain(listen: number, upstream: number): string {
  return `${HAPROXY_DEFAULTS}frontend bench
  bind 127.0.0.1:${listen}
  default_backend upstream
backend upstream
  http-reuse always
  server s1 127.0.0.1:${upstream}
`;
}

/** h2c with prior knowledge in front, HTTP/1.1 to the upstream (as Weft's h2c listener does). */
export function haproxyH2c(listen: number, upstream: number): string {
  return `${HAPROXY_DEFAULTS}frontend bench
  bind 127.0.0.1:${listen} proto h2
  default_backend upstream
backend upstream
  http-reuse always
  server s1 127.0.0.1:${upstream}
`;
}

/** The calling HAProxy of the TLS pair: plain in, mutual TLS to the serving HAProxy (verified against the mesh root). */
export function haproxyTlsClient(pki: BenchPki, listen: number, server: number): string {
  return `${HAPROXY_DEFAULTS}frontend bench
  bind 127.0.0.1:${listen}
  default_backend server
backend server
  http-reuse always
  server s1 127.0.0.1:${server} ssl verify required ca-file ${pki.files.ca} crt ${pki.files.client}
`;
}

export function haproxyTlsServer(pki: BenchPki, listen: number, upstream: number): string {
  return `${HAPROXY_DEFAULTS}frontend bench
  bind 127.0.0.1:${listen} ssl crt ${pki.files.server} ca-file ${pki.files.ca} verify required
  default_backend upstream
backend upstream
  http-reuse always
  server s1 127.0.0.1:${upstream}
`;
}
