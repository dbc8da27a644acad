// Every check a rollout judges, in one explainable shape: what the manager
// stores per check (with the query and the values) and what the dashboard
// and the CLI show. Metric checks come from rollout-analysis.ts; webhook and
// error-budget checks from the gates and hooks the controller calls.
import type { MetricCheck } from "./rollout-analysis.ts";
import type { ErrorBudgetOutcome, WebhookOutcome } from "./rollout-plan.ts";
import type { WebhookType } from "./rollout.schema.ts";

/** A webhook call and what it came to. */
export interface WebhookCheck {
  kind: "webhook";
  name: string;
  type: WebhookType;
  url: string;
  verdict: "pass" | "fail";
  /** HTTP status of the last attempt; null when no answer came (network error, timeout). */
  status: number | null;
  attempts: number;
  durationMs: number;
  error: string | null;
  reason: string;
}

/** One SLO's part of an error-budget verdict. */
export interface ErrorBudgetSlo {
  slo: string;
  verdict: "pass" | "fail";
  budgetRemaining: number;
  burnRates: Record<string, number>;
  reason: string;
}

/** The error-budget gate's answer before a promotion. */
export interface ErrorBudgetCheck {
  kind: "error-budget";
  name: "error-budget";
  verdict: "pass" | "fail" | "no-slo";
  slos: ErrorBudgetSlo[];
  reason: string;
}

export type RolloutCheck = MetricCheck | WebhookCheck | ErrorBudgetCheck;

/** The outcome the plan decides on, from a stored webhook check. */
export function webhookOutcome(check: WebhookCheck): WebhookOutcome {
  return { name: check.name, type: check.type, ok: check.verdict === "pass", status: check.status, attempts: check.attempts, error: check.error };
}

/** The gate's answer the plan decides on, from a stored error-budget check. */
export function errorBudgetOutcome(check: ErrorBudgetCheck): ErrorBudgetOutcome {
  return { verdict: check.verdict, reason: check.reason };
}

/** Short text of a check's value for tables and the CLI: "97.1 % (≥ 99 %)", "HTTP 500 after 3 attempts", "burning 16× (fail)". */
export function checkSummary(check: RolloutCheck): string {
  switch (check.kind) {
    case "metric": {
      const unit = check.threshold.unit === "%" ? " %" : " ms";
      const value = check.value === null ? "no samples" : `${check.value}${unit}`;
      const vs = check.comparison ? `, ${check.comparison.difference >= 0 && check.comparison.unit === "points" ? "+" : ""}${check.comparison.difference}${check.comparison.unit === "points" ? " points" : " %"} vs stable` : "";
      return `${value} (${check.threshold.op === ">=" ? "≥" : "≤"} ${check.threshold.value}${unit}${vs}; n=${check.samples.canary}/${check.samples.stable})`;
    }
    case "webhook":
      return check.status === null ? `${check.error ?? "no answer"} after ${check.attempts} attempt${check.attempts === 1 ? "" : "s"}` : `HTTP ${check.status} after ${check.attempts} attempt${check.attempts === 1 ? "" : "s"}`;
    case "error-budget":
      return check.reason;
  }
}
