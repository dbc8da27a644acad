// The Rollout kind (issue 14): how the manager moves a service's traffic from
// its stable version to a canary version, step by step, judged on live
// telemetry. Weft moves traffic; it does not build or scale workloads — both
// versions already run. The controller's decisions are in rollout-plan.ts,
// the verdicts in rollout-analysis.ts, the route it writes in rollout-route.ts.
import { z } from "zod";
import { boundedDuration, parseDuration } from "../common/duration.ts";
import { reportDuplicates, reportIssue } from "../common/issues.ts";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema, DnsSubdomainSchema, PercentageSchema } from "../common/names.ts";
import { HeaderMatchSchema, QueryParamMatchSchema } from "../http-route/http-route.schema.ts";

const int = (min: number, max: number) =>
  z
    .number()
    .int({ message: "must be an integer" })
    .min(min, { message: `must be between ${min} and ${max}` })
    .max(max, { message: `must be between ${min} and ${max}` });

/** RFC 6265 cookie-name: an HTTP token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 cookie-octet: printable ASCII without space, DQUOTE, comma, semicolon and backslash. */
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

export const CookieNameSchema = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(128, { message: "must be at most 128 characters" })
  .regex(COOKIE_NAME, { message: "must be a valid cookie name (an HTTP token: no spaces, '=', ';' or separators)" });

/** A share of traffic in percent: 0 to 100, whole numbers. */
export const RolloutWeightSchema = int(0, 100).describe("Share of the requests the canary receives, in percent (0 to 100).");

export const RolloutServiceSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the service whose traffic moves; it lives in the Rollout's namespace."),
  })
  .describe("The service rolled out.");

export const RolloutVersionSchema = z
  .strictObject({
    version: DnsLabelSchema.describe("Version subset: the `version` label of the service's endpoints."),
  })
  .describe("One version of the service.");

export const CanaryStepSchema = z
  .strictObject({
    setWeight: RolloutWeightSchema.optional().describe(
      "Send this share of the requests to the canary; the step lasts one passing analysis interval. 100 promotes the canary and must be the last step.",
    ),
    pause: z
      .strictObject({
        duration: boundedDuration({ minMs: 1000 }).describe('How long to hold the current weight, e.g. "5m"; analysis keeps running and its failures count.'),
      })
      .optional()
      .describe("Hold the current weight for a while."),
    approval: z
      .strictObject({
        reason: z.string().max(500, { message: "must be at most 500 characters" }).optional().describe("What the approver should check, shown with the gate."),
      })
      .optional()
      .describe("A manual gate: hold the current weight until an operator approves (promote) in the dashboard or the CLI."),
  })
  .superRefine((step, ctx) => {
    const set = Number(step.setWeight !== undefined) + Number(step.pause !== undefined) + Number(step.approval !== undefined);
    if (set !== 1) reportIssue(ctx, [], "a step must set exactly one of setWeight, pause and approval", "invalid_step");
  })
  .describe("One canary step: a weight, a pause or a manual gate.");
export type CanaryStep = z.infer<typeof CanaryStepSchema>;

export const CanaryStrategySchema = z
  .strictObject({
    steps: z.array(CanaryStepSchema).min(1, { message: "must have at least one step" }).max(64, { message: "must have at most 64 entries" }).optional().describe("Explicit steps, in order; the last weight must be 100."),
    stepWeight: int(1, 100).optional().describe("Instead of steps: raise the canary's weight by this much per passing interval…"),
    maxWeight: int(1, 100)
      .optional()
      .describe("…up to this weight (default 100); after the last one the canary is promoted to 100."),
  })
  .superRefine((canary, ctx) => {
    if ((canary.steps === undefined) === (canary.stepWeight === undefined)) {
      reportIssue(ctx, [], "set steps, or stepWeight (with an optional maxWeight)", "invalid_strategy");
      return;
    }
    if (canary.steps && canary.maxWeight !== undefined) reportIssue(ctx, ["maxWeight"], "maxWeight goes with stepWeight, not with steps", "invalid_strategy");
    if (canary.stepWeight !== undefined && canary.maxWeight !== undefined && canary.stepWeight > canary.maxWeight)
      reportIssue(ctx, ["stepWeight"], `must not be above maxWeight (${canary.maxWeight})`, "invalid_strategy");
    if (!canary.steps) return;
    const weights = canary.steps.map((s, i) => ({ i, w: s.setWeight })).filter((s): s is { i: number; w: number } => s.w !== undefined);
    const last = weights.at(-1);
    if (!last || last.w !== 100) {
      reportIssue(ctx, ["steps"], `the steps never reach 100 (${last ? `the last weight is ${last.w}` : "no step sets a weight"}); end with setWeight: 100 to promote the canary`, "never_promotes");
      return;
    }
    const first100 = weights.find((s) => s.w === 100);
    if (first100 && first100.i < canary.steps.length - 1)
      reportIssue(ctx, ["steps", first100.i + 1], "setWeight: 100 promotes the canary: it must be the last step", "steps_after_promotion");
  })
  .describe("Shift traffic gradually: explicit steps, or stepWeight up to maxWeight.");
export type CanaryStrategy = z.infer<typeof CanaryStrategySchema>;

export const CookieMatchSchema = z
  .strictObject({
    name: CookieNameSchema.describe("Cookie name."),
    value: z
      .string()
      .max(1024, { message: "must be at most 1024 characters" })
      .regex(COOKIE_VALUE, { message: "must be a valid cookie value (no spaces, quotes, commas, semicolons or backslashes)" })
      .describe("Exact value the cookie must have."),
  })
  .describe("A cookie the request must carry with this value.");

export const RolloutMatchSchema = z
  .strictObject({
    headers: z.array(HeaderMatchSchema).max(16, { message: "must have at most 16 entries" }).optional().describe("Headers that must all match."),
    queryParams: z.array(QueryParamMatchSchema).max(16, { message: "must have at most 16 entries" }).optional().describe("Query parameters that must all match."),
    cookies: z.array(CookieMatchSchema).max(8, { message: "must have at most 8 entries" }).optional().describe("Cookies that must all match (compiled into a match on the Cookie header)."),
  })
  .superRefine((match, ctx) => {
    if (!match.headers?.length && !match.queryParams?.length && !match.cookies?.length) reportIssue(ctx, [], "must set headers, queryParams or cookies", "empty_match");
    if (match.cookies?.length && match.headers?.some((h) => h.name.toLowerCase() === "cookie"))
      reportIssue(ctx, ["cookies"], "cannot be combined with a header match on Cookie", "conflicting_match");
    reportDuplicates(ctx, match.cookies, (c) => c.name, (i) => ["cookies", i, "name"], "cookie");
    reportDuplicates(ctx, match.headers, (h) => h.name.toLowerCase(), (i) => ["headers", i, "name"], "header");
    reportDuplicates(ctx, match.queryParams, (q) => q.name, (i) => ["queryParams", i, "name"], "query parameter");
  })
  .describe("Requests that go to the canary: all conditions must hold.");
export type RolloutMatch = z.infer<typeof RolloutMatchSchema>;

export const ABTestingStrategySchema = z
  .strictObject({
    matches: z.array(RolloutMatchSchema).min(1, { message: "must have at least one entry" }).max(8, { message: "must have at most 8 entries" }).describe("Requests matching any entry go to the canary; all others stay on stable."),
    iterations: int(1, 1000).describe("Passing analysis intervals before the canary is promoted."),
  })
  .describe("A/B testing: chosen requests (a header, a cookie) go to the canary for a number of analysis intervals, then it is promoted.");

export const BlueGreenStrategySchema = z
  .strictObject({
    previewIterations: int(1, 1000).default(1).describe("Passing analysis intervals of the preview before all traffic switches at once. Default 1."),
    previewMatches: z
      .array(RolloutMatchSchema)
      .max(8, { message: "must have at most 8 entries" })
      .optional()
      .describe("Requests that reach the preview (the canary) meanwhile, e.g. a test header; without them the preview gets only mirrored copies (see mirror)."),
  })
  .describe("Blue-green: the canary is previewed (no live traffic but what previewMatches selects), then all traffic switches at once.");

export const MirrorPhaseSchema = z
  .strictObject({
    percent: PercentageSchema.default(100).describe("Share of the live requests copied to the canary (0 to 100). Default 100."),
    iterations: int(1, 1000).default(1).describe("Passing analysis intervals of the mirror phase. Default 1."),
  })
  .describe("A mirror phase before any live traffic: copies of requests go to the canary and its responses are discarded; the copies are analysed on their own.");

export const RolloutStrategySchema = z
  .strictObject({
    canary: CanaryStrategySchema.optional(),
    abTesting: ABTestingStrategySchema.optional(),
    blueGreen: BlueGreenStrategySchema.optional(),
    mirror: MirrorPhaseSchema.optional(),
  })
  .superRefine((s, ctx) => {
    const set = [s.canary, s.abTesting, s.blueGreen].filter((x) => x !== undefined).length;
    if (set !== 1) reportIssue(ctx, [], "set exactly one of canary, abTesting and blueGreen", "invalid_strategy");
  })
  .describe("How traffic moves: exactly one of canary, abTesting and blueGreen, optionally after a mirror phase.");
export type RolloutStrategy = z.infer<typeof RolloutStrategySchema>;

export const SuccessRateMetricSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the check, unique within the rollout."),
    type: z.literal("SuccessRate").describe("Share of the canary's requests that did not fail (5xx or no response), in percent."),
    min: PercentageSchema.describe("The canary's success rate must be at least this (percent, 0 to 100)."),
    maxDropVsStable: PercentageSchema.optional().describe("The canary's success rate may be at most this many percentage points below the stable version's, over the same interval."),
    mode: z.enum(["Blocking", "Advisory"]).default("Blocking").describe("Blocking: a failure counts towards rollback; Advisory: a failure is recorded and shown, nothing more. Default Blocking."),
  })
  .describe("A success-rate check.");

export const LatencyMetricSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the check, unique within the rollout."),
    type: z.enum(["LatencyP99", "LatencyP95"]).describe("The canary's 99th or 95th percentile latency."),
    max: boundedDuration({ minMs: 1 }).describe('The percentile must be at most this, e.g. "500ms".'),
    maxIncreaseVsStable: int(0, 10_000).optional().describe("The canary's percentile may be at most this many percent above the stable version's, over the same interval."),
    mode: z.enum(["Blocking", "Advisory"]).default("Blocking").describe("Blocking: a failure counts towards rollback; Advisory: a failure is recorded and shown, nothing more. Default Blocking."),
  })
  .describe("A latency check.");

export const RolloutMetricSchema = z
  .discriminatedUnion("type", [SuccessRateMetricSchema, LatencyMetricSchema])
  .describe("A built-in check on Weft's own telemetry, judged against its threshold and against the stable version.");
export type RolloutMetric = z.infer<typeof RolloutMetricSchema>;

export const WEBHOOK_TYPES = ["pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion", "post-rollout", "rollback"] as const;
export const WebhookTypeSchema = z
  .enum(WEBHOOK_TYPES)
  .describe(
    "When it is called and what its answer does (Flagger's types). pre-rollout: before any traffic moves, a failure counts as a failed check; rollout: every analysis interval, a failure counts as a failed check; confirm-traffic-increase: before each weight increase, a failure holds the step; confirm-promotion: before promotion, a failure holds the promotion; post-rollout: after the rollout ends, a failure is only recorded; rollback: every interval while the rollout runs, a 2xx rolls it back.",
  );
export type WebhookType = z.infer<typeof WebhookTypeSchema>;

export const RolloutWebhookSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the webhook, unique within the rollout."),
    type: WebhookTypeSchema,
    url: z
      .url({ protocol: /^https?$/, message: "must be an http or https URL" })
      .max(2048, { message: "must be at most 2048 characters" })
      .describe("URL the manager POSTs the rollout's state to (JSON); any 2xx answer passes."),
    timeout: boundedDuration({ minMs: 100, maxMs: 300_000 }).default("5s").describe("How long one call may take; a call that takes longer fails. Default 5s."),
    retries: int(0, 10).default(2).describe("Further attempts after a failed call (network error, timeout or 5xx) before the call counts as failed. Default 2."),
    metadata: z.record(z.string().max(253), z.string().max(4096).describe("Value.")).optional().describe("Passed through in the call's body."),
  })
  .describe("An HTTP hook the rollout calls.");
export type RolloutWebhook = z.infer<typeof RolloutWebhookSchema>;

/** The analysis a rollout runs when none is given: success rate at least 99 %, at most 1 point below stable. */
export const DEFAULT_ROLLOUT_METRICS: RolloutMetric[] = [{ name: "success-rate", type: "SuccessRate", min: 99, maxDropVsStable: 1, mode: "Blocking" }];

export const RolloutAnalysisSchema = z
  .strictObject({
    interval: boundedDuration({ minMs: 1000, maxMs: 3_600_000 }).default("1m").describe('How often the canary is judged, and the window each check reads. Default "1m".'),
    threshold: int(1, 100).default(5).describe("Failed checks (intervals) after which the rollout rolls back. Default 5."),
    minRequests: int(1, 1_000_000_000)
      .default(50)
      .describe("Canary requests an interval needs before it is judged; with fewer it has no verdict (no data) and the step holds. Default 50 (Kayenta's minimum sample)."),
    metrics: z
      .array(RolloutMetricSchema)
      .max(16, { message: "must have at most 16 entries" })
      .default(DEFAULT_ROLLOUT_METRICS)
      .describe("Checks on Weft's telemetry. Default: success rate at least 99 % and at most 1 point below stable."),
    webhooks: z.array(RolloutWebhookSchema).max(32, { message: "must have at most 32 entries" }).optional().describe("HTTP hooks, called as their type says."),
    errorBudgetGate: z.boolean().default(false).describe("Refuse promotion while the service's SLOs burn their error budget too fast (asked of the SLO evaluator). Default false."),
    progressDeadline: boundedDuration({ minMs: 1000 })
      .optional()
      .describe("How long the rollout may hold in one place without progress (no data, a confirm webhook refusing, the error budget) before it rolls back; it holds without limit when omitted. Manual gates are not held against it."),
  })
  .superRefine((a, ctx) => {
    reportDuplicates(ctx, a.metrics, (m) => m.name, (i) => ["metrics", i, "name"], "metric name");
    reportDuplicates(ctx, a.webhooks, (w) => w.name, (i) => ["webhooks", i, "name"], "webhook name");
    const interval = parseDuration(a.interval) ?? 0;
    const deadline = a.progressDeadline !== undefined ? parseDuration(a.progressDeadline) : undefined;
    if (deadline !== undefined && deadline < interval) reportIssue(ctx, ["progressDeadline"], `must be at least one interval (${a.interval})`, "invalid_deadline");
  })
  .describe("How each step is judged.");
export type RolloutAnalysis = z.infer<typeof RolloutAnalysisSchema>;

export const RolloutWavesSchema = z
  .strictObject({
    groups: z
      .array(
        z
          .strictObject({
            clusters: z.array(DnsLabelSchema.describe("A cluster.")).min(1, { message: "must name at least one cluster" }).max(64, { message: "must have at most 64 entries" }).describe("Clusters of this wave."),
          })
          .describe("One wave: its clusters run the steps together."),
      )
      .min(1, { message: "must have at least one wave" })
      .max(16, { message: "must have at most 16 entries" })
      .describe("Waves in order: each runs every step to 100 % before the next starts."),
    onFailure: z
      .enum(["Pause", "RollbackAll"])
      .default("RollbackAll")
      .describe("When a wave fails: Pause sends its clusters back to stable and waits for an operator, earlier waves keep the canary; RollbackAll sends every cluster back to stable. Default RollbackAll."),
  })
  .describe("Cluster waves for fleets: e.g. east to 100 % first, then west.");

export const SessionAffinitySchema = z
  .strictObject({
    cookieName: CookieNameSchema.default("weft-canary").describe('Cookie that pins a user sent to the canary to the canary. Default "weft-canary".'),
    maxAge: boundedDuration({ minMs: 1000 }).default("24h").describe('Lifetime of the cookie. Default "24h".'),
  })
  .describe("Cookie session affinity: a user once sent to the canary stays on it while the canary's weight grows (stable users move at most once).");

export const RolloutSpecSchema = z
  .strictObject({
    service: RolloutServiceSchema,
    stable: RolloutVersionSchema.describe("The version serving traffic now."),
    canary: RolloutVersionSchema.describe("The new version traffic moves to."),
    route: z
      .strictObject({ name: DnsSubdomainSchema.describe("Name of the HTTPRoute, in the Rollout's namespace.") })
      .optional()
      .describe("The HTTPRoute whose weights the rollout writes; without it, the one route attached to the service in its namespace (created when there is none)."),
    clusters: z
      .array(DnsLabelSchema.describe("A cluster."))
      .min(1, { message: "must name at least one cluster" })
      .max(64, { message: "must have at most 64 entries" })
      .optional()
      .describe("Clusters whose callers' traffic moves; every cluster (now and later) when omitted. The analysis aggregates all of them, and one cluster failing its thresholds fails the interval."),
    waves: RolloutWavesSchema.optional(),
    strategy: RolloutStrategySchema,
    analysis: RolloutAnalysisSchema.prefault({}),
    promotion: z.enum(["Automatic", "Manual"]).default("Automatic").describe("Manual: after the last step the rollout waits for an operator to approve the promotion. Default Automatic."),
    sessionAffinity: SessionAffinitySchema.optional(),
    shadow: z
      .strictObject({
        mode: z
          .enum(["RecordOnly", "PauseOnFailure"])
          .describe("RecordOnly: no traffic moves, every step is judged and recorded as if it had; PauseOnFailure: traffic moves, but failures pause the rollout instead of rolling it back."),
      })
      .optional()
      .describe("Shadow mode, to build trust before automation acts."),
  })
  .superRefine((spec, ctx) => {
    if (spec.canary.version === spec.stable.version) reportIssue(ctx, ["canary", "version"], `must differ from the stable version "${spec.stable.version}"`, "same_version");
    reportDuplicates(ctx, spec.clusters, (c) => c, (i) => ["clusters", i], "cluster");
    if (spec.waves) {
      const seen = new Map<string, number>();
      spec.waves.groups.forEach((group, g) =>
        group.clusters.forEach((cluster, c) => {
          const earlier = seen.get(cluster);
          if (earlier !== undefined) reportIssue(ctx, ["waves", "groups", g, "clusters", c], `cluster "${cluster}" is already in wave ${earlier}`, "duplicate");
          else seen.set(cluster, g);
          if (spec.clusters && !spec.clusters.includes(cluster)) reportIssue(ctx, ["waves", "groups", g, "clusters", c], `cluster "${cluster}" is not in spec.clusters`, "unknown_cluster");
        }),
      );
      spec.clusters?.forEach((cluster, i) => {
        if (!seen.has(cluster)) reportIssue(ctx, ["clusters", i], `cluster "${cluster}" is in no wave`, "cluster_without_wave");
      });
    }
    if (spec.sessionAffinity && !spec.strategy.canary) reportIssue(ctx, ["sessionAffinity"], "applies to the weighted steps of the canary strategy only", "invalid_affinity");
  })
  .describe("What rolls out where, how traffic moves and how each step is judged.");
export type RolloutSpec = z.infer<typeof RolloutSpecSchema>;

/** A progressive delivery of a new version of one service, across clusters, with analysis gates. */
export const RolloutSchema = defineResource({
  kind: "Rollout",
  metadata: MetadataSchema,
  spec: RolloutSpecSchema,
  description: "A canary rollout: moves a service's traffic from its stable version to a canary version step by step, judged on live telemetry, rolling back by itself.",
});
export type Rollout = z.infer<typeof RolloutSchema>;
export type RolloutInput = z.input<typeof RolloutSchema>;
