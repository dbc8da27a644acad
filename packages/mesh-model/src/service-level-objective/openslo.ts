// OpenSLO v1 import and export (`openslo/v1` SLO + AlertPolicy documents).
//
// What OpenSLO cannot carry, and how Weft gets it across anyway:
// - A window *pair*: an AlertCondition has one `lookbackWindow`, and an
//   AlertPolicy exactly one condition. Each Weft pair becomes one AlertPolicy
//   whose condition is the long window; the short window travels in the
//   policy's `weft.io/short-window` annotation (another tool sees a
//   single-window burn-rate alert). Imported policies without it get the
//   workbook's 1/12 of the long window, with a warning.
// - Namespaces, clusters, per-cluster judgement, the minimum-event guard,
//   error classes and the latency threshold as data: in `weft.io/…`
//   annotations of the SLO (OpenSLO reserves annotations for exactly such
//   implementation details). The SLI itself is exported as PromQL over the
//   proxies' metrics, so Prometheus-based tools can use it as is.
// - `for` under a minute: `alertAfter` is whole minutes; the exact value
//   travels in `weft.io/for`.
// - Notification routing: Weft routes by severity to its channels; the
//   policies name the targets `weft-page` and `weft-ticket`.
// Weft reads only Occurrences budgeting, rolling windows of 7d/14d/28d/30d
// (4w is 28d) and one objective per SLO; anything else is refused with the
// OpenSLO path.
import { stringify } from "yaml";
import { z } from "zod";
import { durationMs, formatDuration } from "../common/duration.ts";
import { issuesFromZod, type ValidationIssue } from "../common/issues.ts";
import { API_VERSION } from "../common/metadata.ts";
import { readDocuments, type ResourceFormat } from "../resource/resource-codec.ts";
import { namespaceOf } from "../resource/resource.schema.ts";
import { CodeClassSchema, type CodeClass } from "../telemetry/telemetry.schema.ts";
import { alertWindowName, SLOTH_ALERT_WINDOWS, WORKBOOK_ALERT_WINDOWS } from "./burn-rate.ts";
import { codeClassMatcher, PROXY_DURATION_METRIC, PROXY_REQUESTS_METRIC, selectorMatchers, underThresholdExpr } from "./promql.ts";
import { ServiceLevelObjectiveSchema, SLO_WINDOWS, type AlertWindow, type ServiceLevelObjective } from "./service-level-objective.schema.ts";
import { formatSloWindow, parseSloWindow } from "./slo-window.ts";

export const OPENSLO_API_VERSION = "openslo/v1";

/** What an OpenSLO document cannot say natively (see the file comment); the export names those an SLO uses. */
export const OPENSLO_LIMITS = {
  shortWindow: "short windows: an OpenSLO AlertPolicy has one condition with one lookbackWindow, so each window pair's short window is only in the weft.io/short-window annotation",
  namespace: "namespaces: OpenSLO has none (weft.io/namespace)",
  clusters: "clusters and per-cluster judgement (weft.io/clusters, weft.io/per-cluster)",
  minimumEvents: "the minimum-event guard (weft.io/minimum-events)",
  indicator: "the SLI as data: OpenSLO carries queries (exported as PromQL over the proxies' metrics); Weft's error classes or latency threshold are in weft.io/error-classes or weft.io/latency-threshold",
  forSeconds: "alert `for` below whole minutes (alertAfter is whole minutes; weft.io/for)",
  routing: "notification routing: Weft routes by severity to its channels (targets weft-page, weft-ticket)",
} as const;

const A = {
  namespace: "weft.io/namespace",
  serviceNamespace: "weft.io/service-namespace",
  clusters: "weft.io/clusters",
  perCluster: "weft.io/per-cluster",
  errorClasses: "weft.io/error-classes",
  latencyThreshold: "weft.io/latency-threshold",
  minimumEvents: "weft.io/minimum-events",
  preset: "weft.io/alert-preset",
  runbook: "weft.io/runbook",
  dashboard: "weft.io/dashboard",
  shortWindow: "weft.io/short-window",
  for: "weft.io/for",
} as const;
const OWN_ANNOTATIONS: ReadonlySet<string> = new Set(Object.values(A));

// ------------------------------------------------------------------ export

/** The OpenSLO documents of one SLO (the SLO, then one AlertPolicy per window pair) and what they carry only in annotations. */
export function toOpenSlo(slo: ServiceLevelObjective): { documents: Record<string, unknown>[]; lost: string[] } {
  const { spec, metadata } = slo;
  const namespace = namespaceOf(slo) ?? "default";
  const lost: string[] = [OPENSLO_LIMITS.namespace, OPENSLO_LIMITS.indicator, OPENSLO_LIMITS.routing];
  const annotations: Record<string, string> = { ...metadata.annotations, [A.namespace]: namespace };
  if (spec.service.namespace !== undefined) annotations[A.serviceNamespace] = spec.service.namespace;
  if (spec.clusters) annotations[A.clusters] = spec.clusters.join(",");
  if (spec.perCluster) annotations[A.perCluster] = "true";
  if (spec.clusters || spec.perCluster) lost.push(OPENSLO_LIMITS.clusters);
  if (spec.indicator.type === "availability") annotations[A.errorClasses] = spec.indicator.errorClasses.join(",");
  else annotations[A.latencyThreshold] = spec.indicator.threshold;
  if (spec.alerting.minimumEvents > 0) {
    annotations[A.minimumEvents] = String(spec.alerting.minimumEvents);
    lost.push(OPENSLO_LIMITS.minimumEvents);
  }
  if (!spec.alerting.windows) annotations[A.preset] = spec.alerting.preset;
  if (spec.links?.runbook) annotations[A.runbook] = spec.links.runbook;
  if (spec.links?.dashboard) annotations[A.dashboard] = spec.links.dashboard;

  const windows = spec.alerting.windows ?? (spec.alerting.preset === "sloth" ? SLOTH_ALERT_WINDOWS : WORKBOOK_ALERT_WINDOWS);
  if (windows.length > 0) lost.push(OPENSLO_LIMITS.shortWindow);
  const policies = windows.map((w) => {
    const name = `${metadata.name}-${w.severity}-${w.longWindow}-${w.shortWindow}`;
    const forMs = durationMs(w.for);
    const policyAnnotations: Record<string, string> = { [A.shortWindow]: w.shortWindow };
    if (forMs % 60_000 !== 0) {
      policyAnnotations[A.for] = w.for;
      if (!lost.includes(OPENSLO_LIMITS.forSeconds)) lost.push(OPENSLO_LIMITS.forSeconds);
    }
    return {
      apiVersion: OPENSLO_API_VERSION,
      kind: "AlertPolicy",
      metadata: { name, annotations: policyAnnotations },
      spec: {
        description: `${w.severity}: burning the error budget over ${w.burnRate}× in ${w.longWindow} (and ${w.shortWindow})`,
        alertWhenBreaching: spec.alerting.enabled,
        alertWhenResolved: true,
        alertWhenNoData: false,
        conditions: [
          {
            kind: "AlertCondition",
            metadata: { name: `${name}-burnrate` },
            spec: {
              severity: w.severity,
              condition: { kind: "burnrate", op: "gt", threshold: w.burnRate, lookbackWindow: w.longWindow, alertAfter: `${Math.ceil(forMs / 60_000)}m` },
            },
          },
        ],
        notificationTargets: [{ targetRef: `weft-${w.severity}` }],
      },
    };
  });
  const document = {
    apiVersion: OPENSLO_API_VERSION,
    kind: "SLO",
    metadata: { name: metadata.name, ...(metadata.labels ? { labels: metadata.labels } : {}), annotations },
    spec: {
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      service: spec.service.name,
      indicator: { metadata: { name: `${metadata.name}-sli` }, spec: { ratioMetric: ratioMetricOf(slo) } },
      timeWindow: [{ duration: spec.window, isRolling: true }],
      budgetingMethod: "Occurrences",
      objectives: [{ displayName: spec.indicator.type, target: Number((spec.objective / 100).toPrecision(12)) }],
      alertPolicies: policies.map((p) => ({ alertPolicyRef: p.metadata.name })),
    },
  };
  const order = Object.values(OPENSLO_LIMITS) as string[];
  return { documents: [document, ...policies], lost: lost.sort((a, b) => order.indexOf(a) - order.indexOf(b)) };
}

/** The SLI as PromQL over the proxies' metrics, with `{{.window}}` for the window (as Sloth's OpenSLO reader expects). */
function ratioMetricOf(slo: ServiceLevelObjective) {
  const matchers = selectorMatchers({ service: slo.spec.service.name, clusters: slo.spec.clusters });
  const prometheus = (query: string) => ({ metricSource: { type: "Prometheus", spec: { query } } });
  const sumRate = (series: string) => `sum(rate(${series}[{{.window}}]))`;
  const indicator = slo.spec.indicator;
  if (indicator.type === "availability")
    return {
      counter: true,
      bad: prometheus(sumRate(`${PROXY_REQUESTS_METRIC}{${matchers},${codeClassMatcher(indicator.errorClasses)}}`)),
      total: prometheus(sumRate(`${PROXY_REQUESTS_METRIC}{${matchers}}`)),
    };
  const total = sumRate(`${PROXY_DURATION_METRIC}_count{${matchers}}`);
  return { counter: true, good: prometheus(underThresholdExpr(durationMs(indicator.threshold), matchers, sumRate, total)), total: prometheus(total) };
}

/** SLOs as one multi-document OpenSLO YAML stream, with what it carries only in annotations as a comment. */
export function openSloYaml(slos: readonly ServiceLevelObjective[]): string {
  const parts = slos.map((slo) => {
    const { documents, lost } = toOpenSlo(slo);
    const header = `# ${namespaceOf(slo)}/${slo.metadata.name}: OpenSLO cannot carry ${lost.join("; ")}.\n`;
    return header + documents.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
  });
  return parts.join("---\n");
}

// ------------------------------------------------------------------ import

const shorthand = z.string().regex(/^[0-9]+[mhdwMQY]$/, { message: 'must be an OpenSLO duration like "5m", "6h", "28d" or "4w"' });
const metricSource = z.looseObject({ metricSourceRef: z.string().optional(), type: z.string().optional(), spec: z.record(z.string(), z.unknown()).optional() });
const metricRef = z.looseObject({ metricSource });
const OpenSloMetadataSchema = z.looseObject({
  name: z.string().min(1, { message: "must not be empty" }),
  displayName: z.string().optional(),
  labels: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const SliSpecSchema = z.looseObject({
  description: z.string().optional(),
  thresholdMetric: metricRef.optional(),
  ratioMetric: z.looseObject({ counter: z.boolean().optional(), good: metricRef.optional(), bad: metricRef.optional(), total: metricRef.optional(), raw: metricRef.optional(), rawType: z.enum(["success", "failure"]).optional() }).optional(),
});
const ConditionSpecSchema = z.looseObject({
  description: z.string().optional(),
  severity: z.string().min(1, { message: "must not be empty" }),
  condition: z.looseObject({
    kind: z.literal("burnrate", { message: 'must be "burnrate" (the only kind OpenSLO v1 defines)' }).default("burnrate"),
    op: z.enum(["lte", "gte", "lt", "gt"]),
    threshold: z.number(),
    lookbackWindow: shorthand,
    alertAfter: shorthand.optional(),
  }),
});
/** An inline object of `kind`, or a reference to one by name (`refKey`): one schema, so issues name the field, not "no union member matched". */
function inlineOrRef<S extends z.ZodType>(kind: string, refKey: string, spec: S) {
  return z
    .looseObject({ [refKey]: z.string().min(1).optional(), kind: z.literal(kind).optional(), metadata: OpenSloMetadataSchema.optional(), spec: spec.optional() })
    .superRefine((entry, ctx) => {
      if (entry[refKey] !== undefined) return;
      for (const field of ["kind", "metadata", "spec"])
        if (entry[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `required field is missing (inline ${kind}, or ${refKey})`, params: { code: "required" } });
    });
}
const ConditionEntrySchema = inlineOrRef("AlertCondition", "conditionRef", ConditionSpecSchema);
const PolicySpecSchema = z.looseObject({
  description: z.string().optional(),
  alertWhenBreaching: z.boolean().optional(),
  alertWhenResolved: z.boolean().optional(),
  alertWhenNoData: z.boolean().optional(),
  conditions: z
    .array(ConditionEntrySchema)
    .length(1, { message: "must hold exactly one condition (OpenSLO v1 allows one per AlertPolicy)" }),
  notificationTargets: z.array(z.unknown()).optional(),
});
const PolicyEntrySchema = inlineOrRef("AlertPolicy", "alertPolicyRef", PolicySpecSchema);
const SloSpecSchema = z.looseObject({
  description: z.string().max(1050, { message: "must be at most 1050 characters" }).optional(),
  service: z.string().min(1, { message: "must not be empty" }),
  indicator: z.looseObject({ metadata: OpenSloMetadataSchema, spec: SliSpecSchema }).optional(),
  indicatorRef: z.string().min(1).optional(),
  timeWindow: z
    .array(z.looseObject({ duration: shorthand, isRolling: z.boolean().optional(), calendar: z.unknown().optional() }))
    .length(1, { message: "must hold exactly one time window" })
    .optional(),
  budgetingMethod: z.enum(["Occurrences", "Timeslices", "RatioTimeslices"]),
  objectives: z.array(z.looseObject({ displayName: z.string().optional(), target: z.number().optional(), targetPercent: z.number().optional(), indicator: z.unknown().optional(), indicatorRef: z.string().optional() })).min(1, { message: "must hold one objective" }),
  alertPolicies: z.array(PolicyEntrySchema).optional(),
});
const KIND_SPECS = { SLO: SloSpecSchema, SLI: SliSpecSchema, AlertPolicy: PolicySpecSchema, AlertCondition: ConditionSpecSchema } as const;
const OTHER_KINDS = ["AlertNotificationTarget", "Service", "DataSource"] as const;
const EnvelopeSchema = z.looseObject({
  apiVersion: z.literal(OPENSLO_API_VERSION, { message: `must be "${OPENSLO_API_VERSION}"` }),
  kind: z.enum([...(Object.keys(KIND_SPECS) as (keyof typeof KIND_SPECS)[]), ...OTHER_KINDS]),
  metadata: OpenSloMetadataSchema,
  spec: z.unknown(),
});

type SloSpec = z.infer<typeof SloSpecSchema>;
type PolicySpec = z.infer<typeof PolicySpecSchema>;
type ConditionSpec = z.infer<typeof ConditionSpecSchema>;
type SliSpec = z.infer<typeof SliSpecSchema>;
type Metadata = z.infer<typeof OpenSloMetadataSchema>;

interface Named<S> {
  metadata: Metadata;
  spec: S;
  document: number;
  path: (string | number)[];
}

/** Result of reading OpenSLO: the Weft SLOs (validated), warnings about what was assumed, or every issue with its OpenSLO path. */
export type OpenSloImport = { ok: true; value: ServiceLevelObjective[]; warnings: ValidationIssue[] } | { ok: false; issues: ValidationIssue[] };

/**
 * Reads OpenSLO v1 documents (YAML stream or JSON) into Weft
 * ServiceLevelObjectives. SLOs may inline their indicator and alert policies
 * or refer to SLI, AlertPolicy and AlertCondition documents of the same
 * input. `namespace` places SLOs without a `weft.io/namespace` annotation.
 * Never throws; nothing is half-read: any issue refuses the whole input.
 */
export function fromOpenSlo(text: string, options: { namespace?: string; format?: ResourceFormat } = {}): OpenSloImport {
  const { documents, issues } = readDocuments(text, options.format);
  const slos: Named<SloSpec>[] = [];
  const slis = new Map<string, Named<SliSpec>>();
  const policies = new Map<string, Named<PolicySpec>>();
  const conditions = new Map<string, Named<ConditionSpec>>();
  for (const doc of documents) {
    const at = (list: ValidationIssue[]) => list.map((i) => ({ ...i, document: doc.index, ...(doc.locate && i.line === undefined ? lineOf(doc.locate, i.path) : {}) }));
    const envelope = EnvelopeSchema.safeParse(doc.value, { reportInput: true });
    if (!envelope.success) {
      issues.push(...at(issuesFromZod(envelope.error.issues)));
      continue;
    }
    const { kind, metadata } = envelope.data;
    if (!(kind in KIND_SPECS)) continue; // targets, services and data sources carry nothing Weft reads
    const spec = KIND_SPECS[kind as keyof typeof KIND_SPECS].safeParse(envelope.data.spec, { reportInput: true });
    if (!spec.success) {
      issues.push(...at(issuesFromZod(spec.error.issues, ["spec"])));
      continue;
    }
    const named = { metadata, document: doc.index, path: [] as (string | number)[] };
    if (kind === "SLO") slos.push({ ...named, spec: spec.data as SloSpec });
    else if (kind === "SLI") slis.set(metadata.name, { ...named, spec: spec.data as SliSpec });
    else if (kind === "AlertPolicy") policies.set(metadata.name, { ...named, spec: spec.data as PolicySpec });
    else conditions.set(metadata.name, { ...named, spec: spec.data as ConditionSpec });
  }
  if (issues.length === 0 && slos.length === 0) issues.push({ path: "kind", message: "no OpenSLO SLO document in the input", code: "required", document: 0 });
  if (issues.length > 0) return { ok: false, issues };

  const value: ServiceLevelObjective[] = [];
  const warnings: ValidationIssue[] = [];
  for (const slo of slos) {
    const built = buildSlo(slo, { slis, policies, conditions }, options.namespace ?? "default");
    warnings.push(...built.warnings);
    if (!built.ok) {
      issues.push(...built.issues);
      continue;
    }
    const parsed = ServiceLevelObjectiveSchema.safeParse(built.value, { reportInput: true });
    if (parsed.success) value.push(parsed.data);
    // A Weft rule the OpenSLO checks above did not catch: named by the OpenSLO path the field came from.
    else issues.push(...issuesFromZod(parsed.error.issues).map((i) => ({ ...i, path: built.origin(i.path), message: `${i.message} (Weft field ${i.path})`, document: slo.document })));
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value, warnings };
}

function lineOf(locate: (path: readonly PropertyKey[]) => number | undefined, path: string): { line?: number } {
  const segments = path.split(/\.|\[|\]/).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const line = locate(segments);
  return line === undefined ? {} : { line };
}

interface Found {
  slis: Map<string, Named<SliSpec>>;
  policies: Map<string, Named<PolicySpec>>;
  conditions: Map<string, Named<ConditionSpec>>;
}

type Built = { ok: true; value: Record<string, unknown>; warnings: ValidationIssue[]; origin: (weftPath: string) => string } | { ok: false; issues: ValidationIssue[]; warnings: ValidationIssue[] };

/** One OpenSLO SLO as a raw Weft document, remembering which OpenSLO path each Weft field came from. */
// Long because it maps one format onto another field by field, each with its own refusal; split, the mapping would be harder to check against the file comment.
function buildSlo(slo: Named<SloSpec>, found: Found, defaultNamespace: string): Built {
  const issues: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const doc = slo.document;
  const refuse = (path: string, message: string, code = "unsupported") => issues.push({ path, message, code, document: doc });
  const warn = (path: string, message: string) => warnings.push({ path, message, code: "assumed", document: doc });
  const origins: [string, string][] = [];
  const from = (weft: string, openslo: string) => origins.push([weft, openslo]);
  const annotations = slo.metadata.annotations ?? {};
  const spec = slo.spec;

  if (spec.budgetingMethod !== "Occurrences") refuse("spec.budgetingMethod", `${spec.budgetingMethod} budgeting is not supported: Weft counts Occurrences (good requests / all requests)`);
  const window = spec.timeWindow?.[0];
  let sloWindow = "30d";
  if (!window) warn("spec.timeWindow", "no time window: Weft's default 30d rolling window is used");
  else if (window.calendar !== undefined || window.isRolling === false) refuse("spec.timeWindow[0]", "calendar-aligned windows are not supported: Weft judges rolling windows");
  else {
    const normalized = window.duration.endsWith("w") ? `${Number(window.duration.slice(0, -1)) * 7}d` : window.duration;
    if (!(SLO_WINDOWS as readonly string[]).includes(normalized)) refuse("spec.timeWindow[0].duration", `must be one of ${SLO_WINDOWS.join(", ")} (or 4w); got "${window.duration}"`, "invalid_value");
    sloWindow = normalized;
  }
  from("spec.window", "spec.timeWindow[0].duration");

  if (spec.objectives.length > 1) refuse("spec.objectives[1]", "Weft has one objective per SLO: split this SLO into one per objective");
  const objective = spec.objectives[0] ?? {};
  const target = objective.target !== undefined ? objective.target * 100 : objective.targetPercent;
  if (objective.target !== undefined && objective.targetPercent !== undefined) refuse("spec.objectives[0]", "must set target or targetPercent, not both", "invalid_value");
  if (target === undefined) refuse("spec.objectives[0].target", "required field is missing (target or targetPercent)", "required");
  if (objective.indicator !== undefined || objective.indicatorRef !== undefined) refuse("spec.objectives[0]", "composite SLOs are not supported: one indicator per SLO");
  from("spec.objective", objective.target !== undefined ? "spec.objectives[0].target" : "spec.objectives[0].targetPercent");

  const indicator = readIndicator(spec, annotations, found, refuse, warn);
  from("spec.indicator.threshold", `metadata.annotations["${A.latencyThreshold}"]`);
  from("spec.indicator.errorClasses", `metadata.annotations["${A.errorClasses}"]`);
  from("spec.indicator", "spec.indicator");

  const windows: AlertWindow[] = [];
  let enabled = true;
  (spec.alertPolicies ?? []).forEach((entry, i) => {
    const path = `spec.alertPolicies[${i}]`;
    const ref = entry.alertPolicyRef as string | undefined;
    const policy = ref !== undefined ? found.policies.get(ref) : (entry as { metadata: Metadata; spec: PolicySpec });
    if (!policy) {
      refuse(`${path}.alertPolicyRef`, `no AlertPolicy named "${ref}" in the input`, "unknown_reference");
      return;
    }
    const conditionEntry = policy.spec.conditions[0] as { conditionRef?: string; spec?: ConditionSpec } | undefined;
    const condition = conditionEntry?.conditionRef !== undefined ? found.conditions.get(conditionEntry.conditionRef)?.spec : conditionEntry?.spec;
    if (!condition) {
      refuse(`${path}.conditions[0].conditionRef`, `no AlertCondition named "${conditionEntry?.conditionRef}" in the input`, "unknown_reference");
      return;
    }
    if (policy.spec.alertWhenBreaching === false) enabled = false;
    const c = condition.condition;
    if (c.op === "lt" || c.op === "lte") {
      refuse(`${path}.conditions[0].spec.condition.op`, `"${c.op}" alerts when the budget burns slower than the threshold; Weft alerts on burning faster (gt)`);
      return;
    }
    const longWindow = toWindow(c.lookbackWindow);
    if (longWindow === undefined) {
      refuse(`${path}.conditions[0].spec.condition.lookbackWindow`, `must be whole minutes, hours or days up to 30d; got "${c.lookbackWindow}"`, "invalid_value");
      return;
    }
    const policyAnnotations = policy.metadata.annotations ?? {};
    let shortWindow = policyAnnotations[A.shortWindow];
    if (shortWindow === undefined) {
      shortWindow = formatSloWindow(Math.max(60_000, Math.round(sloWindowMsOf(longWindow) / 12 / 60_000) * 60_000));
      warn(path, `OpenSLO has no short window: used ${shortWindow}, 1/12 of the ${longWindow} lookback window (the SRE workbook's rule of thumb)`);
    }
    const severity = /^(page|critical|sev-?1|p1)$/i.test(condition.severity) ? "page" : "ticket";
    if (severity === "ticket" && !/^ticket$/i.test(condition.severity)) warn(`${path}.conditions[0].spec.severity`, `severity "${condition.severity}" is read as "ticket" (Weft has page and ticket)`);
    const forText = policyAnnotations[A.for] ?? (c.alertAfter ? alertAfterToFor(c.alertAfter) : "0s");
    windows.push({ severity, longWindow, shortWindow, burnRate: c.threshold, for: forText });
    from(`spec.alerting.windows[${windows.length - 1}]`, ref !== undefined ? `${path}.alertPolicyRef` : path);
  });

  const namespace = annotations[A.namespace] ?? defaultNamespace;
  const preset = annotations[A.preset];
  const presetWindows = preset === "sloth" ? SLOTH_ALERT_WINDOWS : preset === "workbook" ? WORKBOOK_ALERT_WINDOWS : undefined;
  const samePairs = presetWindows !== undefined && presetWindows.length === windows.length && presetWindows.every((w, i) => sameWindow(w, windows[i] as AlertWindow));
  const weftAnnotations = Object.fromEntries(Object.entries(annotations).filter(([k]) => !OWN_ANNOTATIONS.has(k)));
  const labels = slo.metadata.labels ? Object.fromEntries(Object.entries(slo.metadata.labels).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v])) : undefined;
  const minimumEvents = annotations[A.minimumEvents];
  const clusters = annotations[A.clusters];
  const links = { ...(annotations[A.runbook] ? { runbook: annotations[A.runbook] } : {}), ...(annotations[A.dashboard] ? { dashboard: annotations[A.dashboard] } : {}) };
  from("metadata.name", "metadata.name");
  from("spec.service", "spec.service");
  from("spec.clusters", `metadata.annotations["${A.clusters}"]`);
  from("spec.alerting.minimumEvents", `metadata.annotations["${A.minimumEvents}"]`);
  from("spec.links", `metadata.annotations`);
  from("metadata.namespace", `metadata.annotations["${A.namespace}"]`);
  if (issues.length > 0) return { ok: false, issues, warnings };
  const value = {
    apiVersion: API_VERSION,
    kind: "ServiceLevelObjective",
    metadata: { name: slo.metadata.name, namespace, ...(labels ? { labels } : {}), ...(Object.keys(weftAnnotations).length ? { annotations: weftAnnotations } : {}) },
    spec: {
      ...(slo.spec.description !== undefined ? { description: slo.spec.description } : {}),
      service: { name: spec.service, ...(annotations[A.serviceNamespace] ? { namespace: annotations[A.serviceNamespace] } : {}) },
      ...(clusters ? { clusters: clusters.split(",").map((c) => c.trim()) } : {}),
      ...(annotations[A.perCluster] === "true" ? { perCluster: true } : {}),
      indicator,
      objective: target === undefined ? undefined : Number(target.toPrecision(12)),
      window: sloWindow,
      alerting: {
        enabled,
        ...(presetWindows && (samePairs || windows.length === 0) ? { preset } : windows.length > 0 ? { windows } : {}),
        ...(minimumEvents !== undefined ? { minimumEvents: Number(minimumEvents) } : {}),
      },
      ...(Object.keys(links).length ? { links } : {}),
    },
  };
  const origin = (weftPath: string) => origins.filter(([weft]) => weftPath.startsWith(weft)).sort((a, b) => b[0].length - a[0].length)[0]?.[1] ?? weftPath;
  return { ok: true, value, warnings, origin };
}

function readIndicator(spec: SloSpec, annotations: Record<string, string>, found: Found, refuse: (path: string, message: string, code?: string) => void, warn: (path: string, message: string) => void): Record<string, unknown> | undefined {
  const threshold = annotations[A.latencyThreshold];
  if (threshold !== undefined) return { type: "latency", threshold };
  const classes = annotations[A.errorClasses];
  if (classes !== undefined) {
    const list = classes.split(",").map((c) => c.trim());
    const bad = list.filter((c) => !CodeClassSchema.safeParse(c).success);
    if (bad.length) refuse(`metadata.annotations["${A.errorClasses}"]`, `unknown response class ${bad.map((b) => `"${b}"`).join(", ")}; expected ${CodeClassSchema.options.join(", ")}`, "invalid_value");
    return { type: "availability", errorClasses: list as CodeClass[] };
  }
  const sli = spec.indicator?.spec ?? (spec.indicatorRef !== undefined ? found.slis.get(spec.indicatorRef)?.spec : undefined);
  if (!sli) {
    if (spec.indicatorRef !== undefined) refuse("spec.indicatorRef", `no SLI named "${spec.indicatorRef}" in the input`, "unknown_reference");
    else refuse("spec.indicator", "required field is missing (indicator or indicatorRef)", "required");
    return undefined;
  }
  const where = spec.indicator ? "spec.indicator.spec" : "spec.indicatorRef";
  if (sli.thresholdMetric) {
    refuse(`${where}.thresholdMetric`, "threshold metrics are not supported: Weft judges ratios of good requests from its own telemetry");
    return undefined;
  }
  if (sli.ratioMetric?.bad && sli.ratioMetric.total) {
    warn(`${where}.ratioMetric`, "the bad/total queries are not run: Weft measures availability (5xx and no response as failures) from its own telemetry");
    return { type: "availability" };
  }
  refuse(
    `${where}.ratioMetric`,
    `cannot tell what the queries measure: Weft measures its own telemetry. Add the annotation ${A.errorClasses} (availability, e.g. "5xx,other") or ${A.latencyThreshold} (latency, e.g. "250ms") to the SLO`,
  );
  return undefined;
}

function toWindow(shorthandText: string): string | undefined {
  const normalized = shorthandText.endsWith("w") ? `${Number(shorthandText.slice(0, -1)) * 7}d` : shorthandText;
  const ms = parseSloWindow(normalized);
  return ms === undefined || ms > 30 * 86_400_000 ? undefined : normalized;
}

function sloWindowMsOf(window: string): number {
  return parseSloWindow(window) ?? 0;
}

/** alertAfter ("5m", "1h", "0m") as a Weft `for` ("5m", "1h", "0s"). */
function alertAfterToFor(text: string): string {
  const ms = parseSloWindow(text);
  return ms === undefined ? "0s" : formatDuration(ms);
}

function sameWindow(a: AlertWindow, b: AlertWindow): boolean {
  return alertWindowName(a) === alertWindowName(b) && a.severity === b.severity && a.burnRate === b.burnRate && durationMs(a.for) === durationMs(b.for);
}
