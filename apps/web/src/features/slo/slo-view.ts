// Pure view logic of the SLO pages: health of an SLO at a glance, budget and
// SLI text, burn rate per window against its threshold, the error-budget
// burn-down and the SLI-vs-objective series. The numbers themselves come
// from the manager (the evaluator's judgement); this only arranges them.
import { errorBudget, formatBurnRate } from "@weft/mesh-model";

export type AlertStateLike = "INACTIVE" | "PENDING" | "FIRING" | "RESOLVED";

export interface SloAlertLike {
  scope: string;
  pair: string;
  severity: string;
  state: AlertStateLike;
  longBurn: number | null;
  shortBurn: number | null;
  threshold: number;
  since: Date;
}

export interface SloStatusLike {
  scope: string;
  sli: number | null;
  requests: number;
  budgetRemaining: number | null;
  burnRates: Record<string, number | null>;
  currentWindow: string;
  exhaustsAt: Date | null;
  evaluatedAt: Date;
}

export interface SloRowLike {
  namespace: string;
  name: string;
  service: { namespace: string; name: string };
  objective: number;
  window: string;
  indicator: { type: "availability" } | { type: "latency"; threshold: string };
  /** Mesh-wide first, then per cluster. */
  statuses: SloStatusLike[];
  alerts: SloAlertLike[];
}

export type HealthLevel = "ok" | "warning" | "critical" | "unknown";

/** One word and a level for an SLO: paging, burning, overspent, at risk, ok, or no data. */
export function sloHealth(row: Pick<SloRowLike, "statuses" | "alerts">): { level: HealthLevel; label: string } {
  const firing = row.alerts.filter((a) => a.state === "FIRING");
  if (firing.some((a) => a.severity === "page")) return { level: "critical", label: "paging" };
  const mesh = row.statuses[0];
  if (!mesh || mesh.sli === null || mesh.budgetRemaining === null) return { level: "unknown", label: "no data" };
  if (mesh.budgetRemaining < 0) return { level: "critical", label: "budget spent" };
  if (firing.length > 0) return { level: "warning", label: "burning" };
  if (row.alerts.some((a) => a.state === "PENDING")) return { level: "warning", label: "pending" };
  if (mesh.budgetRemaining < 0.25) return { level: "warning", label: "at risk" };
  return { level: "ok", label: "ok" };
}

/** Worst first (critical, warning, unknown, ok), then by least budget left, then by name. */
export function sortSlos<T extends SloRowLike>(rows: readonly T[]): T[] {
  const rank: Record<HealthLevel, number> = { critical: 0, warning: 1, unknown: 2, ok: 3 };
  return [...rows].sort(
    (a, b) =>
      rank[sloHealth(a).level] - rank[sloHealth(b).level] ||
      (a.statuses[0]?.budgetRemaining ?? 2) - (b.statuses[0]?.budgetRemaining ?? 2) ||
      `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
}

/** A share 0–1 as the SLI is read: "99.93 %", "—" without data. Enough digits to tell it from the objective. */
export function formatSli(sli: number | null): string {
  if (sli === null) return "—";
  const percent = sli * 100;
  if (percent === 100) return "100 %";
  return `${percent >= 99 ? percent.toFixed(3) : percent.toFixed(2)} %`;
}

/** Budget left: "73 %", "−12 %" when overspent, "—" without data. */
export function formatBudget(remaining: number | null): string {
  if (remaining === null) return "—";
  const percent = Math.round(remaining * 100);
  return percent < 0 ? `−${Math.abs(percent)} %` : `${percent} %`;
}

/** A burn rate: "16×", "0.43×", "—" without data. */
export function formatBurn(rate: number | null): string {
  return rate === null ? "—" : `${formatBurnRate(rate)}×`;
}

/** When the budget runs out: "in 3d 4h", "spent", "not burning". */
export function formatExhaustion(exhaustsAt: Date | null, budgetRemaining: number | null, now: number): string {
  if (budgetRemaining !== null && budgetRemaining <= 0) return "spent";
  if (!exhaustsAt) return "not burning";
  const ms = exhaustsAt.getTime() - now;
  if (ms <= 0) return "spent";
  const h = Math.floor(ms / 3_600_000);
  if (h >= 48) return `in ${Math.floor(h / 24)}d ${h % 24}h`;
  if (h >= 1) return `in ${h}h ${Math.floor((ms % 3_600_000) / 60_000)}m`;
  return `in ${Math.max(1, Math.round(ms / 60_000))}m`;
}

export interface BurnBar {
  window: string;
  burn: number | null;
  threshold: number;
  /** Share of the bar's scale (0–1) for drawing; the threshold mark sits at thresholdAt. */
  fill: number;
  thresholdAt: number;
  over: boolean;
}

/**
 * Per alert pair, the long and short window's burn rate against the pair's
 * threshold, on a scale that shows the threshold at 50 % (up to twice the
 * threshold fills the bar; beyond that the bar is full and the text says how much).
 */
export function burnBars(alerts: readonly SloAlertLike[], scope = ""): { pair: string; severity: string; state: AlertStateLike; bars: BurnBar[] }[] {
  return alerts
    .filter((a) => a.scope === scope)
    .map((a) => {
      const [long = "", short = ""] = a.pair.split("/");
      const bar = (window: string, burn: number | null): BurnBar => ({
        window,
        burn,
        threshold: a.threshold,
        fill: burn === null ? 0 : Math.min(1, burn / (2 * a.threshold)),
        thresholdAt: 0.5,
        over: burn !== null && burn > a.threshold,
      });
      return { pair: a.pair, severity: a.severity, state: a.state, bars: [bar(long, a.longBurn), bar(short, a.shortBurn)] };
    });
}

export interface CountPointLike {
  at: Date;
  requests: number;
  bad: number;
}

/**
 * The error-budget burn-down over the SLO window: at each point, the share
 * of the window's budget still unspent, counting the bad requests from the
 * window's start up to that point against the budget of all the window's
 * requests. It ends at the evaluator's "budget left".
 */
export function burnDown(points: readonly CountPointLike[], objective: number): { x: number[]; remaining: (number | null)[] } {
  const total = points.reduce((n, p) => n + p.requests, 0);
  const allowed = total * errorBudget(objective);
  let bad = 0;
  const x: number[] = [];
  const remaining: (number | null)[] = [];
  for (const p of points) {
    bad += p.bad;
    x.push(Math.floor(p.at.getTime() / 1000));
    remaining.push(allowed > 0 ? Number(((1 - bad / allowed) * 100).toFixed(3)) : null);
  }
  return { x, remaining };
}

/** The SLI of each step against the objective, in percent (null where a step had no requests). */
export function sliSeries(points: readonly CountPointLike[], objective: number): { x: number[]; sli: (number | null)[]; objective: number[] } {
  return {
    x: points.map((p) => Math.floor(p.at.getTime() / 1000)),
    sli: points.map((p) => (p.requests > 0 ? Number(((1 - p.bad / p.requests) * 100).toFixed(4)) : null)),
    objective: points.map(() => objective),
  };
}

export interface AlertEventLike {
  at: Date;
  pair: string;
  scope: string;
  severity: string;
  from: AlertStateLike;
  to: AlertStateLike;
  reason: string;
  budgetRemaining: number | null;
}

const VERB: Record<AlertStateLike, string> = { FIRING: "fired", RESOLVED: "resolved", PENDING: "pending", INACTIVE: "cleared" };

/** The alert history, newest first, as the SLO page lists it. */
export function alertHistory(events: readonly AlertEventLike[]): { at: Date; what: string; pair: string; where: string; severity: string; reason: string; budget: string }[] {
  return [...events]
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .map((e) => ({ at: e.at, what: VERB[e.to], pair: e.pair, where: e.scope || "mesh-wide", severity: e.severity, reason: e.reason, budget: formatBudget(e.budgetRemaining) }));
}

/** What the SLI is, in words: "availability (5xx, no response)" or "latency ≤ 250ms". */
export function describeIndicator(indicator: SloRowLike["indicator"] & { errorClasses?: readonly string[] }): string {
  if (indicator.type === "latency") return `latency ≤ ${indicator.threshold}`;
  const classes = (indicator.errorClasses ?? ["5xx", "other"]).map((c) => (c === "other" ? "no response" : c));
  return `availability (errors: ${classes.join(", ")})`;
}
