// Backends: upstream clusters, their endpoints, load balancing and the
// per-backend policy (timeouts, retry budget, circuit breaker, outlier
// detection, health checks, connection pool) and upstream TLS or mTLS.
import { z } from "zod";
import { BackendMtlsSchema } from "./proxy-security.schema.ts";
import { DurationMsSchema, HeaderNameSchema, LocalitySchema, NameSchema, PemSchema, PortSchema, SniSchema } from "./proxy-primitives.schema.ts";

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

/** One locality's share in a weighted locality distribution. */
export const LocalityWeightSchema = z
  .object({
    cluster: z.string().min(1).max(63).describe("Cluster of the endpoints."),
    zone: z.string().min(1).optional().describe("Only endpoints of this zone of the cluster; the whole cluster when absent."),
    weight: z.number().int().min(1).max(100).describe("Share of requests (the shares of a backend sum to 100)."),
  })
  .describe("Endpoints of one cluster (or one zone of it) and their share of requests; an endpoint counts for the first entry it matches.");
export type LocalityWeight = z.infer<typeof LocalityWeightSchema>;

export const BackendPolicySchema = z
  .object({
    connectTimeoutMs: DurationMsSchema.default(1000).describe("Time allowed to open a connection; exceeding it is a connect failure (UF)."),
    idleTimeoutMs: DurationMsSchema.default(60_000).describe("A request/response stream with no bytes for this long is aborted."),
    maxConnectionsPerEndpoint: z.number().int().min(1).max(100_000).optional().describe("Connection cap per endpoint; requests queue above it."),
    localityFailover: z.boolean().default(true).describe("Prefer same zone, then same cluster, then the rest, failing over when a level has no healthy endpoint."),
    localityOrder: z
      .array(z.string().min(1).max(63).describe("A cluster."))
      .max(32)
      .optional()
      .describe("Clusters to fail over to after the caller's own, in order, each its own level (after same zone and same cluster); clusters not named come last. Needs localityFailover."),
    localityDistribution: z
      .array(LocalityWeightSchema)
      .max(64)
      .optional()
      .describe("Share of requests per locality, replacing the priority levels; a locality with no healthy endpoint gets none and its share goes to the others in proportion. Needs localityFailover."),
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
