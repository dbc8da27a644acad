// The timeouts-and-retries wizard's model: the request timeout and the retry
// block of the service's TrafficPolicy (mesh-model's PolicyTimeoutsSchema and
// PolicyRetriesSchema: attempts, perTryTimeout, retryOn,
// retriableStatusCodes, budget), and what they do in words, the retry budget
// included. Fields the wizard does not show (backoff, gRPC codes, connect and
// idle timeouts, everything else of the policy) are kept as stored.
import { formatDuration, parseDuration, type RetryOn } from "@weft/mesh-model";
import { withSpecField, type PolicyDoc } from "./service-traffic-policy.ts";

/** The schema's retry conditions when `retryOn` is omitted. */
export const DEFAULT_RETRY_ON: readonly RetryOn[] = ["5xx", "connect-failure", "reset"];
/** Every retry condition, in the order the form lists them. */
export const RETRY_CONDITIONS: readonly RetryOn[] = ["5xx", "gateway-error", "reset", "connect-failure", "refused-stream", "retriable-status-codes"];
/** The schema's budget defaults (RetryBudgetSchema). */
export const BUDGET_DEFAULTS = { percent: 20, minRetriesPerSecond: 10 } as const;

/** What the form edits. Durations are text ("" when off); numbers NaN when a box is empty. */
export interface RetryDraft {
  requestTimeout: string;
  retries: boolean;
  attempts: number;
  perTryTimeout: string;
  retryOn: RetryOn[];
  /** "503, 504": the statuses retried with retriable-status-codes. */
  statusCodes: string;
  budget: boolean;
  budgetPercent: number;
  minRetriesPerSecond: number;
}

/** A fresh setting: 15 s in all, 2 retries of at most 5 s each on the default conditions, the default budget. */
export const NEW_RETRIES: RetryDraft = {
  requestTimeout: "15s",
  retries: true,
  attempts: 2,
  perTryTimeout: "5s",
  retryOn: [...DEFAULT_RETRY_ON],
  statusCodes: "",
  budget: true,
  budgetPercent: BUDGET_DEFAULTS.percent,
  minRetriesPerSecond: BUDGET_DEFAULTS.minRetriesPerSecond,
};

interface StoredRetries {
  attempts?: number;
  perTryTimeout?: string;
  retryOn?: RetryOn[];
  retriableStatusCodes?: number[];
  budget?: { percent?: number; minRetriesPerSecond?: number };
  [k: string]: unknown;
}

const timeoutsOf = (policy: PolicyDoc | null) => (policy?.spec.timeouts ?? {}) as { request?: string; [k: string]: unknown };
const retriesOf = (policy: PolicyDoc | null) => policy?.spec.retries as StoredRetries | undefined;

/** The resource paths the form has an input for. */
export const RETRY_FIELDS = [
  "spec.timeouts.request",
  "spec.retries.attempts",
  "spec.retries.perTryTimeout",
  "spec.retries.retryOn",
  "spec.retries.retriableStatusCodes",
  "spec.retries.budget.percent",
  "spec.retries.budget.minRetriesPerSecond",
] as const;

/** The draft a stored policy reopens as; a new policy (or one without these fields) starts from {@link NEW_RETRIES}. */
export function retryDraftOf(policy: PolicyDoc | null): RetryDraft {
  const timeouts = timeoutsOf(policy);
  const retries = retriesOf(policy);
  if (!policy || (timeouts.request === undefined && !retries)) return { ...NEW_RETRIES, retryOn: [...NEW_RETRIES.retryOn] };
  return {
    requestTimeout: timeouts.request ?? "",
    retries: Boolean(retries),
    attempts: retries?.attempts ?? NEW_RETRIES.attempts,
    perTryTimeout: retries ? (retries.perTryTimeout ?? "") : NEW_RETRIES.perTryTimeout,
    retryOn: [...(retries?.retryOn ?? DEFAULT_RETRY_ON)],
    statusCodes: (retries?.retriableStatusCodes ?? []).join(", "),
    budget: retries ? Boolean(retries.budget) : true,
    budgetPercent: retries?.budget?.percent ?? BUDGET_DEFAULTS.percent,
    minRetriesPerSecond: retries?.budget?.minRetriesPerSecond ?? BUDGET_DEFAULTS.minRetriesPerSecond,
  };
}

/** "503, 504" → [503, 504]; a word that is not a number stays NaN, for the schema to name at its index. */
export function parseStatusCodes(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((t) => (/^\d+$/.test(t) ? Number(t) : Number.NaN));
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** The TrafficPolicy with the draft's request timeout and retries; other fields as stored. */
export function retriedPolicy(policy: PolicyDoc, draft: RetryDraft): PolicyDoc {
  const timeouts = { ...timeoutsOf(policy) };
  if (draft.requestTimeout.trim()) timeouts.request = draft.requestTimeout.trim();
  else delete timeouts.request;
  let out = withSpecField(policy, "timeouts", Object.keys(timeouts).length > 0 ? timeouts : undefined);
  if (!draft.retries) return withSpecField(out, "retries", undefined);
  const stored = retriesOf(policy);
  const retries: StoredRetries = { ...stored, attempts: draft.attempts };
  if (draft.perTryTimeout.trim()) retries.perTryTimeout = draft.perTryTimeout.trim();
  else delete retries.perTryTimeout;
  // An omitted retryOn means the defaults: keep it omitted when the defaults are what is chosen.
  if (stored?.retryOn === undefined && sameSet(draft.retryOn, DEFAULT_RETRY_ON)) delete retries.retryOn;
  else retries.retryOn = RETRY_CONDITIONS.filter((c) => draft.retryOn.includes(c));
  const codes = parseStatusCodes(draft.statusCodes);
  if (codes.length > 0) retries.retriableStatusCodes = codes;
  else delete retries.retriableStatusCodes;
  if (draft.budget) retries.budget = { percent: draft.budgetPercent, minRetriesPerSecond: draft.minRetriesPerSecond };
  else delete retries.budget;
  out = withSpecField(out, "retries", retries);
  return out;
}

const CONDITION_TEXT: Record<RetryOn, string> = {
  "5xx": "any 5xx answer or none",
  "gateway-error": "502, 503 or 504",
  reset: "a reset stream",
  "connect-failure": "a failed connection",
  "refused-stream": "a stream the upstream refused unprocessed",
  "retriable-status-codes": "the listed statuses",
};

const ms = (text: string) => (text.trim() ? parseDuration(text.trim()) : undefined);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * What the draft does, in words: how long a caller waits, how many attempts
 * a request gets and whether the per-try timeout leaves room for them all,
 * and how far the retry budget lets retries multiply an outage. With the
 * recent request rate to the service (req/s, from the rollups) it says
 * whether the budget's floor or its percentage is what binds.
 */
export function retryEffect(draft: RetryDraft, observedPerSecond?: number): string[] {
  const out: string[] = [];
  const total = ms(draft.requestTimeout);
  const perTry = ms(draft.perTryTimeout);
  if (total === undefined || total === 0) out.push("No request timeout: a caller waits as long as the service takes.");
  else out.push(`A caller waits at most ${formatDuration(total)} for an answer, retries included; then it gets 504.`);
  if (!draft.retries || !Number.isInteger(draft.attempts) || draft.attempts < 1) {
    out.push("No retries: a failed call fails at once.");
    return out;
  }
  const attempts = draft.attempts + 1;
  const conditions = draft.retryOn.length > 0 ? draft.retryOn : DEFAULT_RETRY_ON;
  out.push(`A call that fails with ${conditions.map((c) => CONDITION_TEXT[c]).join(", ")} is tried again up to ${plural(draft.attempts, "time")}: at most ${attempts} attempts${perTry ? `, each limited to ${formatDuration(perTry)}` : ""}.`);
  if (total && perTry && perTry > 0) {
    const fit = Math.max(1, Math.floor(total / perTry));
    if (fit < attempts) out.push(`The ${formatDuration(total)} request timeout leaves room for only ${plural(fit, "attempt")} of ${formatDuration(perTry)}: the later retries are never sent when attempts time out.`);
  }
  if (!draft.budget) {
    out.push(`No retry budget: in an outage every request may be sent ${attempts} times, up to ${attempts}× the load on a failing service.`);
    return out;
  }
  // The proxy's budget (packages/proxy RetryBudget): over its window, retries ≤ percent × requests + floor × seconds.
  const share = draft.budgetPercent / 100;
  out.push(
    `Retry budget: retries may add at most ${draft.budgetPercent} % to the requests, plus ${plural(draft.minRetriesPerSecond, "retry", "retries")} per second from each calling proxy so quiet services can still retry: in an outage at high traffic the service sees about ${round1(Math.min(attempts, 1 + share))}× its load instead of ${attempts}×.`,
  );
  if (observedPerSecond !== undefined && observedPerSecond > 0) {
    const allowedPerSecond = share * observedPerSecond + draft.minRetriesPerSecond;
    out.push(
      `At its recent ≈ ${round1(observedPerSecond * 60)} req/min, that is at most ≈ ${round1(allowedPerSecond * 60)} retries/min per calling proxy: about ${round1(Math.min(attempts, 1 + allowedPerSecond / observedPerSecond))}× the load in an outage.`,
    );
  }
  return out;
}
