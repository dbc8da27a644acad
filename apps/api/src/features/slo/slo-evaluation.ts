// Pure pieces of the SLO evaluator: from metric-source samples to the counts
// judgeSlo wants (per scope), and from alert transitions to incidents (one
// notification per SLO, scope and severity, as Alertmanager would group
// them: the first pair of a severity to fire opens the incident, the last
// to resolve closes it).
import { durationMs, formatBurnRate, formatSpan, type AlertJudgement, type AlertStateName, type ServiceLevelObjective, type SloJudgement, type WindowCounts } from "@weft/mesh-model";
import type { WindowSample } from "../metrics/metric-source.ts";
import type { NotificationEvent } from "../notifications/notifier.ts";

/** The bad requests of a sample under the SLO's indicator. */
export function badOf(slo: ServiceLevelObjective, sample: Pick<WindowSample, "requests" | "errors" | "underThreshold">): number {
  const indicator = slo.spec.indicator;
  if (indicator.type === "availability") return sample.errors;
  return Math.max(0, sample.requests - (sample.underThreshold[durationMs(indicator.threshold)] ?? 0));
}

/** Counts per scope ("" mesh-wide, and one per cluster for per-cluster SLOs) from one window's samples (grouped by cluster when per-cluster). */
export function countsByScope(slo: ServiceLevelObjective, samples: readonly WindowSample[]): Map<string, WindowCounts> {
  const out = new Map<string, WindowCounts>([["", { requests: 0, bad: 0 }]]);
  for (const s of samples) {
    const bad = badOf(slo, s);
    const mesh = out.get("") as WindowCounts;
    mesh.requests += s.requests;
    mesh.bad += bad;
    if (slo.spec.perCluster && s.group.cluster !== undefined) {
      const c = out.get(s.group.cluster) ?? { requests: 0, bad: 0 };
      c.requests += s.requests;
      c.bad += bad;
      out.set(s.group.cluster, c);
    }
  }
  return out;
}

const UP: ReadonlySet<AlertStateName> = new Set(["firing"]);

export interface Incident {
  severity: string;
  action: "trigger" | "resolve";
  /** When the incident started (the first pair's firing), for a stable event id. */
  startedAt: number;
  /** The pairs of this severity, as judged now. */
  alerts: AlertJudgement[];
}

/**
 * Incidents that open or close in this evaluation: per severity, "any pair
 * firing" before vs now. A second pair of the same severity firing while
 * the first still fires changes nothing (one page, not two).
 */
export function incidentChanges(before: ReadonlyMap<string, { state: AlertStateName; firedAt?: number }>, judgement: Pick<SloJudgement, "alerts">): Incident[] {
  const severities = [...new Set(judgement.alerts.map((a) => a.window.severity))];
  const out: Incident[] = [];
  for (const severity of severities) {
    const alerts = judgement.alerts.filter((a) => a.window.severity === severity);
    const wasUp = alerts.filter((a) => UP.has(before.get(a.window.name)?.state ?? "inactive"));
    const isUp = alerts.filter((a) => UP.has(a.state.state));
    if (wasUp.length === 0 && isUp.length > 0) out.push({ severity, action: "trigger", startedAt: Math.min(...isUp.map((a) => a.state.firedAt ?? a.state.since)), alerts });
    else if (wasUp.length > 0 && isUp.length === 0) out.push({ severity, action: "resolve", startedAt: Math.min(...wasUp.map((a) => before.get(a.window.name)?.firedAt ?? 0)), alerts });
  }
  return out;
}

export interface SloRef {
  resourceId: string;
  namespace: string;
  name: string;
  service: { namespace: string; name: string };
}

/** The incident key of an SLO, scope and severity: PagerDuty's dedup key, one GitHub/Jira issue per key. */
export function incidentKey(ref: Pick<SloRef, "namespace" | "name">, scope: string, severity: string): string {
  return `slo:${ref.namespace}/${ref.name}:${scope || "mesh"}:${severity}`;
}

/** The event id of an incident's trigger or resolve: the same incident closed twice is one event. */
const incidentEventId = (ref: Pick<SloRef, "resourceId">, scope: string, severity: string, startedAt: number, action: string) => `slo.${ref.resourceId}.${scope || "mesh"}.${severity}.${startedAt}.${action}`;

/**
 * The resolve of an incident whose alerts are no longer evaluated (the SLO
 * was deleted, its window pairs removed, or alerting turned off): the
 * channels close what they opened for it.
 */
export function retiredIncidentEvent(ref: Pick<SloRef, "resourceId" | "namespace" | "name">, scope: string, severity: string, startedAt: number, reason: string, now: number, links: { label: string; url: string }[]): NotificationEvent {
  const where = scope ? ` in ${scope}` : "";
  return {
    id: incidentEventId(ref, scope, severity, startedAt, "resolve"),
    type: "slo.alert.resolved",
    severity: severity === "page" ? "page" : "ticket",
    namespace: ref.namespace,
    title: `${ref.namespace}/${ref.name}${where}: no longer alerting (${severity}): ${reason}`,
    summary: `The ${severity} alert of ${ref.namespace}/${ref.name}${where} stopped: ${reason}. It is no longer evaluated, so it is resolved.`,
    dedupKey: incidentKey(ref, scope, severity),
    action: "resolve",
    links,
    data: { slo: `${ref.namespace}/${ref.name}`, scope: scope || null, retired: reason, alerts: [] },
    occurredAt: new Date(now),
  };
}

/** The notification of an incident: both burn rates of every pair, the budget left and when it runs out. */
export function incidentEvent(slo: ServiceLevelObjective, ref: SloRef, scope: string, incident: Incident, judgement: SloJudgement, now: number, links: { label: string; url: string }[]): NotificationEvent {
  const where = scope ? ` in ${scope}` : "";
  const firing = incident.alerts.filter((a) => a.state.state === "firing");
  const lead = (incident.action === "trigger" ? firing : incident.alerts).reduce((a, b) => ((b.longBurn ?? 0) / b.window.burnRate > (a.longBurn ?? 0) / a.window.burnRate ? b : a), incident.alerts[0] as AlertJudgement);
  const burn = (v: number | null) => (v === null ? "no data" : `${formatBurnRate(v)}×`);
  const lines = incident.alerts.map((a) => `${a.window.name}: ${burn(a.longBurn)} over ${a.window.longWindow}, ${burn(a.shortBurn)} over ${a.window.shortWindow} (threshold ${formatBurnRate(a.window.burnRate)}×) — ${a.state.state}`);
  const budget = judgement.budgetRemaining === null ? "no data yet" : `${Math.round(judgement.budgetRemaining * 100)} % of the error budget left`;
  const runsOut = judgement.exhaustsInMs === null ? "" : judgement.exhaustsInMs === 0 ? ", already spent" : `, gone in ${formatSpan(judgement.exhaustsInMs)} at the current rate`;
  const sli = judgement.sli === null ? "no requests" : `${(judgement.sli * 100).toFixed(3)} %`;
  const title =
    incident.action === "trigger"
      ? `${ref.namespace}/${ref.name}${where}: burning ${burn(lead.longBurn)} over ${lead.window.longWindow} and ${burn(lead.shortBurn)} over ${lead.window.shortWindow} (${incident.severity} threshold ${formatBurnRate(lead.window.burnRate)}×)`
      : `${ref.namespace}/${ref.name}${where}: recovered (${incident.severity})`;
  return {
    id: incidentEventId(ref, scope, incident.severity, incident.startedAt, incident.action),
    type: incident.action === "trigger" ? "slo.alert.firing" : "slo.alert.resolved",
    severity: incident.severity === "page" ? "page" : "ticket",
    namespace: ref.namespace,
    title,
    summary: [`Service ${ref.service.namespace}/${ref.service.name}${where}: SLI ${sli} over ${slo.spec.window} against ${slo.spec.objective} %; ${budget}${runsOut}.`, ...lines].join("\n"),
    dedupKey: incidentKey(ref, scope, incident.severity),
    action: incident.action,
    links,
    data: {
      slo: `${ref.namespace}/${ref.name}`,
      service: `${ref.service.namespace}/${ref.service.name}`,
      scope: scope || null,
      objective: slo.spec.objective,
      window: slo.spec.window,
      sli: judgement.sli,
      budgetRemaining: judgement.budgetRemaining,
      exhaustsAt: judgement.exhaustsInMs === null ? null : new Date(now + judgement.exhaustsInMs).toISOString(),
      alerts: incident.alerts.map((a) => ({ pair: a.window.name, severity: a.window.severity, longWindow: a.window.longWindow, shortWindow: a.window.shortWindow, longBurn: a.longBurn, shortBurn: a.shortBurn, threshold: a.window.burnRate, state: a.state.state })),
    },
    occurredAt: new Date(now),
  };
}
