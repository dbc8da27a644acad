// What the rollout controller measures before it decides (rollout-plan.ts
// `dueChecks`): the interval's canary and stable traffic from the one metric
// source, the configured webhooks (Flagger's types; any 2xx passes, with a
// timeout and retries) and the SLO evaluator's error-budget gate. Every
// result becomes a stored check carrying what it judged.
import {
  judgeInterval,
  type AnalysisWindow,
  type ErrorBudgetCheck,
  type IntervalVerdict,
  type MetricCheck,
  type Rollout,
  type RolloutWebhook,
  type VersionTraffic,
  type WebhookCheck,
  type WebhookType,
  durationMs,
} from "@weft/mesh-model";
import type { MetricSource, ServiceSelector, WindowSample } from "../metrics/metric-source.ts";
import type { ErrorBudgetGate } from "../slo/error-budget-gate.ts";
import { outboundRefusalOf } from "../../transport/outbound-fetch.ts";
import type { NewCheck } from "./rollouts.repository.ts";

const MINUTE_MS = 60_000;
const EMPTY: VersionTraffic = { requests: 0, errors: 0, p95Ms: null, p99Ms: null };

/** Where the step is, stamped on every check. */
export interface CheckPosition {
  attempt: number;
  wave: number;
  step: number;
  at: Date;
}

function traffic(samples: readonly WindowSample[]): VersionTraffic {
  const requests = samples.reduce((a, s) => a + s.requests, 0);
  const errors = samples.reduce((a, s) => a + s.errors, 0);
  // One sample per query without groupBy: its quantiles are the merged ones.
  const only = samples.length === 1 ? samples[0] : undefined;
  return { requests, errors, p95Ms: only?.quantiles[0.95] ?? null, p99Ms: only?.quantiles[0.99] ?? null };
}

/**
 * The analysis window of an interval. The rollups count per minute: a window
 * starts at the minute its interval starts in, so an interval shorter than a
 * minute reads the minute rows it overlaps (its sample count may include the
 * earlier part of that minute). PromQL reads the interval itself.
 */
export function analysisFrom(source: MetricSource, from: Date): Date {
  return source.kind === "rollups" ? new Date(Math.floor(from.getTime() / MINUTE_MS) * MINUTE_MS) : from;
}

/** Reads the interval's traffic (per cluster, and merged over the clusters) and judges it. */
export async function measureInterval(source: MetricSource, rollout: Rollout, due: { from: Date; to: Date; clusters: string[] | null; mirror: boolean }): Promise<{ verdict: IntervalVerdict; window: AnalysisWindow }> {
  const { spec } = rollout;
  const namespace = rollout.metadata.namespace ?? "default";
  const clusters = due.clusters ?? undefined;
  // Mirrored copies are counted apart, as the service's `-shadow` twin (the proxies rewrite the Host).
  const canary: ServiceSelector = due.mirror ? { namespace, service: `${spec.service.name}-shadow`, ...(clusters ? { clusters } : {}) } : { namespace, service: spec.service.name, versions: [spec.canary.version], ...(clusters ? { clusters } : {}) };
  const stable: ServiceSelector = { namespace, service: spec.service.name, versions: [spec.stable.version], ...(clusters ? { clusters } : {}) };
  const from = analysisFrom(source, due.from);
  const read = (selector: ServiceSelector, byCluster: boolean) => source.window({ selector, from, to: due.to, quantiles: [0.95, 0.99], ...(byCluster ? { groupBy: ["cluster"] as const } : {}) });
  const [canaryByCluster, stableByCluster, canaryAll, stableAll] = [await read(canary, true), await read(stable, true), await read(canary, false), await read(stable, false)];
  const window: AnalysisWindow = { from, to: due.to, clusters: {}, query: `canary: ${canaryAll.query} | stable: ${stableAll.query}` };
  const names = new Set([...canaryByCluster.samples, ...stableByCluster.samples].map((s) => s.group.cluster ?? ""));
  for (const cluster of names) {
    const pick = (samples: readonly WindowSample[]) => samples.filter((s) => (s.group.cluster ?? "") === cluster);
    // Per-cluster percentiles: the query per cluster gives each cluster's own.
    const c = pick(canaryByCluster.samples);
    const s = pick(stableByCluster.samples);
    window.clusters[cluster] = { canary: c.length ? traffic(c) : EMPTY, stable: s.length ? traffic(s) : EMPTY };
  }
  const verdict = judgeInterval(spec.analysis.metrics, spec.analysis.minRequests, window, { canary: traffic(canaryAll.samples), stable: traffic(stableAll.samples) });
  return { verdict, window };
}

/** A judged metric as a stored check. */
export function metricCheckRow(check: MetricCheck, window: AnalysisWindow, at: CheckPosition): NewCheck {
  return {
    ...at,
    windowFrom: window.from,
    windowTo: window.to,
    kind: "metric",
    name: check.name,
    cluster: check.cluster,
    verdict: check.verdict,
    mode: check.mode,
    query: window.query,
    values: { type: check.type, value: check.value, stableValue: check.stableValue, samples: check.samples, comparison: check.comparison, warnings: check.warnings },
    threshold: check.threshold,
    sampleCount: check.samples.canary,
    message: check.reason,
  };
}

/** What a webhook receives: Flagger's payload (name, namespace, phase, type, metadata) plus Weft's step. */
export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: string;
  type: WebhookType;
  metadata: Record<string, string>;
  service: string;
  stableVersion: string;
  canaryVersion: string;
  step: number;
  wave: number;
}

/**
 * Calls one webhook: POST JSON, a 2xx within the timeout passes; network
 * errors, timeouts and 5xx are retried. `fetchImpl` is the manager's
 * outbound fetch (transport/outbound-fetch.ts): a URL the egress policy
 * refuses fails at once, saying why.
 */
export async function callWebhook(hook: RolloutWebhook, payload: WebhookPayload, fetchImpl: typeof fetch): Promise<WebhookCheck> {
  const started = Date.now();
  const attemptsAllowed = hook.retries + 1;
  let status: number | null = null;
  let error: string | null = null;
  let attempts = 0;
  for (; attempts < attemptsAllowed; ) {
    attempts++;
    try {
      const res = await fetchImpl(hook.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...payload, metadata: hook.metadata ?? {} }), signal: AbortSignal.timeout(durationMs(hook.timeout)), redirect: "manual" });
      status = res.status;
      await res.body?.cancel().catch(() => {});
      error = null;
      if (status < 500) break;
    } catch (err) {
      status = null;
      const refused = outboundRefusalOf(err);
      if (refused) {
        // The egress policy's answer does not change on a retry.
        error = refused.message;
        break;
      }
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
      error = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError") ? `timed out after ${hook.timeout}` : `request failed: ${err instanceof Error ? err.message : String(err)}${cause}`;
    }
  }
  const ok = status !== null && status >= 200 && status < 300;
  error = error === null ? null : shownError(error, hook.url);
  const outcome = status === null ? (error ?? "no answer") : `HTTP ${status}`;
  return { kind: "webhook", name: hook.name, type: hook.type, url: shownUrl(hook.url), verdict: ok ? "pass" : "fail", status, attempts, durationMs: Date.now() - started, error: ok ? null : (error ?? `HTTP ${status}`), reason: `${hook.type} webhook ${hook.name}: ${outcome} after ${attempts} attempt${attempts === 1 ? "" : "s"}` };
}

/**
 * The webhook's URL as stored with its check (which every viewer of the
 * namespace reads): without user:password, which a URL may carry as
 * credentials.
 */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}

const MAX_ERROR_CHARS = 300;

/**
 * A network error's text as stored with the check: one line, at most 300
 * characters, and never the URL's credentials (undici's messages may quote
 * the URL it was given).
 */
export function shownError(error: string, url: string): string {
  let text = error;
  const safeUrl = shownUrl(url);
  if (safeUrl !== url) text = text.split(url).join(safeUrl);
  try {
    const { username, password } = new URL(url);
    for (const secret of [password, username]) if (secret) text = text.split(secret).join("***");
  } catch {
    // not a URL: nothing of it to hide
  }
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  text = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

/** Calls every webhook of the given types (in parallel). */
export function callWebhooks(rollout: Rollout, types: readonly WebhookType[], payload: Omit<WebhookPayload, "type" | "metadata">, fetchImpl: typeof fetch): Promise<WebhookCheck[]> {
  const hooks = (rollout.spec.analysis.webhooks ?? []).filter((h) => types.includes(h.type));
  return Promise.all(hooks.map((h) => callWebhook(h, { ...payload, type: h.type, metadata: h.metadata ?? {} }, fetchImpl)));
}

export function webhookCheckRow(check: WebhookCheck, at: CheckPosition): NewCheck {
  return {
    ...at,
    windowFrom: null,
    windowTo: null,
    kind: "webhook",
    name: check.name,
    cluster: null,
    verdict: check.verdict,
    mode: "Blocking",
    query: check.url,
    values: { type: check.type, status: check.status, attempts: check.attempts, durationMs: check.durationMs, error: check.error },
    threshold: { status: "2xx" },
    sampleCount: 0,
    message: check.reason,
  };
}

/** Asks the SLO evaluator whether the service may be promoted. */
export async function askErrorBudget(gate: ErrorBudgetGate, rollout: Rollout, clusters: readonly string[] | null, at: Date): Promise<ErrorBudgetCheck> {
  const namespace = rollout.metadata.namespace ?? "default";
  const verdict = await gate.check({ namespace, service: rollout.spec.service.name, ...(clusters ? { clusters } : {}) }, at);
  const reason =
    verdict.verdict === "no-slo"
      ? `service ${namespace}/${rollout.spec.service.name} has no ServiceLevelObjective: nothing to read`
      : verdict.slos.map((s) => `${s.slo}: ${s.reason}`).join("; ");
  return { kind: "error-budget", name: "error-budget", verdict: verdict.verdict, slos: verdict.slos, reason };
}

export function errorBudgetCheckRow(check: ErrorBudgetCheck, at: CheckPosition): NewCheck {
  return {
    ...at,
    windowFrom: null,
    windowTo: null,
    kind: "error-budget",
    name: check.name,
    cluster: null,
    verdict: check.verdict,
    mode: "Blocking",
    query: "SLO evaluator: burn rates and budget of the service's ServiceLevelObjectives",
    values: { slos: check.slos },
    threshold: null,
    sampleCount: 0,
    message: check.reason,
  };
}
