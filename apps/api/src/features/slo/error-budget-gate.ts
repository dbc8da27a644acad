// The one question the rollout controller asks the SLO evaluator: may this
// service be promoted now? The evaluator answers it with its own maths
// (ARCHITECTURE.md: no copy of the burn-rate maths in the rollout code).

export interface ErrorBudgetTarget {
  namespace: string;
  service: string;
  /** Restrict to SLOs covering these clusters; every SLO of the service when absent. */
  clusters?: readonly string[];
}

/** One SLO's part of the verdict, with the numbers it judged. */
export interface ErrorBudgetSloVerdict {
  /** `namespace/name` of the ServiceLevelObjective. */
  slo: string;
  verdict: "pass" | "fail";
  /** Share of the window's error budget left, 0–1 (negative when overspent). */
  budgetRemaining: number;
  /** Burn rate per alert window, e.g. `{ "1h": 2.1, "5m": 0.4 }`. */
  burnRates: Record<string, number>;
  /** Why, in words: "burning 16.2× over 1h (page threshold 14.4×)". */
  reason: string;
}

export interface ErrorBudgetVerdict {
  /** `no-slo`: the service has no SLO, so the gate has nothing to read (the rollout analyzer says so too). */
  verdict: "pass" | "fail" | "no-slo";
  slos: ErrorBudgetSloVerdict[];
}

export interface ErrorBudgetGate {
  check(target: ErrorBudgetTarget, at: Date): Promise<ErrorBudgetVerdict>;
}
