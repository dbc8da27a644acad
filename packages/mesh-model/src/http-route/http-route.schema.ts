import { z } from "zod";
import { DurationSchema, parseDuration } from "../common/duration.ts";
import { HttpMethodSchema } from "../common/http-method.schema.ts";
import { reportDuplicates, reportIssue } from "../common/issues.ts";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema, HeaderNameSchema, HostnameSchema, PercentageSchema, PortNumberSchema } from "../common/names.ts";
import { BackendKindSchema } from "../common/references.ts";
import { RetrySchema } from "../common/retry.schema.ts";
import { regexError } from "./regex.ts";

function regexCheck(value: { type: string; value: string }, ctx: z.RefinementCtx): void {
  if (value.type !== "RegularExpression") return;
  const error = regexError(value.value);
  if (error) reportIssue(ctx, ["value"], `invalid regular expression: ${error}`, "invalid_regex");
}

export const PathMatchTypeSchema = z
  .enum(["Exact", "PathPrefix", "RegularExpression"])
  .describe(
    "Exact: the path equals value; PathPrefix: the path starts with value on '/' boundaries (/api matches /api and /api/x, not /apix; a trailing '/' is ignored); RegularExpression: an ECMAScript regular expression matching the whole path.",
  );

export const PathMatchSchema = z
  .strictObject({
    type: PathMatchTypeSchema.default("PathPrefix"),
    value: z.string().min(1, { message: "must not be empty" }).max(1024, { message: "must be at most 1024 characters" }).default("/").describe("The path, prefix or regular expression to match."),
  })
  .superRefine((match, ctx) => {
    if (match.type === "RegularExpression") return regexCheck(match, ctx);
    if (!match.value.startsWith("/")) reportIssue(ctx, ["value"], 'must start with "/"', "invalid_path");
    else if (/[?#]/.test(match.value)) reportIssue(ctx, ["value"], 'must not contain "?" or "#" (match query parameters with queryParams)', "invalid_path");
    else if (match.value.includes("//")) reportIssue(ctx, ["value"], 'must not contain "//"', "invalid_path");
  })
  .describe("Match on the request path.");
export type PathMatch = z.infer<typeof PathMatchSchema>;

export const StringMatchTypeSchema = z
  .enum(["Exact", "RegularExpression"])
  .describe("Exact: the value equals value; RegularExpression: an ECMAScript regular expression matching the whole value.");

export const HeaderMatchSchema = z
  .strictObject({
    type: StringMatchTypeSchema.default("Exact"),
    name: HeaderNameSchema.describe("Header name, matched case-insensitively."),
    value: z.string().max(4096, { message: "must be at most 4096 characters" }).describe("Value or regular expression to match."),
  })
  .superRefine(regexCheck)
  .describe("Match on a request header.");
export type HeaderMatch = z.infer<typeof HeaderMatchSchema>;

export const QueryParamMatchSchema = z
  .strictObject({
    type: StringMatchTypeSchema.default("Exact"),
    name: z.string().min(1, { message: "must not be empty" }).max(256, { message: "must be at most 256 characters" }).describe("Query parameter name, matched case-sensitively."),
    value: z.string().max(1024, { message: "must be at most 1024 characters" }).describe("Value or regular expression to match."),
  })
  .superRefine(regexCheck)
  .describe("Match on a query parameter.");
export type QueryParamMatch = z.infer<typeof QueryParamMatchSchema>;

export const RouteMatchSchema = z
  .strictObject({
    path: PathMatchSchema.optional(),
    headers: z.array(HeaderMatchSchema).max(16, { message: "must have at most 16 entries" }).optional().describe("Headers that must all match."),
    queryParams: z.array(QueryParamMatchSchema).max(16, { message: "must have at most 16 entries" }).optional().describe("Query parameters that must all match."),
    method: HttpMethodSchema.optional(),
  })
  .superRefine((match, ctx) => {
    reportDuplicates(ctx, match.headers, (h) => h.name.toLowerCase(), (i) => ["headers", i, "name"], "header");
    reportDuplicates(ctx, match.queryParams, (q) => q.name, (i) => ["queryParams", i, "name"], "query parameter");
  })
  .describe("Conditions a request must all meet; an empty match (or no path) matches every path.");
export type RouteMatch = z.infer<typeof RouteMatchSchema>;

const HeaderValueSchema = z
  .strictObject({
    name: HeaderNameSchema.describe("Header name."),
    value: z
      .string()
      .max(4096, { message: "must be at most 4096 characters" })
      .refine((v) => !/[\r\n\0]/.test(v), { message: "must not contain CR, LF or NUL", params: { code: "invalid_header_value" } })
      .describe("Header value."),
  })
  .describe("A header name and value.");

export const HeaderModifierSchema = z
  .strictObject({
    set: z.array(HeaderValueSchema).max(16, { message: "must have at most 16 entries" }).optional().describe("Headers to set, replacing any existing value."),
    add: z.array(HeaderValueSchema).max(16, { message: "must have at most 16 entries" }).optional().describe("Headers to append to, keeping existing values."),
    remove: z.array(HeaderNameSchema.describe("Header name.")).max(16, { message: "must have at most 16 entries" }).optional().describe("Header names to remove."),
  })
  .superRefine((mod, ctx) => {
    reportDuplicates(ctx, mod.set, (h) => h.name.toLowerCase(), (i) => ["set", i, "name"], "header");
    reportDuplicates(ctx, mod.add, (h) => h.name.toLowerCase(), (i) => ["add", i, "name"], "header");
    reportDuplicates(ctx, mod.remove, (h) => h.toLowerCase(), (i) => ["remove", i], "header");
    const removed = new Set(mod.remove?.map((h) => h.toLowerCase()));
    mod.set?.forEach((h, i) => {
      if (removed.has(h.name.toLowerCase())) reportIssue(ctx, ["set", i, "name"], `header "${h.name}" is both set and removed`, "conflicting_header");
    });
  })
  .describe("Header changes: set, add and remove.");
export type HeaderModifier = z.infer<typeof HeaderModifierSchema>;

export const PathModifierSchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("ReplaceFullPath").describe("Replace the whole path."),
      replaceFullPath: z.string().startsWith("/", { message: 'must start with "/"' }).describe("The new path."),
    }),
    z.strictObject({
      type: z.literal("ReplacePrefixMatch").describe("Replace the part of the path matched by the rule's PathPrefix match."),
      replacePrefixMatch: z.string().startsWith("/", { message: 'must start with "/"' }).describe("The new prefix."),
    }),
  ])
  .describe("How the path is rewritten.");
export type PathModifier = z.infer<typeof PathModifierSchema>;

/** gRPC status names and their numeric codes, for fault injection. */
export const GRPC_STATUS_CODES = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
const GRPC_STATUS_NAMES = Object.keys(GRPC_STATUS_CODES) as [keyof typeof GRPC_STATUS_CODES, ...(keyof typeof GRPC_STATUS_CODES)[]];

/** The header filters: allowed on a rule and on a single backend. */
const HEADER_FILTERS = [
  z.strictObject({
    type: z.literal("RequestHeaderModifier").describe("Change request headers."),
    requestHeaderModifier: HeaderModifierSchema,
  }),
  z.strictObject({
    type: z.literal("ResponseHeaderModifier").describe("Change response headers."),
    responseHeaderModifier: HeaderModifierSchema,
  }),
] as const;

/** Filters a single backend may carry (Gateway API HTTPBackendRef.filters): header changes only. */
export const BackendFilterSchema = z
  .discriminatedUnion("type", [...HEADER_FILTERS])
  .describe("A change applied only to requests sent to this backend (and its responses), after the rule's filters.");
export type BackendFilter = z.infer<typeof BackendFilterSchema>;

/** A backend: a service (optionally one version subset) or an ExternalService, with a weight. */
export const BackendRefSchema = z
  .strictObject({
    kind: BackendKindSchema.default("Service"),
    name: DnsLabelSchema.describe("Name of the service or ExternalService."),
    namespace: DnsLabelSchema.optional().describe("Namespace of the backend; the route's namespace when omitted."),
    port: PortNumberSchema.optional().describe("Port of the backend; the port the request arrived on when omitted."),
    version: DnsLabelSchema.optional().describe("Version subset of the service (the workloads' version label); all versions when omitted."),
    weight: z
      .number()
      .int({ message: "must be an integer" })
      .min(0, { message: "must be between 0 and 1000000" })
      .max(1_000_000, { message: "must be between 0 and 1000000" })
      .default(1)
      .describe("Relative share of the rule's requests this backend receives (0 to 1000000). Default 1; 0 sends it none."),
    filters: z.array(BackendFilterSchema).max(4, { message: "must have at most 4 entries" }).optional().describe("Filters applied only when this backend is picked, after the rule's filters."),
  })
  .superRefine((ref, ctx) => {
    if (ref.kind === "ExternalService" && ref.version !== undefined)
      reportIssue(ctx, ["version"], "only mesh services have version subsets", "invalid_backend");
    const types = new Map<string, number>();
    ref.filters?.forEach((f, i) => {
      const earlier = types.get(f.type);
      if (earlier !== undefined) reportIssue(ctx, ["filters", i, "type"], `${f.type} may appear only once per backend (already at filters[${earlier}])`, "duplicate_filter");
      else types.set(f.type, i);
    });
  })
  .describe("Where matching requests are sent.");
export type BackendRef = z.infer<typeof BackendRefSchema>;

const MirrorBackendSchema = z
  .strictObject({
    kind: BackendKindSchema.default("Service"),
    name: DnsLabelSchema.describe("Name of the service or ExternalService."),
    namespace: DnsLabelSchema.optional().describe("Namespace of the backend; the route's namespace when omitted."),
    port: PortNumberSchema.optional().describe("Port of the backend; the port the request arrived on when omitted."),
    version: DnsLabelSchema.optional().describe("Version subset of the service; all versions when omitted."),
  })
  .describe("Where copies of requests are sent; responses are discarded.");

export const FaultInjectionSchema = z
  .strictObject({
    delay: z
      .strictObject({
        fixedDelay: DurationSchema.describe("How long to delay the request before forwarding it."),
        percentage: PercentageSchema.default(100).describe("Percentage of requests delayed (0 to 100). Default 100."),
      })
      .optional()
      .describe("Delay requests."),
    abort: z
      .strictObject({
        httpStatus: z
          .number()
          .int({ message: "must be an integer" })
          .min(200, { message: "must be an HTTP status between 200 and 599" })
          .max(599, { message: "must be an HTTP status between 200 and 599" })
          .optional()
          .describe("HTTP status returned to the caller."),
        grpcStatus: z.enum(GRPC_STATUS_NAMES).optional().describe("gRPC status returned to the caller (for gRPC requests)."),
        percentage: PercentageSchema.default(100).describe("Percentage of requests aborted (0 to 100). Default 100."),
      })
      .superRefine((abort, ctx) => {
        const count = Number(abort.httpStatus !== undefined) + Number(abort.grpcStatus !== undefined);
        if (count !== 1) reportIssue(ctx, [], "must set exactly one of httpStatus and grpcStatus", "invalid_fault");
      })
      .optional()
      .describe("Answer requests with an error instead of forwarding them."),
    headers: z.array(HeaderMatchSchema).max(16, { message: "must have at most 16 entries" }).optional().describe("Inject faults only into requests with all these headers; all requests when omitted."),
  })
  .superRefine((fault, ctx) => {
    if (!fault.delay && !fault.abort) reportIssue(ctx, [], "must set delay, abort or both", "invalid_fault");
  })
  .describe("Inject delays or errors, for resilience testing.");
export type FaultInjection = z.infer<typeof FaultInjectionSchema>;

export const RouteFilterSchema = z
  .discriminatedUnion("type", [
    ...HEADER_FILTERS,
    z.strictObject({
      type: z.literal("URLRewrite").describe("Rewrite the host and/or path before forwarding."),
      urlRewrite: z
        .strictObject({
          hostname: HostnameSchema.refine((h) => !h.startsWith("*"), { message: "must not be a wildcard", params: { code: "invalid_hostname" } })
            .optional()
            .describe("New Host header."),
          path: PathModifierSchema.optional(),
        })
        .describe("The rewrite."),
    }),
    z.strictObject({
      type: z.literal("RequestRedirect").describe("Answer with an HTTP redirect instead of forwarding."),
      requestRedirect: z
        .strictObject({
          scheme: z.enum(["http", "https"]).optional().describe("Scheme of the redirect location; the request's when omitted."),
          hostname: HostnameSchema.refine((h) => !h.startsWith("*"), { message: "must not be a wildcard", params: { code: "invalid_hostname" } })
            .optional()
            .describe("Host of the redirect location; the request's when omitted."),
          path: PathModifierSchema.optional(),
          port: PortNumberSchema.optional().describe("Port of the redirect location; derived from the scheme when omitted."),
          statusCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).default(302).describe("Redirect status: 301, 302, 303, 307 or 308. Default 302."),
        })
        .describe("The redirect."),
    }),
    z.strictObject({
      type: z.literal("RequestMirror").describe("Send a copy of requests to another backend."),
      requestMirror: z
        .strictObject({
          backendRef: MirrorBackendSchema,
          percent: PercentageSchema.default(100).describe("Percentage of requests mirrored (0 to 100). Default 100."),
        })
        .describe("The mirror."),
    }),
    z.strictObject({
      type: z.literal("FaultInjection").describe("Inject delays or errors."),
      faultInjection: FaultInjectionSchema,
    }),
  ])
  .describe("A change applied to requests or responses of the rule.");
export type RouteFilter = z.infer<typeof RouteFilterSchema>;
export type RouteFilterType = RouteFilter["type"];

export const RouteTimeoutsSchema = z
  .strictObject({
    request: DurationSchema.optional().describe("Time the caller waits for a complete response, retries included."),
    backendRequest: DurationSchema.optional().describe("Time one attempt at a backend may take; at most request."),
  })
  .superRefine((t, ctx) => {
    const request = t.request !== undefined ? parseDuration(t.request) : undefined;
    const backend = t.backendRequest !== undefined ? parseDuration(t.backendRequest) : undefined;
    // Gateway API: a zero request timeout disables it, so it bounds nothing.
    if (request !== undefined && request > 0 && backend !== undefined && backend > request)
      reportIssue(ctx, ["backendRequest"], "must not be longer than request", "invalid_timeouts");
  })
  .describe('Timeouts of the rule; "0s" disables one.');

const EXCLUSIVE_FILTERS: readonly [RouteFilterType, RouteFilterType][] = [["RequestRedirect", "URLRewrite"]];
const REPEATABLE_FILTERS: ReadonlySet<RouteFilterType> = new Set(["RequestMirror"]);

export const RouteRuleSchema = z
  .strictObject({
    name: DnsLabelSchema.optional().describe("Name of the rule, unique within the route; shown in metrics and used by rate limits."),
    matches: z
      .array(RouteMatchSchema)
      .max(64, { message: "must have at most 64 entries" })
      .optional()
      .describe("The rule applies when any one of these matches; every request when omitted or empty."),
    filters: z.array(RouteFilterSchema).max(16, { message: "must have at most 16 entries" }).optional().describe("Filters applied in order to matching requests."),
    backendRefs: z
      .array(BackendRefSchema)
      .max(16, { message: "must have at most 16 entries" })
      .optional()
      .describe("Backends sharing the rule's requests by weight. A rule without backends (and without a redirect) answers 500."),
    timeouts: RouteTimeoutsSchema.optional(),
    retry: RetrySchema.optional(),
    clusters: z
      .array(DnsLabelSchema.describe("A cluster."))
      .min(1, { message: "must name at least one cluster" })
      .max(64, { message: "must have at most 64 entries" })
      .optional()
      .describe("Only the proxies of these clusters apply the rule; every cluster when omitted. Rollouts use it to move traffic cluster by cluster."),
  })
  .superRefine((rule, ctx) => {
    reportDuplicates(ctx, rule.clusters, (c) => c, (i) => ["clusters", i], "cluster");
    const filters = rule.filters ?? [];
    const firstIndex = new Map<RouteFilterType, number>();
    filters.forEach((filter, index) => {
      const earlier = firstIndex.get(filter.type);
      if (earlier !== undefined && !REPEATABLE_FILTERS.has(filter.type))
        reportIssue(ctx, ["filters", index, "type"], `${filter.type} may appear only once per rule (already at filters[${earlier}])`, "duplicate_filter");
      if (earlier === undefined) firstIndex.set(filter.type, index);
    });
    for (const [a, b] of EXCLUSIVE_FILTERS) {
      const ai = firstIndex.get(a);
      const bi = firstIndex.get(b);
      if (ai !== undefined && bi !== undefined)
        reportIssue(ctx, ["filters", Math.max(ai, bi), "type"], `${a} and ${b} cannot be used in the same rule`, "exclusive_filters");
    }
    const redirect = firstIndex.get("RequestRedirect");
    if (redirect !== undefined && (rule.backendRefs?.length ?? 0) > 0)
      reportIssue(ctx, ["backendRefs"], "a rule with a RequestRedirect filter answers every request itself; remove backendRefs or the redirect", "exclusive_filters");
    // Gateway API: ReplacePrefixMatch needs a PathPrefix match to know which prefix to replace.
    filters.forEach((filter, index) => {
      const path =
        filter.type === "URLRewrite" ? filter.urlRewrite.path : filter.type === "RequestRedirect" ? filter.requestRedirect.path : undefined;
      if (path?.type !== "ReplacePrefixMatch") return;
      const bad = (rule.matches ?? []).findIndex((m) => m.path !== undefined && m.path.type !== "PathPrefix");
      if (bad >= 0)
        reportIssue(
          ctx,
          ["filters", index, filter.type === "URLRewrite" ? "urlRewrite" : "requestRedirect", "path", "type"],
          `ReplacePrefixMatch needs every match to use a PathPrefix path match (matches[${bad}] does not)`,
          "invalid_rewrite",
        );
    });
  })
  .describe("Requests that match are filtered and sent to the backends.");
export type RouteRule = z.infer<typeof RouteRuleSchema>;

export const ParentRefSchema = z
  .strictObject({
    kind: z.enum(["Service", "Gateway"]).default("Service").describe("Service: the route applies to calls to this mesh service; Gateway: the route is served by this Gateway's listeners."),
    name: DnsLabelSchema.describe("Name of the service or Gateway."),
    namespace: DnsLabelSchema.optional().describe("Namespace of the parent; the route's namespace when omitted."),
    port: PortNumberSchema.optional().describe("Only calls to this port (Service) or this listener port (Gateway); all ports when omitted."),
    sectionName: DnsLabelSchema.optional().describe("Name of the Gateway listener; all listeners when omitted. Only for Gateway parents."),
  })
  .superRefine((ref, ctx) => {
    if (ref.kind === "Service" && ref.sectionName !== undefined)
      reportIssue(ctx, ["sectionName"], "only Gateway parents have listeners (sections)", "invalid_parent");
  })
  .describe("What the route is attached to.");
export type ParentRef = z.infer<typeof ParentRefSchema>;

export const HTTPRouteSpecSchema = z
  .strictObject({
    parentRefs: z
      .array(ParentRefSchema)
      .min(1, { message: "must name at least one parent" })
      .max(32, { message: "must have at most 32 entries" })
      .describe("The services (or Gateways) whose traffic this route handles."),
    hostnames: z.array(HostnameSchema.describe("A host name.")).max(16, { message: "must have at most 16 entries" }).optional().describe("Host headers the route answers to on Gateway parents; all hosts when omitted."),
    rules: z
      .array(RouteRuleSchema)
      .min(1, { message: "must have at least one rule" })
      .max(64, { message: "must have at most 64 entries" })
      .describe(
        "Rules. Among the matches that match a request, the most specific wins (Gateway API precedence): an Exact path, then regular expressions (longest first), then the longest PathPrefix; then a method; then most headers; then most query parameters; then the earlier rule.",
      ),
  })
  .superRefine((spec, ctx) => {
    reportDuplicates(ctx, spec.rules, (r) => r.name, (i) => ["rules", i, "name"], "rule name");
    reportDuplicates(
      ctx,
      spec.parentRefs,
      (p) => `${p.kind}/${p.namespace ?? ""}/${p.name}:${p.port ?? ""}/${p.sectionName ?? ""}`,
      (i) => ["parentRefs", i],
      "parent",
    );
  })
  .describe("How requests to a service are matched, changed and split across backends.");

/** A route attached to a service (or Gateway), shaped like the Kubernetes Gateway API HTTPRoute. */
export const HTTPRouteSchema = defineResource({
  kind: "HTTPRoute",
  metadata: MetadataSchema,
  spec: HTTPRouteSpecSchema,
  description: "HTTP routing for a service: matches, filters, weighted backends, timeouts and retries.",
});
export type HTTPRoute = z.infer<typeof HTTPRouteSchema>;
export type HTTPRouteInput = z.input<typeof HTTPRouteSchema>;
