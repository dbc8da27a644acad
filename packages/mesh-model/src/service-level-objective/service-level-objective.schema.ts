import { z } from "zod";
import { boundedDuration } from "../common/duration.ts";
import { reportDuplicates, reportIssue } from "../common/issues.ts";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema } from "../common/names.ts";
import { CodeClassSchema } from "../telemetry/telemetry.schema.ts";
import { MAX_SLO_WINDOW_MS, SloWindowSchema, parseSloWindow } from "./slo-window.ts";

/** The rolling windows an SLO may be judged over. */
export const SLO_WINDOWS = ["7d", "14d", "28d", "30d"] as const;

export const SloServiceRefSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the service whose requests the SLO judges."),
    namespace: DnsLabelSchema.optional().describe("Namespace of the service; the SLO's own namespace when omitted."),
  })
  .describe("The service the SLO is about: the requests its callers' proxies sent to it.");

export const AvailabilityIndicatorSchema = z
  .strictObject({
    type: z.literal("availability").describe("Availability: the share of requests that did not fail."),
    errorClasses: z
      .array(CodeClassSchema)
      .min(1, { message: "must name at least one response class" })
      .default(["5xx", "other"])
      .superRefine((classes, ctx) => reportDuplicates(ctx, classes, (c) => c, (i) => [i], "response class"))
      .describe('Response classes that count as failures. Default ["5xx", "other"] (`other`: no HTTP response at all — reset, refused, timed out before headers). The rollups keep classes, not single codes.'),
  })
  .describe("Availability SLI: good = requests whose response class is not in errorClasses.");

export const LatencyIndicatorSchema = z
  .strictObject({
    type: z.literal("latency").describe("Latency: the share of requests that completed within the threshold."),
    threshold: boundedDuration({ minMs: 1, maxMs: 600_000 }).describe(
      'Requests that took at most this long are good, e.g. "250ms". Any value works: it is read from the latency sketch (within its relative error, 2 % in the rollups), not from fixed histogram buckets.',
    ),
  })
  .describe("Latency SLI: good = requests that completed within the threshold (failed ones included, by their duration).");

export const IndicatorSchema = z
  .discriminatedUnion("type", [AvailabilityIndicatorSchema, LatencyIndicatorSchema])
  .describe("What counts as a good request: `availability` (not failed) or `latency` (fast enough).");
export type Indicator = z.infer<typeof IndicatorSchema>;

export const AlertSeveritySchema = z.enum(["page", "ticket"]).describe("`page` wakes someone now; `ticket` opens a Weft ticket for working hours.");
export type AlertSeverity = z.infer<typeof AlertSeveritySchema>;

export const AlertWindowSchema = z
  .strictObject({
    severity: AlertSeveritySchema,
    longWindow: SloWindowSchema.describe('The window whose burn rate says the problem is big enough, e.g. "1h".'),
    shortWindow: SloWindowSchema.describe('The window whose burn rate says it is still happening (resolves the alert soon after recovery), e.g. "5m"; shorter than longWindow (the workbook uses 1/12).'),
    burnRate: z
      .number()
      .positive({ message: "must be greater than 0" })
      .max(1_000_000, { message: "must be at most 1000000" })
      .describe("Fires when both windows burn the error budget faster than this many times the sustainable rate (1 = the whole budget over the whole SLO window)."),
    for: boundedDuration({ maxMs: 86_400_000 })
      .default("0s")
      .describe('How long both windows must stay over the threshold before the alert fires (it is pending meanwhile). Default "0s", as in the SRE workbook.'),
  })
  .superRefine((w, ctx) => {
    const long = parseSloWindow(w.longWindow);
    const short = parseSloWindow(w.shortWindow);
    if (long !== undefined && short !== undefined && short >= long) reportIssue(ctx, ["shortWindow"], `must be shorter than longWindow (${w.longWindow})`, "invalid_window_pair");
  })
  .describe("One multi-window burn-rate alert: fires when the burn rate over both windows exceeds burnRate.");
export type AlertWindow = z.infer<typeof AlertWindowSchema>;

export const AlertPresetSchema = z
  .enum(["workbook", "sloth"])
  .describe(
    "Alert windows when `windows` is not given. workbook: the SRE workbook's table 5-8 (page 14.4× over 1h with 5m, page 6× over 6h with 30m, ticket 1× over 3d with 6h); sloth: the same plus Sloth's ticket 3× over 1d with 2h.",
  );

export const SloAlertingSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Evaluate alerts (open tickets, send notifications). Default true; the SLI and budget are tracked either way."),
    preset: AlertPresetSchema.default("workbook"),
    windows: z
      .array(AlertWindowSchema)
      .min(1, { message: "must have at least one window pair; omit it to use the preset" })
      .max(8, { message: "must have at most 8 window pairs" })
      .superRefine((windows, ctx) => reportDuplicates(ctx, windows, (w) => `${w.longWindow}/${w.shortWindow}`, (i) => [i], "window pair"))
      .optional()
      .describe("Alert window pairs, replacing the preset's."),
    minimumEvents: z
      .number()
      .int({ message: "must be an integer" })
      .min(0, { message: "must be at least 0" })
      .max(1_000_000_000, { message: "must be at most 1000000000" })
      .default(0)
      .describe("An alert fires only when its long window holds at least this many requests (at 10 requests an hour, one failure is a 100× burn of a 99.9 % objective). Default 0: no guard."),
  })
  .describe("Multi-window, multi-burn-rate alerting.");

export const SloLinksSchema = z
  .strictObject({
    runbook: z.url({ message: "must be a URL" }).optional().describe("What on-call should do; carried on every ticket and notification."),
    dashboard: z.url({ message: "must be a URL" }).optional().describe("An outside dashboard for the service; carried on every ticket and notification."),
  })
  .describe("Links for people who get the alert.");

export const ServiceLevelObjectiveSpecSchema = z
  .strictObject({
    description: z.string().max(1050, { message: "must be at most 1050 characters" }).optional().describe("What the objective promises, for people."),
    service: SloServiceRefSchema,
    clusters: z
      .array(DnsLabelSchema.describe("A cluster name."))
      .min(1, { message: "must name at least one cluster; omit it for every cluster" })
      .superRefine((clusters, ctx) => reportDuplicates(ctx, clusters, (c) => c, (i) => [i], "cluster"))
      .optional()
      .describe("Only requests served in these clusters; every cluster when omitted."),
    perCluster: z
      .boolean()
      .default(false)
      .describe("Also judge every cluster on its own (its own SLI, budget and alerts), besides the mesh-wide judgement. Default false."),
    indicator: IndicatorSchema,
    objective: z
      .number()
      .gt(0, { message: "must be greater than 0 and less than 100 (a percentage)" })
      .lt(100, { message: "must be greater than 0 and less than 100 (a percentage): a 100 % objective has no error budget" })
      .describe("Target share of good requests, in percent, e.g. 99.9."),
    window: z.enum(SLO_WINDOWS).default("30d").describe("Rolling window the objective and the error budget are judged over: 7d, 14d, 28d or 30d. Default 30d."),
    alerting: SloAlertingSchema.default({ enabled: true, preset: "workbook", minimumEvents: 0 }),
    links: SloLinksSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const window = parseSloWindow(spec.window);
    spec.alerting.windows?.forEach((w, i) => {
      const long = parseSloWindow(w.longWindow);
      // A window beyond 30 days has its own issue already.
      if (window !== undefined && long !== undefined && long > window && long <= MAX_SLO_WINDOW_MS) reportIssue(ctx, ["alerting", "windows", i, "longWindow"], `must not be longer than the SLO window (${spec.window})`, "window_out_of_range");
    });
  })
  .describe("What share of a service's requests must be good over a rolling window, and when to alert about it.");

/** A service level objective: an SLI over a service's requests, a target and multi-window burn-rate alerts. */
export const ServiceLevelObjectiveSchema = defineResource({
  kind: "ServiceLevelObjective",
  metadata: MetadataSchema,
  spec: ServiceLevelObjectiveSpecSchema,
  description: "A service level objective: what share of a service's requests must be good over a rolling window, with multi-window burn-rate alerts.",
});
export type ServiceLevelObjective = z.infer<typeof ServiceLevelObjectiveSchema>;
export type ServiceLevelObjectiveSpec = z.infer<typeof ServiceLevelObjectiveSpecSchema>;
