import { z } from "zod";
import { DurationSchema, boundedDuration, parseDuration } from "../common/duration.ts";
import { IdentityPatternSchema } from "../common/identity.ts";
import { reportDuplicates, reportIssue } from "../common/issues.ts";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema, DnsSubdomainSchema, HeaderNameSchema, PercentageSchema, PortNumberSchema } from "../common/names.ts";
import { checkRetry, retryShape } from "../common/retry.schema.ts";

const int = (min: number, max = 2_147_483_647) =>
  z
    .number()
    .int({ message: "must be an integer" })
    .min(min, { message: `must be between ${min} and ${max}` })
    .max(max, { message: `must be between ${min} and ${max}` });

/** The destination a TrafficPolicy configures. */
export const PolicyTargetSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the destination service."),
    namespace: DnsLabelSchema.optional().describe("Namespace of the service; the policy's namespace when omitted."),
    version: DnsLabelSchema.optional().describe("Only this version subset of the service; all versions when omitted."),
    port: PortNumberSchema.optional().describe("Only this port of the service; all ports when omitted."),
  })
  .describe("The destination service (optionally one version and/or port) this policy applies to.");
export type PolicyTarget = z.infer<typeof PolicyTargetSchema>;

export const LoadBalancingAlgorithmSchema = z
  .enum(["ROUND_ROBIN", "LEAST_REQUEST", "EWMA", "RING_HASH", "RANDOM"])
  .describe(
    "ROUND_ROBIN: each endpoint in turn; LEAST_REQUEST: the fewer active requests of two random endpoints; EWMA: the lowest moving average of latency × load (the default); RING_HASH: consistent hashing on ringHash.hashOn; RANDOM: a random endpoint.",
  );
export type LoadBalancingAlgorithm = z.infer<typeof LoadBalancingAlgorithmSchema>;

export const HashOnSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("Header").describe("Hash a request header."), header: HeaderNameSchema.describe("The header whose value is hashed.") }),
    z.strictObject({
      type: z.literal("Cookie").describe("Hash a cookie; the proxy sets it when absent."),
      cookie: z
        .strictObject({
          name: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { message: "must be a valid cookie name" }).describe("Cookie name."),
          ttl: DurationSchema.optional().describe("Lifetime of a generated cookie; a session cookie when omitted."),
          path: z.string().startsWith("/", { message: 'must start with "/"' }).optional().describe("Path attribute of a generated cookie."),
        })
        .describe("The cookie."),
    }),
    z.strictObject({ type: z.literal("SourceIP").describe("Hash the caller's IP address.") }),
  ])
  .describe("What request property picks the endpoint, so equal values reach the same endpoint.");

export const LocalityFailoverSchema = z
  .strictObject({
    from: DnsLabelSchema.describe("Cluster whose callers this entry is for."),
    to: z
      .array(DnsLabelSchema.describe("A cluster."))
      .min(1, { message: "must name at least one cluster" })
      .max(32, { message: "must have at most 32 entries" })
      .describe("Clusters to fail over to when the caller's own cluster has no healthy endpoint, in order of preference; clusters not named come after them."),
  })
  .superRefine((f, ctx) => {
    const self = f.to.indexOf(f.from);
    if (self >= 0) reportIssue(ctx, ["to", self], `must not fail over from "${f.from}" to itself`, "invalid_failover");
    reportDuplicates(ctx, f.to, (c) => c, (i) => ["to", i], "cluster");
  })
  .describe("Where callers in one cluster go, in order, when their own cluster (zone first) has no healthy endpoint (Istio's localityLbSetting.failover, per cluster).");
export type LocalityFailover = z.infer<typeof LocalityFailoverSchema>;

/** A locality: `cluster`, or `cluster/zone` for one zone of it. */
export const LocalityNameSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { message: 'must be "cluster" or "cluster/zone"' })
  .describe('A locality: "cluster", or "cluster/zone" for one zone of it.');

export const LocalityDistributeSchema = z
  .strictObject({
    from: LocalityNameSchema.describe('Callers in this locality ("cluster" or "cluster/zone"; a zone entry wins over its cluster\'s).'),
    to: z
      .record(LocalityNameSchema, int(1, 100).describe("Share of requests in percent."))
      .describe('Share of the callers\' requests per destination locality ("cluster" or "cluster/zone"), in percent; the shares sum to 100.'),
  })
  .superRefine((d, ctx) => {
    const entries = Object.entries(d.to);
    if (entries.length === 0) reportIssue(ctx, ["to"], "must name at least one locality", "required");
    const sum = entries.reduce((total, [, w]) => total + w, 0);
    if (entries.length > 0 && sum !== 100) reportIssue(ctx, ["to"], `weights must sum to 100 (they sum to ${sum})`, "invalid_weight_sum");
  })
  .describe("Weighted locality distribution (Istio's localityLbSetting.distribute): what share of one locality's calls each locality serves.");
export type LocalityDistribute = z.infer<typeof LocalityDistributeSchema>;

export const LoadBalancerSchema = z
  .strictObject({
    algorithm: LoadBalancingAlgorithmSchema.default("EWMA"),
    ringHash: z
      .strictObject({
        hashOn: HashOnSchema,
        minimumRingSize: int(1, 8_388_608).default(1024).describe("Minimum number of entries on the hash ring. Default 1024."),
      })
      .optional()
      .describe("Consistent hashing settings; required with RING_HASH."),
    locality: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Prefer endpoints in the caller's zone, then its cluster, then other clusters. Default true."),
        failover: z.array(LocalityFailoverSchema).max(32, { message: "must have at most 32 entries" }).optional().describe("Explicit failover order between clusters, per calling cluster."),
        distribute: z
          .array(LocalityDistributeSchema)
          .max(32, { message: "must have at most 32 entries" })
          .optional()
          .describe("Weighted locality distribution per calling locality; replaces the zone → cluster → other clusters order for those callers."),
      })
      .superRefine((l, ctx) => {
        reportDuplicates(ctx, l.failover, (f) => f.from, (i) => ["failover", i, "from"], "failover cluster");
        reportDuplicates(ctx, l.distribute, (d) => d.from, (i) => ["distribute", i, "from"], "distribute locality");
        if (l.failover && l.distribute) reportIssue(ctx, ["distribute"], "only one of failover or distribute may be set", "conflicting_settings");
        if (!l.enabled && (l.failover || l.distribute))
          reportIssue(ctx, [l.failover ? "failover" : "distribute"], "has no effect with enabled: false", "unused_setting");
      })
      .optional()
      .describe("Locality-aware routing and failover."),
    slowStart: z
      .strictObject({
        window: boundedDuration({ minMs: 1 }).describe("How long a new endpoint's share of traffic ramps up from almost nothing to full."),
      })
      .optional()
      .describe("Ramp traffic up gradually to new endpoints."),
  })
  .superRefine((lb, ctx) => {
    if (lb.algorithm === "RING_HASH" && !lb.ringHash) reportIssue(ctx, ["ringHash"], "is required when algorithm is RING_HASH", "required");
    if (lb.algorithm !== "RING_HASH" && lb.ringHash) reportIssue(ctx, ["ringHash"], `has no effect with algorithm ${lb.algorithm}; use RING_HASH`, "unused_setting");
    if (lb.algorithm === "RING_HASH" && lb.slowStart)
      reportIssue(ctx, ["slowStart"], "is not available with RING_HASH (hashing ignores endpoint weights)", "unused_setting");
  })
  .describe("How an endpoint is picked for each request.");

export const PolicyTimeoutsSchema = z
  .strictObject({
    connect: DurationSchema.optional().describe("Timeout for opening a connection to an endpoint."),
    idle: DurationSchema.optional().describe("Time after which an idle connection is closed."),
    request: DurationSchema.optional().describe("Time a caller waits for a complete response, retries included."),
  })
  .describe("Timeouts for calls to the destination.");

export const RetryBudgetSchema = z
  .strictObject({
    percent: PercentageSchema.default(20).describe("Retries allowed as a percentage of active requests (0 to 100). Default 20."),
    minRetriesPerSecond: int(0).default(10).describe("Retries always allowed per second, whatever the percentage. Default 10."),
  })
  .describe("Caps retries so they cannot multiply an outage.");

export const PolicyRetriesSchema = z
  .strictObject({ ...retryShape, budget: RetryBudgetSchema.optional() })
  .superRefine(checkRetry)
  .describe("How failed calls to the destination are retried.");

/** Envoy's default circuit-breaker thresholds. */
export const CIRCUIT_BREAKER_DEFAULTS = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 } as const;

export const CircuitBreakerSchema = z
  .strictObject({
    maxConnections: int(1).default(CIRCUIT_BREAKER_DEFAULTS.maxConnections).describe("Maximum connections to the destination from one proxy. Default 1024."),
    maxPendingRequests: int(1).default(CIRCUIT_BREAKER_DEFAULTS.maxPendingRequests).describe("Maximum requests waiting for a connection. Default 1024."),
    maxRequests: int(1).default(CIRCUIT_BREAKER_DEFAULTS.maxRequests).describe("Maximum requests in flight. Default 1024."),
    maxRetries: int(0).default(CIRCUIT_BREAKER_DEFAULTS.maxRetries).describe("Maximum retries in flight. Default 3."),
  })
  .describe("Limits beyond which calls fail fast with 503 instead of queueing.");

export const OutlierDetectionSchema = z
  .strictObject({
    consecutive5xx: int(1).default(5).describe("Eject an endpoint after this many consecutive 5xx responses. Default 5."),
    consecutiveGatewayErrors: int(1).optional().describe("Eject an endpoint after this many consecutive 502/503/504 responses; off when omitted."),
    interval: boundedDuration({ minMs: 1 }).default("10s").describe("How often ejection decisions are made. Default 10s."),
    baseEjectionTime: boundedDuration({ minMs: 1 }).default("30s").describe("Ejection time, multiplied by the number of times the endpoint was ejected. Default 30s."),
    maxEjectionTime: boundedDuration({ minMs: 1 }).default("300s").describe("Longest ejection time. Default 300s."),
    maxEjectionPercent: PercentageSchema.default(10).describe("Largest share of endpoints ejected at once (0 to 100). Default 10."),
    successRate: z
      .strictObject({
        minimumHosts: int(1).default(5).describe("Endpoints with enough requests needed before success-rate ejection runs. Default 5."),
        requestVolume: int(1).default(100).describe("Requests an endpoint needs in an interval to be judged. Default 100."),
        stdevFactor: z.number().positive({ message: "must be greater than 0" }).default(1.9).describe("Eject endpoints whose success rate is below mean − stdevFactor × standard deviation. Default 1.9."),
      })
      .optional()
      .describe("Eject endpoints whose success rate is far below the others'; off when omitted."),
  })
  .superRefine((o, ctx) => {
    const base = parseDuration(o.baseEjectionTime);
    const max = parseDuration(o.maxEjectionTime);
    if (base !== undefined && max !== undefined && max < base) reportIssue(ctx, ["maxEjectionTime"], "must not be shorter than baseEjectionTime", "invalid_ejection_time");
  })
  .describe("Passive health checking: eject misbehaving endpoints from load balancing.");

export const ConnectionPoolSchema = z
  .strictObject({
    maxRequestsPerConnection: int(1).optional().describe("Close a connection after this many requests; unlimited when omitted."),
    idleTimeout: DurationSchema.optional().describe("Close a connection idle this long."),
    http2MaxConcurrentStreams: int(1).optional().describe("Maximum concurrent streams on one HTTP/2 connection."),
  })
  .describe("Connection reuse settings.");

export const RateLimitKeySchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("Route").describe("One bucket per route rule."),
      route: z
        .strictObject({
          name: DnsSubdomainSchema.describe("Name of the HTTPRoute."),
          rule: DnsLabelSchema.optional().describe("Name of the rule; every rule of the route when omitted."),
        })
        .optional()
        .describe("Limit only this route (or rule); every route to the destination when omitted."),
    }),
    z.strictObject({
      type: z.literal("SourceIdentity").describe("One bucket per calling workload identity."),
      identities: z.array(IdentityPatternSchema.describe("A SPIFFE ID pattern.")).optional().describe("Limit only callers matching these patterns; every caller when omitted."),
    }),
    z.strictObject({
      type: z.literal("Header").describe("One bucket per distinct value of a request header."),
      header: HeaderNameSchema.describe("The header whose value selects the bucket; requests without it are not limited."),
    }),
  ])
  .describe("What gets its own bucket.");

export const TokenBucketSchema = z
  .strictObject({
    requests: int(1).describe("Tokens added per interval: the sustained rate."),
    per: boundedDuration({ minMs: 50 }).describe("The refill interval (at least 50ms)."),
    burst: int(1).optional().describe("Bucket size: requests allowed at once after a quiet period; equal to requests when omitted."),
  })
  .superRefine((b, ctx) => {
    if (b.burst !== undefined && b.burst < b.requests) reportIssue(ctx, ["burst"], "must be at least requests (the bucket must hold one refill)", "invalid_burst");
  })
  .describe("A token bucket: requests beyond it are answered 429.");

export const LocalRateLimitSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the limit, unique within the policy; shown in metrics."),
    key: RateLimitKeySchema,
    tokenBucket: TokenBucketSchema,
  })
  .describe("A limit enforced by each destination proxy on its own.");

export const GlobalRateLimitSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the limit, unique within the policy; shown in metrics."),
    key: RateLimitKeySchema,
    requests: int(1).describe("Requests allowed per unit across all proxies."),
    unit: z.enum(["second", "minute", "hour", "day"]).describe("The window of the limit."),
  })
  .describe("A limit shared by all proxies of the destination, counted in Redis.");

export const RateLimitsSchema = z
  .strictObject({
    local: z.array(LocalRateLimitSchema).max(16, { message: "must have at most 16 entries" }).optional().describe("Per-proxy token buckets."),
    global: z
      .strictObject({
        redis: z
          .strictObject({
            address: z
              .string()
              .regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/, { message: 'must be "host:port"' })
              .describe('Redis address, "host:port".'),
            tls: z.boolean().default(false).describe("Connect to Redis over TLS. Default false."),
          })
          .describe("The Redis server holding the counters."),
        failOpen: z.boolean().default(true).describe("Allow requests when Redis is unreachable (true) or reject them with 429 (false). Default true."),
        timeout: DurationSchema.default("20ms").describe("How long a proxy waits for Redis before applying failOpen. Default 20ms."),
        limits: z.array(GlobalRateLimitSchema).min(1, { message: "must have at least one limit" }).max(16, { message: "must have at most 16 entries" }).describe("The limits."),
      })
      .optional()
      .describe("Limits shared across proxies."),
  })
  .superRefine((r, ctx) => {
    const all = [...(r.local ?? []).map((l, i) => ({ name: l.name, path: ["local", i, "name"] })), ...(r.global?.limits ?? []).map((l, i) => ({ name: l.name, path: ["global", "limits", i, "name"] }))];
    reportDuplicates(ctx, all, (l) => l.name, (i) => all[i]?.path ?? [], "rate limit name");
  })
  .describe("Rate limits on calls to the destination.");

const healthCheckCommon = {
  interval: boundedDuration({ minMs: 100 }).default("10s").describe("Time between checks (at least 100ms). Default 10s."),
  timeout: boundedDuration({ minMs: 1 }).default("1s").describe("Time a check may take; at most interval. Default 1s."),
  healthyThreshold: int(1, 100).default(2).describe("Consecutive successes before an unhealthy endpoint is healthy again. Default 2."),
  unhealthyThreshold: int(1, 100).default(3).describe("Consecutive failures before an endpoint is unhealthy. Default 3."),
  port: PortNumberSchema.optional().describe("Port to check; the serving port when omitted."),
};

export const HealthCheckSchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("HTTP").describe("An HTTP GET request."),
      ...healthCheckCommon,
      http: z
        .strictObject({
          path: z.string().startsWith("/", { message: 'must start with "/"' }).describe("Path requested."),
          host: z.string().optional().describe("Host header; the service name when omitted."),
          expectedStatuses: z
            .array(int(100, 599).describe("An HTTP status."))
            .min(1, { message: "must list at least one status" })
            .default([200])
            .describe("Statuses that count as healthy. Default [200]."),
        })
        .describe("The HTTP check."),
    }),
    z.strictObject({ type: z.literal("TCP").describe("A TCP connection is opened and closed."), ...healthCheckCommon }),
    z.strictObject({
      type: z.literal("GRPC").describe("The gRPC health checking protocol (grpc.health.v1)."),
      ...healthCheckCommon,
      grpc: z
        .strictObject({ service: z.string().optional().describe("Service name sent in the check; the server's overall health when omitted.") })
        .optional()
        .describe("The gRPC check."),
    }),
  ])
  .superRefine((h, ctx) => {
    const interval = parseDuration(h.interval);
    const timeout = parseDuration(h.timeout);
    if (interval !== undefined && timeout !== undefined && timeout > interval) reportIssue(ctx, ["timeout"], "must not be longer than interval", "invalid_timeout");
  })
  .describe("An active health check of each endpoint.");
export type HealthCheck = z.infer<typeof HealthCheckSchema>;

export const TrafficPolicySpecSchema = z
  .strictObject({
    targetRef: PolicyTargetSchema,
    loadBalancer: LoadBalancerSchema.optional(),
    timeouts: PolicyTimeoutsSchema.optional(),
    retries: PolicyRetriesSchema.optional(),
    circuitBreaker: CircuitBreakerSchema.optional(),
    outlierDetection: OutlierDetectionSchema.optional(),
    connectionPool: ConnectionPoolSchema.optional(),
    rateLimits: RateLimitsSchema.optional(),
    healthChecks: z.array(HealthCheckSchema).max(4, { message: "must have at most 4 entries" }).optional().describe("Active health checks; an endpoint is healthy only when all pass."),
  })
  .describe("How callers reach the destination: load balancing, timeouts, retries, limits and health checking.");

/** Client-side traffic settings for one destination service (optionally one version and/or port). */
export const TrafficPolicySchema = defineResource({
  kind: "TrafficPolicy",
  metadata: MetadataSchema,
  spec: TrafficPolicySpecSchema,
  description: "Traffic settings for calls to one destination service, version or port.",
});
export type TrafficPolicy = z.infer<typeof TrafficPolicySchema>;
export type TrafficPolicyInput = z.input<typeof TrafficPolicySchema>;
