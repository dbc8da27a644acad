// The ProxyConfig: the compiled, proxy-facing form of the mesh config. The
// agent compiles user resources (HTTPRoute, TrafficPolicy, ...) into one of
// these per proxy; the proxy validates it with this schema before swapping it
// in. Field names follow Gateway API where the concept is the same, so a
// compiled config reads like the HTTPRoute it came from.
import { z } from "zod";
import { AuthorizationConfigSchema, BackendMtlsSchema, MtlsModeSchema, RequestAuthenticationConfigSchema, WorkloadIdentitySchema } from "./proxy-security.schema.ts";

const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

/** A duration in whole milliseconds (1 ms .. 24 h). */
export const DurationMsSchema = z
  .number()
  .int()
  .positive()
  .max(MAX_DURATION_MS)
  .describe("A duration in whole milliseconds (1 ms to 24 h).");

/** A TCP port; 0 asks the OS for an ephemeral port (tests, local runs). */
export const PortSchema = z
  .number()
  .int()
  .min(0)
  .max(65535)
  .describe("TCP port; 0 lets the operating system pick a free port.");

const NameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lowercase DNS-style name")
  .describe("Lowercase DNS-style name.");

const HeaderNameSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "must be a valid HTTP header name (RFC 9110 token)")
  .describe("HTTP header name (RFC 9110 token); matched case-insensitively.");

/** Values must not smuggle a CR or LF into the forwarded request. */
const HeaderValueSchema = z
  .string()
  .max(4096)
  .regex(/^[^\r\n\0]*$/, "must not contain CR, LF or NUL")
  .describe("HTTP header value (no CR, LF or NUL).");

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

const RegexSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine(compiles, "must be a valid ECMAScript regular expression")
  .describe("ECMAScript regular expression, matched against the whole value (implicitly anchored).");

export const LocalitySchema = z
  .object({
    zone: z.string().min(1).optional().describe("Availability zone (e.g. topology.kubernetes.io/zone)."),
    cluster: z.string().min(1).optional().describe("Weft cluster name."),
  })
  .describe("Where a workload runs; the proxy prefers endpoints in its own zone, then its own cluster.");
export type Locality = z.infer<typeof LocalitySchema>;

export const NodeSchema = z
  .object({
    service: NameSchema.describe("Service of the workload this proxy serves (the `source_service` metric label)."),
    namespace: NameSchema.describe("Namespace of that workload; short hostnames resolve in it."),
    version: z.string().min(1).optional().describe("Version label of the workload (e.g. v2)."),
    locality: LocalitySchema.prefault({}).describe("Locality of the workload, for locality-aware load balancing."),
  })
  .describe("Identity and placement of the workload this proxy runs beside.");
export type ProxyNode = z.infer<typeof NodeSchema>;

// ---------------------------------------------------------------- listeners

const listenerBase = {
  name: NameSchema.describe("Unique listener name; listeners are matched by name across config versions."),
  address: z.string().min(1).default("127.0.0.1").describe("Address to bind. Defaults to loopback."),
  port: PortSchema.describe("Port to bind; 0 picks an ephemeral port."),
};

const PemSchema = z
  .string()
  .min(1)
  .max(64 * 1024)
  .regex(/-----BEGIN [A-Z0-9 ]+-----/, "must be PEM-encoded")
  .describe("PEM-encoded material.");

/** Server-side TLS of a listener: ALPN offers h2 (when http2 is on) and http/1.1. */
export const ListenerTlsSchema = z
  .object({
    certPem: PemSchema.describe("Certificate chain (PEM), leaf first."),
    keyPem: PemSchema.describe("Private key (PEM) of the leaf certificate."),
  })
  .describe("TLS termination on the listener; clients choose HTTP/2 or HTTP/1.1 by ALPN.");
export type ListenerTls = z.infer<typeof ListenerTlsSchema>;

const httpListenerBase = {
  ...listenerBase,
  http2: z
    .boolean()
    .default(true)
    .describe("Accept HTTP/2: prior-knowledge h2c on a plain listener (detected by the connection preface), ALPN h2 with TLS."),
  tls: ListenerTlsSchema.optional().describe("Terminate TLS on this listener; plain TCP when absent."),
};

export const OutboundListenerSchema = z
  .object({
    kind: z.literal("outbound").describe("Outbound: the local app calls other services through it (HTTP proxy or Host header)."),
    ...httpListenerBase,
    virtualHost: z
      .string()
      .min(1)
      .optional()
      .describe("Per-upstream port: route every request on this listener through this virtual host, whatever its Host header."),
  })
  .describe("Outbound HTTP listener on loopback.");

export const InboundListenerSchema = z
  .object({
    kind: z.literal("inbound").describe("Inbound: other proxies reach the local app through it."),
    ...httpListenerBase,
    app: z
      .object({
        address: z.string().min(1).default("127.0.0.1").describe("Address of the local application."),
        port: PortSchema.min(1).describe("Port of the local application."),
        protocol: z
          .enum(["http1", "http2"])
          .default("http1")
          .describe("Protocol the app speaks: HTTP/1.1, or HTTP/2 with prior knowledge (h2c, e.g. a gRPC server)."),
      })
      .describe("The local application behind this listener."),
    timeoutMs: DurationMsSchema.optional().describe("Time allowed for the app to send response headers."),
    mtlsMode: MtlsModeSchema.optional().describe("mTLS of this listener (needs `identity`); DISABLE when absent. Changing it needs no new socket."),
  })
  .describe("Inbound listener in front of the local application: plain HTTP, server TLS (`tls`) or mTLS with X.509-SVIDs (`mtlsMode`).");

export const AdminListenerSchema = z
  .object({
    kind: z.literal("admin").describe("Admin: /ready, /config, /stats and /metrics."),
    ...listenerBase,
  })
  .describe("Admin listener.");

export const TcpListenerSchema = z
  .object({
    kind: z.literal("tcp").describe("TCP passthrough: bytes are piped to an endpoint of `backend`, for ports declared as TCP."),
    ...listenerBase,
    backend: z.string().min(1).describe("Name of an entry in `backends`; its load balancer, connect and idle timeouts apply."),
  })
  .describe("Plain TCP passthrough listener.");

/** A TLS server name as a ClientHello carries it: an ASCII host name (RFC 6066), no IP literal, no trailing dot. */
export const SniSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a lowercase DNS host name")
  .describe("TLS server name (SNI), lowercase.");

export const GatewayRouteSchema = z
  .object({
    sni: SniSchema.describe("Server name to match exactly (compared in lower case)."),
    backend: z.string().min(1).describe("Name of an entry in `backends` (without `tls`/`mtls`: the bytes are piped as they are)."),
  })
  .describe("One server name and where its connections go.");
export type GatewayRoute = z.infer<typeof GatewayRouteSchema>;

export const GatewayListenerSchema = z
  .object({
    kind: z
      .literal("gateway")
      .describe("East-west gateway (AUTO_PASSTHROUGH): reads the server name of each TLS ClientHello and pipes the connection, still encrypted, to an endpoint of the matching backend."),
    ...listenerBase,
    routes: z.array(GatewayRouteSchema).max(10_000).default([]).describe("Routes by server name; a connection with none, an unknown one or a malformed ClientHello is closed and counted."),
    clientHelloTimeoutMs: DurationMsSchema.default(10_000).describe("Time allowed for the whole ClientHello to arrive."),
  })
  .describe("SNI-routing TLS passthrough listener: the destination's own proxy terminates mTLS, so it sees the caller's SPIFFE ID.");

export const ListenerSchema = z
  .discriminatedUnion("kind", [OutboundListenerSchema, InboundListenerSchema, AdminListenerSchema, TcpListenerSchema, GatewayListenerSchema])
  .describe("A listener the proxy binds.");
export type Listener = z.infer<typeof ListenerSchema>;
export type OutboundListener = z.infer<typeof OutboundListenerSchema>;
export type InboundListener = z.infer<typeof InboundListenerSchema>;
export type AdminListener = z.infer<typeof AdminListenerSchema>;
export type TcpListener = z.infer<typeof TcpListenerSchema>;
export type GatewayListener = z.infer<typeof GatewayListenerSchema>;

// ------------------------------------------------------------------ matches

export const PathMatchTypeSchema = z
  .enum(["Exact", "PathPrefix", "RegularExpression"])
  .describe("Exact path, element-wise path prefix, or whole-path regular expression.");
export type PathMatchType = z.infer<typeof PathMatchTypeSchema>;

export const PathMatchSchema = z
  .object({
    type: PathMatchTypeSchema.default("PathPrefix"),
    value: z.string().min(1).max(1024).default("/").describe("The path, prefix or pattern."),
  })
  .superRefine((m, ctx) => {
    if (m.type !== "RegularExpression" && !m.value.startsWith("/")) {
      ctx.addIssue({ code: "custom", path: ["value"], message: "must start with '/'" });
    }
    if (m.type === "RegularExpression" && !compiles(m.value)) {
      ctx.addIssue({ code: "custom", path: ["value"], message: "must be a valid ECMAScript regular expression" });
    }
  })
  .describe("Match on the request path (without the query string).");
export type PathMatch = z.infer<typeof PathMatchSchema>;

export const HeaderMatchSchema = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("Exact").describe("Value equals exactly (case-sensitive)."),
      name: HeaderNameSchema,
      value: HeaderValueSchema,
    }),
    z.object({
      type: z.literal("RegularExpression").describe("Value matches the whole pattern."),
      name: HeaderNameSchema,
      value: RegexSchema,
    }),
  ])
  .describe("Match on one request header.");
export type HeaderMatch = z.infer<typeof HeaderMatchSchema>;

export const QueryParamMatchSchema = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("Exact").describe("Value equals exactly."),
      name: z.string().min(1).max(256).describe("Query parameter name (case-sensitive); the first occurrence counts."),
      value: z.string().max(1024).describe("Expected value."),
    }),
    z.object({
      type: z.literal("RegularExpression").describe("Value matches the whole pattern."),
      name: z.string().min(1).max(256).describe("Query parameter name (case-sensitive); the first occurrence counts."),
      value: RegexSchema,
    }),
  ])
  .describe("Match on one query parameter.");
export type QueryParamMatch = z.infer<typeof QueryParamMatchSchema>;

export const HttpMethodSchema = z
  .enum(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"])
  .describe("HTTP method.");
export type HttpMethod = z.infer<typeof HttpMethodSchema>;

export const RouteMatchSchema = z
  .object({
    path: PathMatchSchema.prefault({}).describe("Path match; defaults to PathPrefix '/'."),
    headers: z.array(HeaderMatchSchema).max(16).default([]).describe("All of these headers must match."),
    queryParams: z.array(QueryParamMatchSchema).max(16).default([]).describe("All of these query parameters must match."),
    method: HttpMethodSchema.optional().describe("Method that must match; any method when absent."),
  })
  .describe("One match of a rule: every condition in it must hold (AND); a rule's matches are alternatives (OR).");
export type RouteMatch = z.infer<typeof RouteMatchSchema>;

// ------------------------------------------------------------------ filters

const HeaderPairSchema = z
  .object({ name: HeaderNameSchema, value: HeaderValueSchema })
  .describe("A header name and value.");

export const HeaderModifierSchema = z
  .object({
    set: z.array(HeaderPairSchema).max(16).default([]).describe("Headers to set, replacing any existing value."),
    add: z.array(HeaderPairSchema).max(16).default([]).describe("Headers to append to (comma-joined with any existing value)."),
    remove: z.array(HeaderNameSchema).max(16).default([]).describe("Header names to remove."),
  })
  .describe("Header modification, applied as remove, then set, then add.");
export type HeaderModifier = z.infer<typeof HeaderModifierSchema>;

export const PathModifierSchema = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("ReplaceFullPath").describe("Replace the whole path."),
      replaceFullPath: z.string().startsWith("/").max(1024).describe("The new path."),
    }),
    z.object({
      type: z.literal("ReplacePrefixMatch").describe("Replace the matched PathPrefix, keeping the rest of the path."),
      replacePrefixMatch: z.string().startsWith("/").max(1024).describe("The prefix that replaces the matched one."),
    }),
  ])
  .describe("Path modification for a rewrite or redirect.");
export type PathModifier = z.infer<typeof PathModifierSchema>;

export const RedirectStatusSchema = z
  .union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)])
  .describe("Redirect status code.");

const PercentSchema = z.number().min(0).max(100).describe("Percentage of requests (0 to 100).");

export const FaultInjectionSchema = z
  .object({
    delay: z
      .object({
        fixedDelayMs: DurationMsSchema.describe("Delay before the request is forwarded."),
        percentage: PercentSchema.default(100),
      })
      .optional()
      .describe("Delay a share of the requests (flag DI)."),
    abort: z
      .object({
        httpStatus: z.number().int().min(200).max(599).optional().describe("Status answered to HTTP requests (and mapped to a gRPC status for gRPC calls when grpcStatus is absent)."),
        grpcStatus: z.number().int().min(1).max(16).optional().describe("gRPC status answered (trailers-only) to gRPC calls."),
        percentage: PercentSchema.default(100),
      })
      .refine((a) => a.httpStatus !== undefined || a.grpcStatus !== undefined, "set httpStatus, grpcStatus or both")
      .optional()
      .describe("Answer a share of the requests with an error instead of forwarding them (flag FI)."),
    headers: z.array(HeaderMatchSchema).max(16).default([]).describe("Only requests carrying all these headers are faulted; every request when empty."),
  })
  .refine((f) => f.delay !== undefined || f.abort !== undefined, "set delay, abort or both")
  .describe("Fault injection: the delay is applied first, then the abort; each is drawn independently.");
export type FaultInjection = z.infer<typeof FaultInjectionSchema>;

/** The header filters: allowed on a rule and on a single backend. */
const HEADER_FILTERS = [
  z.object({
    type: z.literal("RequestHeaderModifier").describe("Modify the request headers sent upstream."),
    requestHeaderModifier: HeaderModifierSchema,
  }),
  z.object({
    type: z.literal("ResponseHeaderModifier").describe("Modify the response headers sent downstream."),
    responseHeaderModifier: HeaderModifierSchema,
  }),
] as const;

export const RequestMirrorSchema = z
  .object({
    backend: z.string().min(1).describe("Name of an entry in `backends`: the shadow."),
    percent: PercentSchema.default(100),
    maxInFlight: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(64)
      .describe("Mirrored requests in flight at once; above it copies are dropped (counted), so a slow shadow never holds memory or sockets without bound."),
    timeoutMs: DurationMsSchema.default(10_000).describe("A copy still unanswered after this long is abandoned."),
  })
  .describe(
    "Mirroring: fire-and-forget copies with `x-weft-mirror: 1` and the Host suffixed `-shadow`; request bodies larger than limits.retryBufferBytes are not mirrored.",
  );
export type RequestMirror = z.infer<typeof RequestMirrorSchema>;

export const RouteFilterSchema = z
  .discriminatedUnion("type", [
    ...HEADER_FILTERS,
    z.object({
      type: z.literal("URLRewrite").describe("Rewrite the host and/or path before forwarding."),
      urlRewrite: z
        .object({
          hostname: z.string().min(1).max(253).optional().describe("New Host header value."),
          path: PathModifierSchema.optional().describe("Path rewrite."),
        })
        .describe("Rewrite settings."),
    }),
    z.object({
      type: z.literal("RequestRedirect").describe("Answer with a redirect instead of forwarding."),
      requestRedirect: z
        .object({
          scheme: z.enum(["http", "https"]).optional().describe("Scheme of the Location; the request's when absent."),
          hostname: z.string().min(1).max(253).optional().describe("Host of the Location; the request's when absent."),
          path: PathModifierSchema.optional().describe("Path of the Location; the request's when absent."),
          port: PortSchema.min(1).optional().describe("Port of the Location; omitted when it is the scheme's default."),
          statusCode: RedirectStatusSchema.default(302),
        })
        .describe("Redirect settings."),
    }),
    z.object({
      type: z.literal("FaultInjection").describe("Delay and/or abort a share of the requests (resilience testing)."),
      faultInjection: FaultInjectionSchema,
    }),
    z.object({
      type: z.literal("RequestMirror").describe("Send a copy of a share of the requests to a shadow backend; its responses are discarded."),
      requestMirror: RequestMirrorSchema,
    }),
  ])
  .describe("A filter applied to requests that match the rule.");
export type RouteFilter = z.infer<typeof RouteFilterSchema>;

// ------------------------------------------------------------ rules, routes

export const RetryOnSchema = z
  .enum(["5xx", "gateway-error", "reset", "connect-failure"])
  .describe("5xx: any 5xx response; gateway-error: 502, 503, 504; reset: connection reset or closed before the response; connect-failure: cannot connect (includes connect timeout).");
export type RetryOn = z.infer<typeof RetryOnSchema>;

export const RetryPolicySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(10).default(2).describe("Maximum attempts including the first (1 = no retries)."),
    retryOn: z.array(RetryOnSchema).default(["gateway-error", "connect-failure", "reset"]).describe("Conditions that trigger a retry."),
    statusCodes: z.array(z.number().int().min(100).max(599)).default([]).describe("Response status codes that are also retried."),
    grpcStatusCodes: z
      .array(z.number().int().min(1).max(16))
      .default([])
      .describe("gRPC status codes (e.g. 14 UNAVAILABLE) that are retried when the upstream answers trailers-only."),
    backoff: z
      .object({
        baseMs: DurationMsSchema.default(25).describe("Base of the exponential backoff."),
        maxMs: DurationMsSchema.default(250).describe("Upper bound of one backoff interval."),
      })
      .prefault({})
      .describe("Exponential backoff with full jitter between attempts."),
  })
  .describe("Retry policy. Requests whose body exceeds the retry buffer limit are never retried.");
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

export const BackendFilterSchema = z
  .discriminatedUnion("type", [...HEADER_FILTERS])
  .describe("A filter applied only when its backend is picked, after the rule's.");
export type BackendFilter = z.infer<typeof BackendFilterSchema>;

export const BackendRefSchema = z
  .object({
    backend: z.string().min(1).describe("Name of an entry in `backends`."),
    weight: z.number().int().min(0).max(1_000_000).default(1).describe("Relative weight; 0 sends no traffic."),
    filters: z.array(BackendFilterSchema).max(4).optional().describe("Header changes applied only when this backend is picked (a canary's session cookie)."),
  })
  .describe("A weighted backend of a rule.");
export type BackendRef = z.infer<typeof BackendRefSchema>;

export const RouteRuleSchema = z
  .object({
    name: z.string().min(1).optional().describe("Optional rule name, for stats and errors."),
    matches: z.array(RouteMatchSchema).max(64).prefault([{}]).describe("Alternatives; defaults to one PathPrefix '/' match."),
    filters: z.array(RouteFilterSchema).max(16).default([]).describe("Filters applied in order."),
    backendRefs: z.array(BackendRefSchema).max(16).default([]).describe("Weighted backends; none (or all weight 0) answers 500."),
    timeouts: z
      .object({
        requestMs: DurationMsSchema.optional().describe("Whole request, all attempts included, until response headers."),
        perTryMs: DurationMsSchema.optional().describe("One attempt, until response headers."),
        grpcTimeoutOffsetMs: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .default(5)
          .describe("A gRPC request's `grpc-timeout` becomes its request timeout minus this offset, so the proxy answers DEADLINE_EXCEEDED (and records it) before the client gives up."),
      })
      .prefault({})
      .describe("Timeouts; a timeout answers 504 with flag UT."),
    retry: RetryPolicySchema.optional().describe("Retry policy; no retries when absent."),
  })
  .superRefine((rule, ctx) => {
    const types = rule.filters.map((f) => f.type);
    if (types.includes("URLRewrite") && types.includes("RequestRedirect")) {
      ctx.addIssue({ code: "custom", path: ["filters"], message: "URLRewrite and RequestRedirect cannot be combined" });
    }
    const usesPrefixReplace = rule.filters.some(
      (f) =>
        (f.type === "URLRewrite" && f.urlRewrite.path?.type === "ReplacePrefixMatch") ||
        (f.type === "RequestRedirect" && f.requestRedirect.path?.type === "ReplacePrefixMatch"),
    );
    if (usesPrefixReplace) {
      rule.matches.forEach((m, i) => {
        if (m.path.type !== "PathPrefix") {
          ctx.addIssue({ code: "custom", path: ["matches", i, "path", "type"], message: "ReplacePrefixMatch needs PathPrefix matches" });
        }
      });
    }
  })
  .describe("A rule: matches, filters, weighted backends, timeouts and retries.");
export type RouteRule = z.infer<typeof RouteRuleSchema>;

export const HttpRouteEntrySchema = z
  .object({
    name: NameSchema.describe("Name of the HTTPRoute this entry was compiled from."),
    namespace: NameSchema.describe("Namespace of that HTTPRoute."),
    creationTimestamp: z.iso.datetime({ offset: true }).describe("Creation time of the HTTPRoute; older routes win precedence ties."),
    rules: z.array(RouteRuleSchema).min(1).max(64).describe("Rules in declaration order; the first matching rule wins ties."),
  })
  .describe("One compiled HTTPRoute attached to a virtual host.");
export type HttpRouteEntry = z.infer<typeof HttpRouteEntrySchema>;

const HostnameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/, "must be a lowercase hostname, '*.suffix' or '*'")
  .describe("Hostname (no port), '*.suffix' wildcard, or '*' for any.");

export const VirtualHostSchema = z
  .object({
    name: z.string().min(1).describe("Unique virtual host name (usually `<service>.<namespace>`)."),
    domains: z
      .array(HostnameSchema)
      .min(1)
      .describe("Hostnames served, e.g. reviews, reviews.default, reviews.default.svc.cluster.local. Exact names beat wildcards."),
    routes: z.array(HttpRouteEntrySchema).default([]).describe("Compiled HTTPRoutes of this host."),
  })
  .describe("A destination service as the app names it, with its routes.");
export type VirtualHost = z.infer<typeof VirtualHostSchema>;

// ----------------------------------------------------------------- backends

export const EndpointHealthSchema = z
  .enum(["healthy", "unhealthy", "draining"])
  .describe("Only healthy endpoints receive new requests.");

export const EndpointSchema = z
  .object({
    address: z.string().min(1).describe("IP address or hostname."),
    port: PortSchema.min(1),
    health: EndpointHealthSchema.default("healthy"),
    locality: LocalitySchema.prefault({}),
    weight: z.number().int().min(1).max(1000).default(1).describe("Relative load-balancing weight."),
    version: z.string().min(1).optional().describe("Version label (the `destination_version` metric label)."),
    sni: SniSchema.optional().describe(
      "TLS server name sent to this endpoint when the backend originates mTLS: an east-west gateway routes on it without terminating TLS. Part of the connection pool key.",
    ),
  })
  .describe("One instance of a backend.");
export type Endpoint = z.infer<typeof EndpointSchema>;

export const HashOnSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("header").describe("Hash a request header."), name: HeaderNameSchema }),
    z.object({ kind: z.literal("cookie").describe("Hash a request cookie."), name: z.string().min(1).max(256).describe("Cookie name.") }),
    z.object({ kind: z.literal("source-address").describe("Hash the client's address.") }),
  ])
  .describe("What the ring hash keys on; requests without the key are spread at random.");
export type HashOn = z.infer<typeof HashOnSchema>;

export const LoadBalancerSchema = z
  .discriminatedUnion("algorithm", [
    z.object({ algorithm: z.literal("ewma").describe("Peak-EWMA latency-aware power of two choices (default).") }),
    z.object({ algorithm: z.literal("least-request").describe("Fewest in-flight requests of two random choices.") }),
    z.object({ algorithm: z.literal("round-robin").describe("Smooth weighted round robin.") }),
    z.object({ algorithm: z.literal("random").describe("Weighted random.") }),
    z.object({
      algorithm: z.literal("ring-hash").describe("Consistent hashing: the same key goes to the same endpoint."),
      hashOn: HashOnSchema,
      pointsPerWeight: z
        .number()
        .int()
        .min(1)
        .max(1024)
        .default(160)
        .describe("Points on the ring per endpoint per unit of weight; fixed per endpoint so adding or removing one only moves its own keys."),
    }),
  ])
  .describe("Load-balancing algorithm.");
export type LoadBalancer = z.infer<typeof LoadBalancerSchema>;

export const RetryBudgetSchema = z
  .object({
    ratio: z.number().min(0).max(10).default(0.2).describe("Retries may add at most this fraction of the requests in the window."),
    minRetriesPerSecond: z.number().int().min(0).max(10_000).default(10).describe("Floor: retries allowed per second whatever the ratio."),
    windowMs: DurationMsSchema.default(10_000).describe("Sliding window the ratio is measured over."),
  })
  .describe("Retry budget that stops retry storms.");
export type RetryBudget = z.infer<typeof RetryBudgetSchema>;

/** Circuit-breaker thresholds when a backend has none (Envoy's defaults). */
export const DEFAULT_CIRCUIT_BREAKER = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 } as const;

export const CircuitBreakerSchema = z
  .object({
    maxConnections: z.number().int().min(1).max(1_000_000).default(DEFAULT_CIRCUIT_BREAKER.maxConnections).describe("Connections to all endpoints of the backend at once; requests wait for a free one (pending) above it."),
    maxPendingRequests: z.number().int().min(1).max(1_000_000).default(DEFAULT_CIRCUIT_BREAKER.maxPendingRequests).describe("Requests waiting for a connection; above it 503 UO."),
    maxRequests: z.number().int().min(1).max(1_000_000).default(DEFAULT_CIRCUIT_BREAKER.maxRequests).describe("Requests in flight to the backend; above it 503 UO."),
    maxRetries: z.number().int().min(0).max(1_000_000).default(DEFAULT_CIRCUIT_BREAKER.maxRetries).describe("Retries in flight to the backend; above it the request is not retried (flag URX)."),
  })
  .describe("Circuit breaker of one backend, per proxy.");
export type CircuitBreaker = z.infer<typeof CircuitBreakerSchema>;

export const OutlierDetectionSchema = z
  .object({
    consecutive5xx: z.number().int().min(1).max(1000).default(5).describe("Eject after this many consecutive 5xx answers or local failures (connect failure, reset, timeout)."),
    consecutiveGatewayErrors: z.number().int().min(1).max(1000).optional().describe("Eject after this many consecutive 502/503/504 answers or local failures; off when absent."),
    intervalMs: DurationMsSchema.default(10_000).describe("How often success rates are judged and ejection multipliers decay."),
    baseEjectionTimeMs: DurationMsSchema.default(30_000).describe("Ejection time = this × number of ejections of the endpoint (capped)."),
    maxEjectionTimeMs: DurationMsSchema.default(300_000).describe("Longest ejection."),
    maxEjectionPercent: z.number().min(0).max(100).default(10).describe("Largest share of the endpoints ejected at once; at least one endpoint may be ejected when above 0."),
    alwaysKeepOne: z.boolean().default(true).describe("Never eject the last endpoint that is not ejected."),
    successRate: z
      .object({
        minimumHosts: z.number().int().min(1).max(10_000).default(5).describe("Endpoints with requestVolume requests in the interval needed to judge any."),
        requestVolume: z.number().int().min(1).max(1_000_000).default(100).describe("Requests an endpoint needs in the interval to be judged."),
        stdevFactor: z.number().positive().max(100).default(1.9).describe("Eject below mean − stdevFactor × standard deviation of the success rates."),
      })
      .optional()
      .describe("Success-rate ejection, judged every interval; off when absent."),
  })
  .refine((o) => o.maxEjectionTimeMs >= o.baseEjectionTimeMs, { message: "maxEjectionTimeMs must not be shorter than baseEjectionTimeMs", path: ["maxEjectionTimeMs"] })
  .describe("Passive health checking: endpoints that keep failing are ejected from load balancing for a while.");
export type OutlierDetection = z.infer<typeof OutlierDetectionSchema>;

const healthCheckCommon = {
  intervalMs: DurationMsSchema.default(10_000).describe("Time between checks of one endpoint."),
  timeoutMs: DurationMsSchema.default(1000).describe("A check not done within this counts as a failure."),
  healthyThreshold: z.number().int().min(1).max(100).default(2).describe("Consecutive successes before a failing endpoint is used again."),
  unhealthyThreshold: z.number().int().min(1).max(100).default(3).describe("Consecutive failures before an endpoint is taken out."),
  port: PortSchema.min(1).optional().describe("Port to check; the endpoint's port when absent."),
};

export const HealthCheckSchema = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("http").describe("HTTP/1.1 GET; healthy when the status is expected."),
      ...healthCheckCommon,
      path: z.string().startsWith("/").max(1024).describe("Path requested."),
      host: z.string().min(1).max(253).optional().describe("Host header; the backend's service name when absent."),
      expectedStatuses: z.array(z.number().int().min(100).max(599)).min(1).default([200]).describe("Statuses that count as healthy."),
    }),
    z.object({ type: z.literal("tcp").describe("A TCP connect; healthy when it connects."), ...healthCheckCommon }),
    z.object({
      type: z.literal("grpc").describe("grpc.health.v1.Health/Check over HTTP/2 (h2c, or h2 with the backend's TLS); healthy when SERVING."),
      ...healthCheckCommon,
      service: z.string().max(1024).default("").describe("Service name asked about; empty asks about the whole server."),
      authority: z.string().min(1).max(253).optional().describe(":authority of the check; the backend's service name when absent."),
    }),
  ])
  .refine((h) => h.timeoutMs <= h.intervalMs, { message: "timeoutMs must not be longer than intervalMs", path: ["timeoutMs"] })
  .describe("An active health check of each endpoint of a backend, run by the proxy.");
export type HealthCheck = z.infer<typeof HealthCheckSchema>;

export const ConnectionPoolSchema = z
  .object({
    maxRequestsPerConnection: z.number().int().min(1).max(1_000_000).optional().describe("Close a connection (HTTP/1.1) or session (HTTP/2) after this many requests."),
    idleTimeoutMs: DurationMsSchema.optional().describe("Close a pooled connection idle this long (HTTP/1.1 free sockets, HTTP/2 sessions without streams)."),
    http2MaxConcurrentStreams: z.number().int().min(1).max(1_000_000).optional().describe("Streams on one HTTP/2 session; above it another session to the endpoint is opened."),
  })
  .describe("Connection reuse of a backend's pool.");
export type ConnectionPool = z.infer<typeof ConnectionPoolSchema>;

export const BackendPolicySchema = z
  .object({
    connectTimeoutMs: DurationMsSchema.default(1000).describe("Time allowed to open a connection; exceeding it is a connect failure (UF)."),
    idleTimeoutMs: DurationMsSchema.default(60_000).describe("A request/response stream with no bytes for this long is aborted."),
    maxConnectionsPerEndpoint: z.number().int().min(1).max(100_000).optional().describe("Connection cap per endpoint; requests queue above it."),
    localityFailover: z.boolean().default(true).describe("Prefer same zone, then same cluster, then the rest, failing over when a level has no healthy endpoint."),
    retryBudget: RetryBudgetSchema.prefault({}),
    circuitBreaker: CircuitBreakerSchema.optional().describe(`Fail fast (503, flag UO) above these limits; ${JSON.stringify(DEFAULT_CIRCUIT_BREAKER)} when absent.`),
    outlierDetection: OutlierDetectionSchema.optional().describe("Passive health checking; off when absent."),
    healthChecks: z.array(HealthCheckSchema).max(4).default([]).describe("Active health checks run by this proxy; an endpoint receives requests only while every check passes."),
    connectionPool: ConnectionPoolSchema.optional().describe("Connection reuse settings; Node defaults (and FREE_SOCKET_TIMEOUT) when absent."),
    slowStartWindowMs: DurationMsSchema.optional().describe("A new endpoint's weight ramps up linearly from 10% to 100% over this window."),
  })
  .describe("Per-backend connection and traffic policy.");
export type BackendPolicy = z.infer<typeof BackendPolicySchema>;

/** Client-side TLS to a backend's endpoints. */
export const UpstreamTlsSchema = z
  .object({
    serverName: z.string().min(1).max(253).optional().describe("SNI and the name verified in the certificate; the endpoint address when absent."),
    caPem: PemSchema.optional().describe("Trusted CA certificates (PEM); the system roots when absent."),
    insecureSkipVerify: z.boolean().default(false).describe("Do not verify the certificate (tests only)."),
  })
  .describe("TLS to the upstream; ALPN offers h2 or http/1.1 according to `protocol`.");
export type UpstreamTls = z.infer<typeof UpstreamTlsSchema>;

export const BackendSchema = z
  .object({
    name: z.string().min(1).describe("Unique backend (cluster) name referenced by rules, e.g. `reviews.default` or `reviews.default.v2`."),
    service: NameSchema.describe("Destination service (the `destination_service` metric label)."),
    namespace: NameSchema.describe("Destination namespace."),
    version: z.string().min(1).optional().describe("Version subset this backend stands for, if any."),
    endpoints: z.array(EndpointSchema).default([]).describe("Instances; none healthy answers 503 with flag UH."),
    protocol: z
      .enum(["http1", "http2"])
      .default("http1")
      .describe("Upstream protocol: HTTP/1.1 with keep-alive pools, or HTTP/2 (h2c prior knowledge, or h2 by ALPN with `tls`) with one multiplexed session per endpoint. gRPC needs http2."),
    tls: UpstreamTlsSchema.optional().describe("Connect with TLS; plain TCP when absent."),
    mtls: BackendMtlsSchema.optional().describe("Connect with mTLS using the workload's SVID (needs `identity`; excludes `tls`)."),
    loadBalancer: LoadBalancerSchema.prefault({ algorithm: "ewma" }),
    policy: BackendPolicySchema.prefault({}),
  })
  .describe("An upstream cluster: a service (or a version subset of it) and its endpoints.");
export type Backend = z.infer<typeof BackendSchema>;

export const LimitsSchema = z
  .object({
    maxHeaderBytes: z.number().int().min(1024).max(65536).default(16384).describe("Request line plus headers; above it the proxy answers 431."),
    maxHeaderCount: z.number().int().min(8).max(1000).default(100).describe("Number of request headers; above it 431."),
    maxUriLength: z.number().int().min(64).max(65536).default(8192).describe("Length of the request target; above it 414."),
    retryBufferBytes: z.number().int().min(0).max(16 * 1024 * 1024).default(65536).describe("Request bodies up to this size are buffered so they can be retried."),
  })
  .describe("Request parsing and buffering limits (applied to listeners when they are created).");
export type Limits = z.infer<typeof LimitsSchema>;

// ---------------------------------------------------------------- telemetry

export const TelemetrySchema = z
  .object({
    accessLog: z
      .object({
        path: z.string().min(1).default("stdout").describe("`stdout`, or a file path the JSON lines are appended to."),
      })
      .optional()
      .describe("One JSON line per request (HTTP) or connection (TCP); off when absent."),
    tracing: z
      .object({
        sampleRate: z.number().min(0).max(1).default(0).describe("Share of requests without an incoming trace context that start a new sampled trace."),
        maxSpans: z.number().int().min(1).max(1_000_000).default(4096).describe("Finished spans kept in memory for GET /spans (oldest dropped first)."),
        otlpEndpoint: z.url().optional().describe("OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); spans are exported in batches when set."),
      })
      .prefault({})
      .describe("Tracing: W3C traceparent and B3 (single and multi header) propagation, one span per hop."),
  })
  .describe("Access logs and tracing.");
export type Telemetry = z.infer<typeof TelemetrySchema>;

// -------------------------------------------------------------- rate limits

export const RateLimitKeySchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("all").describe("One bucket for every request.") }),
    z.object({
      type: z.literal("route").describe("One bucket per route rule: the first entry of `rules` whose matches hold names it; other requests are not limited."),
      rules: z
        .array(
          z.object({
            id: z.string().min(1).max(512).describe("Bucket id, e.g. `shop/reviews/rule-0` (the HTTPRoute and rule it came from)."),
            matches: z.array(RouteMatchSchema).min(1).max(64).describe("The rule's matches (any one)."),
          }),
        )
        .min(1)
        .max(256)
        .describe("Route rules in precedence order."),
    }),
    z.object({
      type: z.literal("source-identity").describe("One bucket per caller SPIFFE ID (`unknown` for callers without mTLS)."),
      identities: z.array(z.string().min(1).max(2048)).max(64).optional().describe("Only callers matching these patterns (`prefix*`, `*suffix`, exact) are limited; all when absent."),
    }),
    z.object({ type: z.literal("header").describe("One bucket per value of a request header; requests without it are not limited."), name: HeaderNameSchema }),
  ])
  .describe("What gets its own bucket.");
export type RateLimitKey = z.infer<typeof RateLimitKeySchema>;

export const LocalRateLimitSchema = z
  .object({
    name: z.string().min(1).max(253).describe("Name of the limit (metrics label)."),
    key: RateLimitKeySchema,
    tokensPerFill: z.number().int().min(1).max(1_000_000_000).describe("Tokens added every fillIntervalMs (added continuously): the sustained rate."),
    fillIntervalMs: DurationMsSchema.describe("The refill interval."),
    burst: z.number().int().min(1).max(1_000_000_000).describe("Bucket size: requests allowed at once after a quiet period."),
  })
  .refine((l) => l.burst >= l.tokensPerFill, { message: "burst must be at least tokensPerFill", path: ["burst"] })
  .describe("A token bucket enforced by this proxy alone.");
export type LocalRateLimit = z.infer<typeof LocalRateLimitSchema>;

export const GlobalRateLimitSchema = z
  .object({
    name: z.string().min(1).max(253).describe("Name of the limit (metrics label and part of the Redis key)."),
    key: RateLimitKeySchema,
    requests: z.number().int().min(1).max(1_000_000_000).describe("Requests allowed per window across every proxy sharing `domain`."),
    windowMs: DurationMsSchema.describe("Fixed window, counted in Redis from the window's first request."),
  })
  .describe("A limit shared by every proxy of the destination.");
export type GlobalRateLimit = z.infer<typeof GlobalRateLimitSchema>;

export const RateLimitsSchema = z
  .object({
    listeners: z.array(z.string().min(1)).optional().describe("Listeners (inbound or outbound) that enforce the limits; every inbound listener when absent."),
    local: z.array(LocalRateLimitSchema).max(16).default([]).describe("Per-proxy token buckets."),
    global: z
      .object({
        redis: z
          .object({
            address: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/, 'must be "host:port"').describe('Redis address, "host:port".'),
            tls: z.boolean().default(false).describe("Connect over TLS."),
          })
          .describe("The Redis server holding the counters."),
        domain: z.string().min(1).max(512).describe("Namespace of the counters: every proxy with the same domain and limit name shares one budget (the compiler uses `<namespace>/<service>`)."),
        keyPrefix: z.string().max(256).default("weft:rl:").describe("Prefix of every Redis key."),
        failOpen: z.boolean().default(true).describe("When Redis does not answer within timeoutMs: allow the request (true) or answer 429 with flag RLSE (false)."),
        timeoutMs: DurationMsSchema.default(20).describe("Longest wait for Redis on the request path."),
        limits: z.array(GlobalRateLimitSchema).min(1).max(16).describe("The limits."),
      })
      .optional()
      .describe("Limits shared by all proxies of the destination, counted in Redis by an atomic script."),
  })
  .describe("Rate limits: 429 with Retry-After and RateLimit-Limit/Remaining/Reset (flag RL). Local limits are checked first; a request must pass all.");
export type RateLimits = z.infer<typeof RateLimitsSchema>;

// --------------------------------------------------------------------- root

export const ProxyConfigSchema = z
  .object({
    version: z.string().min(1).max(256).describe("Opaque config version, echoed by /config and acknowledged to the agent."),
    node: NodeSchema,
    listeners: z.array(ListenerSchema).default([]).describe("Listeners to bind."),
    virtualHosts: z.array(VirtualHostSchema).default([]).describe("Destination services reachable through the outbound listeners."),
    backends: z.array(BackendSchema).default([]).describe("Upstream clusters referenced by rules."),
    limits: LimitsSchema.prefault({}),
    telemetry: TelemetrySchema.prefault({}),
    identity: WorkloadIdentitySchema.optional().describe("The workload's X.509-SVID and trust bundle; needed by mTLS listeners and backends."),
    authorization: AuthorizationConfigSchema.optional().describe("AuthorizationPolicies of the local service, enforced on inbound listeners."),
    requestAuthentication: RequestAuthenticationConfigSchema.optional().describe("JWT verification on inbound (and named gateway) listeners."),
    rateLimits: RateLimitsSchema.optional().describe("Rate limits on inbound (and named gateway) listeners."),
  })
  .superRefine((config, ctx) => {
    // Cross-references, each error with its path (Kuma style: collect them all).
    const dup = (items: readonly { name: string }[], path: string) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(item.name)) ctx.addIssue({ code: "custom", path: [path, i, "name"], message: `duplicate name '${item.name}'` });
        seen.add(item.name);
      });
    };
    dup(config.listeners, "listeners");
    dup(config.virtualHosts, "virtualHosts");
    dup(config.backends, "backends");

    const bound = new Map<string, number>();
    config.listeners.forEach((l, i) => {
      if (l.port === 0) return;
      const key = `${l.address}:${l.port}`;
      if (bound.has(key)) ctx.addIssue({ code: "custom", path: ["listeners", i, "port"], message: `${key} is already used by listeners[${bound.get(key)}]` });
      bound.set(key, i);
    });

    const vhostNames = new Set(config.virtualHosts.map((v) => v.name));
    config.listeners.forEach((l, i) => {
      if (l.kind === "outbound" && l.virtualHost !== undefined && !vhostNames.has(l.virtualHost)) {
        ctx.addIssue({ code: "custom", path: ["listeners", i, "virtualHost"], message: `unknown virtual host '${l.virtualHost}'` });
      }
    });

    const domains = new Map<string, string>();
    config.virtualHosts.forEach((vh, v) => {
      vh.domains.forEach((d, di) => {
        const owner = domains.get(d);
        if (owner !== undefined && owner !== vh.name) {
          ctx.addIssue({ code: "custom", path: ["virtualHosts", v, "domains", di], message: `domain '${d}' is also served by virtual host '${owner}'` });
        }
        domains.set(d, vh.name);
      });
    });

    config.listeners.forEach((l, i) => {
      if (l.kind !== "inbound" || l.mtlsMode === undefined || l.mtlsMode === "DISABLE") return;
      if (!config.identity) ctx.addIssue({ code: "custom", path: ["listeners", i, "mtlsMode"], message: `mTLS mode ${l.mtlsMode} needs an identity (set identity)` });
      if (l.tls) ctx.addIssue({ code: "custom", path: ["listeners", i, "tls"], message: "tls and mtlsMode cannot be combined: mTLS terminates with the workload's SVID" });
    });
    config.backends.forEach((b, i) => {
      if (!b.mtls) return;
      if (!config.identity) ctx.addIssue({ code: "custom", path: ["backends", i, "mtls"], message: "mTLS origination needs an identity (set identity)" });
      if (b.tls) ctx.addIssue({ code: "custom", path: ["backends", i, "tls"], message: "tls and mtls cannot be combined" });
    });
    const listenerKinds = new Map(config.listeners.map((l) => [l.name, l.kind]));
    config.requestAuthentication?.listeners?.forEach((name, i) => {
      const kind = listenerKinds.get(name);
      if (kind !== "inbound" && kind !== "outbound") {
        ctx.addIssue({ code: "custom", path: ["requestAuthentication", "listeners", i], message: kind ? `listener '${name}' is ${kind}, not an HTTP listener` : `unknown listener '${name}'` });
      }
    });

    config.rateLimits?.listeners?.forEach((name, i) => {
      const kind = listenerKinds.get(name);
      if (kind !== "inbound" && kind !== "outbound") {
        ctx.addIssue({ code: "custom", path: ["rateLimits", "listeners", i], message: kind ? `listener '${name}' is ${kind}, not an HTTP listener` : `unknown listener '${name}'` });
      }
    });

    const backendNames = new Set(config.backends.map((b) => b.name));
    config.listeners.forEach((l, i) => {
      if (l.kind === "tcp" && !backendNames.has(l.backend)) {
        ctx.addIssue({ code: "custom", path: ["listeners", i, "backend"], message: `unknown backend '${l.backend}'` });
      }
    });
    const backendByName = new Map(config.backends.map((b) => [b.name, b]));
    config.listeners.forEach((l, i) => {
      if (l.kind !== "gateway") return;
      const snis = new Map<string, number>();
      l.routes.forEach((route, r) => {
        const at = ["listeners", i, "routes", r];
        const other = snis.get(route.sni);
        if (other !== undefined) ctx.addIssue({ code: "custom", path: [...at, "sni"], message: `server name '${route.sni}' is also routed by routes[${other}]` });
        else snis.set(route.sni, r);
        const b = backendByName.get(route.backend);
        if (!b) ctx.addIssue({ code: "custom", path: [...at, "backend"], message: `unknown backend '${route.backend}'` });
        else if (b.tls || b.mtls) ctx.addIssue({ code: "custom", path: [...at, "backend"], message: `backend '${route.backend}' has tls/mtls, but a gateway pipes the caller's TLS through untouched` });
      });
    });
    config.virtualHosts.forEach((vh, v) =>
      vh.routes.forEach((route, r) =>
        route.rules.forEach((rule, ri) => {
          const at = ["virtualHosts", v, "routes", r, "rules", ri];
          rule.filters.forEach((f, fi) => {
            if (f.type === "RequestMirror" && !backendNames.has(f.requestMirror.backend)) {
              ctx.addIssue({ code: "custom", path: [...at, "filters", fi, "requestMirror", "backend"], message: `unknown backend '${f.requestMirror.backend}'` });
            }
          });
          rule.backendRefs.forEach((ref, bi) => {
            if (!backendNames.has(ref.backend)) {
              ctx.addIssue({ code: "custom", path: [...at, "backendRefs", bi, "backend"], message: `unknown backend '${ref.backend}'` });
            }
          });
        }),
      ),
    );
  })
  .describe("The complete configuration of one Weft proxy.");

/** A validated ProxyConfig (defaults applied). */
export type ProxyConfig = z.infer<typeof ProxyConfigSchema>;
/** A ProxyConfig as authored, before defaults. */
export type ProxyConfigInput = z.input<typeof ProxyConfigSchema>;
