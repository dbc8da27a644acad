// Virtual hosts and their routes: matches, filters, weighted backends,
// timeouts and retries. Field names follow Gateway API, so a compiled route
// reads like the HTTPRoute it came from.
import { z } from "zod";
import { HttpMethodSchema } from "../common/http-method.schema.ts";
import { DurationMsSchema, HeaderNameSchema, HeaderValueSchema, NameSchema, PortSchema, RegexSchema, compiles } from "./proxy-primitives.schema.ts";

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
  .enum(["5xx", "gateway-error", "reset", "connect-failure", "refused-stream"])
  .describe(
    "5xx: any 5xx response or failure; gateway-error: 502, 503, 504; reset: connection reset or closed before the response (a refused stream included); connect-failure: cannot connect (includes connect timeout); refused-stream: an HTTP/2 upstream refused the stream unprocessed (RST_STREAM REFUSED_STREAM, or above a GOAWAY's last stream id).",
  );
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

/**
 * The retry a rule gets when nothing configures one (the compiler writes it
 * into every rule without a policy of its own): one more attempt, on another
 * endpoint, when the connection could not be made or an HTTP/2 upstream
 * refused the stream (REFUSED_STREAM, or a GOAWAY below the stream: RFC 9113
 * §8.7 guarantees it did no processing). The upstream never processed the
 * request, so it is safe for any method; a body is never buffered for it
 * (the proxy retries only while the body is still unsent, or buffered anyway).
 * Istio's default is wider (503s, resets, gRPC unavailable); this is the part
 * that cannot run a request twice. The backend's retry budget still applies.
 */
export const UNSENT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 2,
  retryOn: ["connect-failure", "refused-stream"],
  statusCodes: [],
  grpcStatusCodes: [],
  backoff: { baseMs: 25, maxMs: 250 },
};

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

