// The alert state machine of one SLO window pair, a pure function of the
// stored state, the two windows' burn rates and the (injected) clock:
// inactive → pending → firing → resolved (→ pending/firing again).
import { formatBurnRate } from "./slo-format.ts";

export type AlertStateName = "inactive" | "pending" | "firing" | "resolved";

export interface AlertState {
  state: AlertStateName;
  /** When the current state was entered (epoch ms). */
  since: number;
  /** When the last firing started, while firing or resolved (epoch ms). */
  firedAt?: number;
}

/** What the evaluator measured for one window pair. */
export interface AlertReading {
  /** Long window: burn rate (null without requests) and its request count. */
  long: { burn: number | null; requests: number };
  short: { burn: number | null; requests: number };
}

export interface AlertRule {
  /** Names the windows in reasons, e.g. "1h" and "5m". */
  longWindow: string;
  shortWindow: string;
  burnRate: number;
  forMs: number;
  minimumEvents: number;
}

export interface AlertTransition {
  from: AlertStateName;
  to: AlertStateName;
  /** Why, in words, with the numbers. */
  reason: string;
}

export const INITIAL_ALERT_STATE: AlertState = { state: "inactive", since: 0 };

/** Whether both windows burn faster than the threshold (with enough requests), and why in words. */
export function alertCondition(rule: AlertRule, reading: AlertReading): { met: boolean; reason: string } {
  const { long, short } = reading;
  const x = (v: number | null) => (v === null ? "no data" : `${formatBurnRate(v)}×`);
  const rates = `${x(long.burn)} over ${rule.longWindow}, ${x(short.burn)} over ${rule.shortWindow} (threshold ${formatBurnRate(rule.burnRate)}×)`;
  if (long.requests < rule.minimumEvents) return { met: false, reason: `only ${long.requests} requests in ${rule.longWindow} (minimum ${rule.minimumEvents}); burning ${rates}` };
  // Strictly greater, like the Prometheus rules Weft exports (`>`).
  const met = long.burn !== null && short.burn !== null && long.burn > rule.burnRate && short.burn > rule.burnRate;
  return { met, reason: `burning ${rates}` };
}

/** The next state of one alert at `now`, and the transition when the state changed. */
export function stepAlert(previous: AlertState, rule: AlertRule, reading: AlertReading, now: number): { next: AlertState; transition: AlertTransition | null } {
  const { met, reason } = alertCondition(rule, reading);
  const to = (state: AlertStateName, extra: Partial<AlertState> = {}) => ({
    next: { state, since: now, ...(previous.firedAt !== undefined ? { firedAt: previous.firedAt } : {}), ...extra },
    transition: { from: previous.state, to: state, reason },
  });
  const stay = { next: previous, transition: null };
  switch (previous.state) {
    case "inactive":
    case "resolved":
      if (!met) return stay;
      return rule.forMs > 0 ? to("pending") : to("firing", { firedAt: now });
    case "pending":
      if (!met) return to("inactive");
      return now - previous.since >= rule.forMs ? to("firing", { firedAt: now }) : stay;
    case "firing":
      return met ? stay : to("resolved");
  }
}
