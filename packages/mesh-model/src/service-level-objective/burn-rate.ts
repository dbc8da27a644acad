// Error budget and burn-rate maths of the SRE workbook ("Alerting on SLOs").
// Pure numbers: the evaluator, the error-budget gate, the dashboard and the
// rule generator all read them from here, so no copy of the maths exists.
import type { AlertSeverity, AlertWindow, ServiceLevelObjectiveSpec } from "./service-level-objective.schema.ts";
import { durationMs } from "../common/duration.ts";
import { formatSloWindow, sloWindowMs } from "./slo-window.ts";

/** Requests of a window and how many of them were bad (failed, or slower than the threshold). */
export interface WindowCounts {
  requests: number;
  bad: number;
}

/** An alert window pair with its durations in milliseconds. */
export interface ResolvedAlertWindow {
  /** `long/short`, e.g. `1h/5m`: names the alert (one alert per pair). */
  name: string;
  severity: AlertSeverity;
  longWindow: string;
  shortWindow: string;
  longMs: number;
  shortMs: number;
  burnRate: number;
  forMs: number;
}

/** The SRE workbook's table 5-8 (for a 99.9 % objective over 30 days). */
export const WORKBOOK_ALERT_WINDOWS: readonly AlertWindow[] = [
  { severity: "page", longWindow: "1h", shortWindow: "5m", burnRate: 14.4, for: "0s" },
  { severity: "page", longWindow: "6h", shortWindow: "30m", burnRate: 6, for: "0s" },
  { severity: "ticket", longWindow: "3d", shortWindow: "6h", burnRate: 1, for: "0s" },
];

/** The workbook's table plus Sloth's extra ticket pair (3× over 1d with 2h). */
export const SLOTH_ALERT_WINDOWS: readonly AlertWindow[] = [
  ...WORKBOOK_ALERT_WINDOWS.slice(0, 2),
  { severity: "ticket", longWindow: "1d", shortWindow: "2h", burnRate: 3, for: "0s" },
  ...WORKBOOK_ALERT_WINDOWS.slice(2),
];

/** Names an alert window pair: `1h/5m`. */
export function alertWindowName(w: Pick<AlertWindow, "longWindow" | "shortWindow">): string {
  return `${w.longWindow}/${w.shortWindow}`;
}

/** The alert window pairs an SLO evaluates: its own, or its preset's. */
export function alertWindowsOf(spec: Pick<ServiceLevelObjectiveSpec, "alerting">): ResolvedAlertWindow[] {
  const windows = spec.alerting.windows ?? (spec.alerting.preset === "sloth" ? SLOTH_ALERT_WINDOWS : WORKBOOK_ALERT_WINDOWS);
  return windows.map((w) => ({
    name: alertWindowName(w),
    severity: w.severity,
    longWindow: w.longWindow,
    shortWindow: w.shortWindow,
    longMs: sloWindowMs(w.longWindow),
    shortMs: sloWindowMs(w.shortWindow),
    burnRate: w.burnRate,
    forMs: durationMs(w.for),
  }));
}

/** Every window an SLO needs counts for: its own window and each alert pair's two, longest first, each once. */
export function windowsToRead(spec: Pick<ServiceLevelObjectiveSpec, "alerting" | "window">): string[] {
  const ms = new Set<number>([sloWindowMs(spec.window)]);
  for (const w of alertWindowsOf(spec)) {
    ms.add(w.longMs);
    ms.add(w.shortMs);
  }
  return [...ms].sort((a, b) => b - a).map(formatSloWindow);
}

/** The error budget: the share of requests allowed to be bad (0.001 for 99.9 %). */
export function errorBudget(objectivePercent: number): number {
  // (100 - 99.9) / 100 is 0.0009999999999998899 either way; rounding to 12 digits gives the 0.001 people mean.
  return Number(((100 - objectivePercent) / 100).toPrecision(12));
}

/** Share of bad requests; null without requests (no data is not "all good"). */
export function badRatio(counts: WindowCounts): number | null {
  return counts.requests > 0 ? counts.bad / counts.requests : null;
}

/** How many times faster than sustainable the budget burns over a window (1 = exactly the whole budget over the SLO window); null without requests. */
export function burnRate(counts: WindowCounts, objectivePercent: number): number | null {
  const ratio = badRatio(counts);
  return ratio === null ? null : ratio / errorBudget(objectivePercent);
}

/** The highest burn rate an objective allows: every request bad. A threshold at or above it never fires. */
export function maxBurnRate(objectivePercent: number): number {
  return 1 / errorBudget(objectivePercent);
}

/** Share of the SLO window's error budget left, 1 = untouched, negative when overspent; null without requests. */
export function budgetRemaining(sloWindowCounts: WindowCounts, objectivePercent: number): number | null {
  const rate = burnRate(sloWindowCounts, objectivePercent);
  return rate === null ? null : 1 - rate;
}

/**
 * How long until the budget is gone if it keeps burning at `rate` (a burn
 * rate of 1 spends the whole budget in one SLO window): 0 when already
 * spent, null when it is not burning.
 */
export function timeToExhaustionMs(remaining: number, rate: number | null, sloWindowMillis: number): number | null {
  if (remaining <= 0) return 0;
  if (rate === null || rate <= 0) return null;
  return (remaining * sloWindowMillis) / rate;
}

/** Share of the SLO window's budget an alert pair has consumed when it fires at exactly its threshold (the workbook's "error budget consumed" column). */
export function budgetConsumedAtThreshold(w: Pick<ResolvedAlertWindow, "burnRate" | "longMs">, sloWindowMillis: number): number {
  return (w.burnRate * w.longMs) / sloWindowMillis;
}

/**
 * Time from the start of a sudden error ratio to the alert firing, with
 * steady traffic before and after (the workbook's detection time:
 * budget / errorRatio × longWindow × burnRate; the short window always
 * crosses first). Null when that error ratio never fires the pair.
 */
export function detectionTimeMs(w: Pick<ResolvedAlertWindow, "burnRate" | "longMs" | "shortMs" | "forMs">, objectivePercent: number, errorRatio: number): number | null {
  const threshold = w.burnRate * errorBudget(objectivePercent);
  if (!(errorRatio > threshold)) return null;
  return (threshold / errorRatio) * w.longMs + w.forMs;
}

/**
 * Time from the end of an error ratio that lasted at least the short window
 * to the alert resolving: the short window must fall back to the threshold.
 */
export function resetTimeMs(w: Pick<ResolvedAlertWindow, "burnRate" | "shortMs">, objectivePercent: number, errorRatio: number): number {
  const threshold = w.burnRate * errorBudget(objectivePercent);
  return Math.max(0, w.shortMs * (1 - threshold / errorRatio));
}
