// One evaluation of one SLO: from the counts of each window it needs to the
// SLI, the budget left, the burn rates and the next state of every alert.
// The evaluator (apps/api) only reads counts, calls this, and stores what it
// returns; the error-budget gate and the dashboard read the same numbers.
import { INITIAL_ALERT_STATE, stepAlert, type AlertState, type AlertTransition } from "./alert-state.ts";
import { alertWindowsOf, budgetRemaining, burnRate, timeToExhaustionMs, windowsToRead, type ResolvedAlertWindow, type WindowCounts } from "./burn-rate.ts";
import type { ServiceLevelObjectiveSpec } from "./service-level-objective.schema.ts";
import { sloWindowMs } from "./slo-window.ts";

export interface AlertJudgement {
  window: ResolvedAlertWindow;
  longBurn: number | null;
  shortBurn: number | null;
  longRequests: number;
  state: AlertState;
  /** Set when the state changed in this evaluation. */
  transition: AlertTransition | null;
}

export interface SloJudgement {
  /** Share of good requests over the SLO window, 0–1; null without requests. */
  sli: number | null;
  requests: number;
  bad: number;
  /** Share of the window's error budget left (1 untouched, negative overspent); null without requests. */
  budgetRemaining: number | null;
  /** Burn rate per window text ("30d", "1h", "5m", ...); null without requests. */
  burnRates: Record<string, number | null>;
  /** The window whose burn rate is "burn now" (the shortest long window of the alerts). */
  currentWindow: string;
  /** Time until the budget runs out at the current burn rate; null when not burning, 0 when spent. */
  exhaustsInMs: number | null;
  /** One per alert window pair; empty when alerting is disabled. */
  alerts: AlertJudgement[];
}

/** The window whose burn rate the overview shows as "burn now": the shortest long window of the SLO's alert pairs. */
export function currentBurnWindow(spec: Pick<ServiceLevelObjectiveSpec, "alerting">): string {
  const windows = alertWindowsOf(spec);
  return windows.reduce((a, b) => (b.longMs < a.longMs ? b : a), windows[0] as ResolvedAlertWindow).longWindow;
}

/**
 * Judges an SLO at `now` from the counts of every window of
 * {@link windowsToRead} (a missing window counts as no data) and the alerts'
 * previous states (by pair name; missing: inactive).
 */
export function judgeSlo(
  spec: Pick<ServiceLevelObjectiveSpec, "alerting" | "window" | "objective">,
  counts: Readonly<Record<string, WindowCounts>>,
  previous: Readonly<Record<string, AlertState>>,
  now: number,
): SloJudgement {
  const empty: WindowCounts = { requests: 0, bad: 0 };
  const of = (window: string) => counts[window] ?? empty;
  const burnRates: Record<string, number | null> = {};
  for (const w of windowsToRead(spec)) burnRates[w] = burnRate(of(w), spec.objective);
  const whole = of(spec.window);
  const remaining = budgetRemaining(whole, spec.objective);
  const currentWindow = currentBurnWindow(spec);
  const alerts: AlertJudgement[] = !spec.alerting.enabled
    ? []
    : alertWindowsOf(spec).map((window) => {
        const long = of(window.longWindow);
        const short = of(window.shortWindow);
        const reading = { long: { burn: burnRates[window.longWindow] ?? null, requests: long.requests }, short: { burn: burnRates[window.shortWindow] ?? null, requests: short.requests } };
        const rule = { ...window, minimumEvents: spec.alerting.minimumEvents };
        const { next, transition } = stepAlert(previous[window.name] ?? INITIAL_ALERT_STATE, rule, reading, now);
        return { window, longBurn: reading.long.burn, shortBurn: reading.short.burn, longRequests: long.requests, state: next, transition };
      });
  return {
    sli: whole.requests > 0 ? 1 - whole.bad / whole.requests : null,
    requests: whole.requests,
    bad: whole.bad,
    budgetRemaining: remaining,
    burnRates,
    currentWindow,
    exhaustsInMs: remaining === null ? null : timeToExhaustionMs(remaining, burnRates[currentWindow] ?? null, sloWindowMs(spec.window)),
    alerts,
  };
}
