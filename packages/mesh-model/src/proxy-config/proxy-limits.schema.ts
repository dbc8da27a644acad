// Request parsing limits, telemetry (access log, tracing) and rate limits.
import { z } from "zod";
import { DurationMsSchema, HeaderNameSchema } from "./proxy-primitives.schema.ts";
import { RouteMatchSchema } from "./proxy-routes.schema.ts";

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

