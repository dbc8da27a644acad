import {
  alertCondition,
  alertWindowsOf,
  durationMs,
  formatBurnRate,
  formatPercent,
  issuesFromZod,
  judgeSlo,
  openSloYaml,
  prometheusRulesYaml,
  ServiceLevelObjectiveSchema,
  sloWindowMs,
  type Resource,
  type ServiceLevelObjective,
  type ValidationIssue,
} from "@weft/mesh-model";
import { notFound } from "../../errors.ts";
import type { TransactionRepositories } from "../../unit-of-work.ts";
import type { MetricSource } from "../metrics/metric-source.ts";
import type { StoredResource } from "../resources/resources.repository.ts";
import type { TicketRecord } from "../tickets/tickets.repository.ts";
import type { SloLookup } from "../tickets/tickets.service.ts";
import type { ErrorBudgetGate, ErrorBudgetSloVerdict, ErrorBudgetTarget, ErrorBudgetVerdict } from "./error-budget-gate.ts";
import { describeIndicator, sloLinks } from "./slo-links.ts";
import { readSlo, serviceOfSlo } from "./slo-readings.ts";
import type { SloAlertEventRecord, SloAlertRecord, SloRepository, SloStatusRecord } from "./slo.repository.ts";

/** The resources feature, as the SLO feature uses it. */
export interface SloResources {
  list(filter: { kind?: string | undefined; namespace?: string | undefined }): Promise<StoredResource[]>;
}

/** The tickets feature, as the SLO page lists an SLO's tickets. */
export interface SloTickets {
  list(filter: { sloResourceId?: string | undefined; limit: number }): Promise<TicketRecord[]>;
}

export interface SloSettings {
  /** How far back metrics reach (hourly rollups' retention); null when the source keeps its own (Prometheus). */
  metricsRetentionMs: number | null;
  dashboardUrl: string;
}

export interface SloSummary {
  id: string;
  namespace: string;
  name: string;
  revision: number;
  service: { namespace: string; name: string };
  objective: number;
  window: string;
  indicator: ServiceLevelObjective["spec"]["indicator"];
  indicatorText: string;
  perCluster: boolean;
  clusters: string[] | null;
  /** Mesh-wide first, then per cluster; empty until the evaluator first judged it. */
  statuses: (SloStatusRecord & { currentWindow: string })[];
  alerts: SloAlertRecord[];
  document: ServiceLevelObjective;
}

/** Mesh-wide ("") first, then clusters by name. */
const byScope = (a: { scope: string }, b: { scope: string }) => (a.scope === b.scope ? 0 : a.scope === "" ? -1 : b.scope === "" ? 1 : a.scope.localeCompare(b.scope));

/**
 * SLOs as people and other features read them: the evaluator's latest
 * judgement and alert history, chart series, a dry run of a draft, the
 * Prometheus rules and OpenSLO documents, and the error-budget gate the
 * rollout controller asks (through the evaluator's own maths).
 */
export class SloService implements ErrorBudgetGate, SloLookup {
  constructor(
    private readonly repo: SloRepository,
    private readonly resources: SloResources,
    private readonly tickets: SloTickets,
    private readonly metrics: MetricSource,
    private readonly settings: SloSettings,
    private readonly now: () => Date,
  ) {}

  private async live(filter: { namespace?: string | undefined } = {}): Promise<(StoredResource & { document: ServiceLevelObjective })[]> {
    return (await this.resources.list({ kind: "ServiceLevelObjective", ...filter })).filter((r): r is StoredResource & { document: ServiceLevelObjective } => r.document?.kind === "ServiceLevelObjective");
  }

  /** Every live SLO (optionally of a namespace or a service) with its statuses and alerts. */
  async list(filter: { namespace?: string | undefined; service?: { namespace: string; name: string } | undefined } = {}): Promise<SloSummary[]> {
    let rows = await this.live(filter.namespace !== undefined ? { namespace: filter.namespace } : {});
    if (filter.service) rows = rows.filter((r) => serviceOfSlo(r.document).namespace === filter.service?.namespace && r.document.spec.service.name === filter.service.name);
    const ids = rows.map((r) => r.id);
    const [statuses, alerts] = await Promise.all([this.repo.statuses(ids), this.repo.alerts(ids)]);
    return rows.map((r) => {
      const slo = r.document;
      // Alerts in the SLO's own order of window pairs (the workbook's: fastest first).
      const pairs = slo.spec.alerting.enabled ? alertWindowsOf(slo.spec).map((w) => w.name) : [];
      const currentWindow = alertWindowsOf(slo.spec).reduce((a, b) => (b.longMs < a.longMs ? b : a)).longWindow;
      return {
        id: r.id,
        namespace: r.namespace,
        name: r.name,
        revision: r.revision,
        service: serviceOfSlo(slo),
        objective: slo.spec.objective,
        window: slo.spec.window,
        indicator: slo.spec.indicator,
        indicatorText: describeIndicator(slo),
        perCluster: slo.spec.perCluster,
        clusters: slo.spec.clusters ?? null,
        statuses: statuses.filter((s) => s.resourceId === r.id).sort(byScope).map((s) => ({ ...s, currentWindow })),
        alerts: alerts.filter((a) => a.resourceId === r.id && pairs.includes(a.pair)).sort((a, b) => byScope(a, b) || pairs.indexOf(a.pair) - pairs.indexOf(b.pair)),
        document: slo,
      };
    });
  }

  async get(ref: { namespace: string; name: string }): Promise<SloSummary & { events: SloAlertEventRecord[]; tickets: TicketRecord[]; links: { label: string; url: string }[] }> {
    const found = (await this.list({ namespace: ref.namespace })).find((s) => s.name === ref.name);
    if (!found) throw notFound(`ServiceLevelObjective/${ref.namespace}/${ref.name}`, "name");
    const [events, tickets] = await Promise.all([this.repo.events(found.id, 200), this.tickets.list({ sloResourceId: found.id, limit: 50 })]);
    return { ...found, events, tickets, links: sloLinks(this.settings.dashboardUrl, found.document) };
  }

  /**
   * Good and bad requests per step over the SLO window (or `hours` back),
   * for the SLI-vs-objective chart and the burn-down. About 120 points.
   */
  async series(ref: { namespace: string; name: string }, options: { hours?: number | undefined; scope?: string | undefined } = {}): Promise<{ stepMs: number; points: { at: Date; requests: number; bad: number }[]; query: string }> {
    const slo = (await this.get(ref)).document;
    return this.seriesOf(slo, options.hours !== undefined ? options.hours * 3_600_000 : sloWindowMs(slo.spec.window), options.scope ?? "");
  }

  private async seriesOf(slo: ServiceLevelObjective, spanMs: number, scope: string) {
    const stepMs = spanMs >= 2 * 86_400_000 ? Math.max(3_600_000, Math.round(spanMs / 120 / 3_600_000) * 3_600_000) : Math.max(60_000, Math.round(spanMs / 120 / 60_000) * 60_000);
    const to = Math.ceil(this.now().getTime() / stepMs) * stepMs;
    const service = serviceOfSlo(slo);
    const indicator = slo.spec.indicator;
    const thresholdMs = indicator.type === "latency" ? durationMs(indicator.threshold) : null;
    const res = await this.metrics.series({
      selector: { namespace: service.namespace, service: service.name, ...(slo.spec.clusters ? { clusters: slo.spec.clusters } : {}) },
      from: new Date(to - spanMs),
      to: new Date(to),
      stepMs,
      groupBy: scope ? ["cluster"] : [],
      ...(indicator.type === "availability" ? { errorClasses: indicator.errorClasses } : { latencyThresholdsMs: [thresholdMs as number] }),
    });
    const points = res.points.map((p) => {
      const samples = p.samples.filter((s) => !scope || s.group.cluster === scope);
      const requests = samples.reduce((n, s) => n + s.requests, 0);
      const bad = samples.reduce((n, s) => n + (thresholdMs === null ? s.errors : s.requests - (s.underThreshold[thresholdMs] ?? 0)), 0);
      return { at: p.at, requests, bad: Math.max(0, bad) };
    });
    return { stepMs, points, query: res.query };
  }

  /**
   * A draft SLO judged now without storing anything: schema issues with
   * their paths, or the SLI and burn rates the evaluator would find, and
   * the SLI hour by hour over the last day.
   */
  async dryRun(document: unknown): Promise<{ valid: false; issues: ValidationIssue[] } | { valid: true; sli: number | null; budgetRemaining: number | null; burnRates: Record<string, number | null>; alerts: { pair: string; severity: string; met: boolean; reason: string }[]; lastDay: { at: Date; requests: number; bad: number }[] }> {
    const parsed = ServiceLevelObjectiveSchema.safeParse(document, { reportInput: true });
    if (!parsed.success) return { valid: false, issues: issuesFromZod(parsed.error.issues) };
    const slo = parsed.data;
    const now = this.now();
    const { counts } = await readSlo(this.metrics, slo, now);
    const judgement = judgeSlo(slo.spec, counts.get("") ?? {}, {}, now.getTime());
    const lastDay = await this.seriesOf(slo, 86_400_000, "");
    return {
      valid: true,
      sli: judgement.sli,
      budgetRemaining: judgement.budgetRemaining,
      burnRates: judgement.burnRates,
      alerts: alertWindowsOf(slo.spec).map((w) => {
        const c = alertCondition({ ...w, minimumEvents: slo.spec.alerting.minimumEvents }, { long: { burn: judgement.burnRates[w.longWindow] ?? null, requests: counts.get("")?.[w.longWindow]?.requests ?? 0 }, short: { burn: judgement.burnRates[w.shortWindow] ?? null, requests: counts.get("")?.[w.shortWindow]?.requests ?? 0 } });
        return { pair: w.name, severity: w.severity, met: c.met, reason: c.reason };
      }),
      lastDay: lastDay.points,
    };
  }

  /** The Sloth-style Prometheus rules of the live SLOs (of a namespace, or one SLO). */
  async prometheusRules(filter: { namespace?: string | undefined; name?: string | undefined } = {}): Promise<string> {
    const rows = (await this.live(filter.namespace !== undefined ? { namespace: filter.namespace } : {})).filter((r) => filter.name === undefined || r.name === filter.name);
    if (filter.name !== undefined && rows.length === 0) throw notFound(`ServiceLevelObjective/${filter.namespace ?? "default"}/${filter.name}`, "name");
    return prometheusRulesYaml(rows.map((r) => r.document));
  }

  /** The live SLOs as OpenSLO v1 documents (SLO + AlertPolicy), with what OpenSLO cannot carry in comments. */
  async exportOpenSlo(filter: { namespace?: string | undefined; name?: string | undefined } = {}): Promise<string> {
    const rows = (await this.live(filter.namespace !== undefined ? { namespace: filter.namespace } : {})).filter((r) => filter.name === undefined || r.name === filter.name);
    if (filter.name !== undefined && rows.length === 0) throw notFound(`ServiceLevelObjective/${filter.namespace ?? "default"}/${filter.name}`, "name");
    return openSloYaml(rows.map((r) => r.document));
  }

  /**
   * The rollout controller's question (error-budget-gate.ts): may the
   * service be promoted at `at`? Each of its SLOs (narrowed to the target's
   * clusters) is read fresh and judged with judgeSlo; it fails while any
   * alert pair's condition holds or the budget is spent.
   */
  async check(target: ErrorBudgetTarget, at: Date): Promise<ErrorBudgetVerdict> {
    const slos = (await this.live()).filter((r) => {
      const service = serviceOfSlo(r.document);
      if (service.namespace !== target.namespace || service.name !== target.service) return false;
      const clusters = r.document.spec.clusters;
      return !target.clusters?.length || !clusters || clusters.some((c) => target.clusters?.includes(c));
    });
    if (slos.length === 0) return { verdict: "no-slo", slos: [] };
    const verdicts: ErrorBudgetSloVerdict[] = [];
    for (const row of slos) {
      const slo = row.document;
      const { counts } = await readSlo(this.metrics, slo, at);
      const judgement = judgeSlo(slo.spec, counts.get("") ?? {}, {}, at.getTime());
      const burning = judgement.alerts.filter((a) => a.state.state === "firing" || a.state.state === "pending");
      const spent = judgement.budgetRemaining !== null && judgement.budgetRemaining <= 0;
      const burnRates = Object.fromEntries(Object.entries(judgement.burnRates).filter((e): e is [string, number] => e[1] !== null));
      const reason = burning.length
        ? burning.map((a) => `burning ${formatBurnRate(a.longBurn ?? 0)}× over ${a.window.longWindow} and ${formatBurnRate(a.shortBurn ?? 0)}× over ${a.window.shortWindow} (${a.window.severity} threshold ${formatBurnRate(a.window.burnRate)}×)`).join("; ")
        : spent
          ? `the error budget is spent (${formatPercent(judgement.budgetRemaining ?? 0, 0)} left)`
          : judgement.sli === null
            ? "no requests in the window yet: nothing burns"
            : `${formatPercent(judgement.budgetRemaining ?? 1, 0)} of the budget left; burning ${formatBurnRate(judgement.burnRates[judgement.currentWindow] ?? 0)}× over ${judgement.currentWindow}`;
      verdicts.push({ slo: `${row.namespace}/${row.name}`, verdict: burning.length || spent ? "fail" : "pass", budgetRemaining: judgement.budgetRemaining ?? 1, burnRates, reason });
    }
    return { verdict: verdicts.some((v) => v.verdict === "fail") ? "fail" : "pass", slos: verdicts };
  }

  /** SloLookup for Alertmanager alerts from Weft's own rules (`weft_slo="namespace/name"`). */
  async find(tx: TransactionRepositories, key: string): Promise<Awaited<ReturnType<SloLookup["find"]>>> {
    const [namespace, name] = key.split("/");
    if (!namespace || !name) return null;
    const mesh = await tx.mesh.get();
    const row = mesh ? await tx.resources.find(mesh.id, "ServiceLevelObjective", namespace, name) : null;
    if (!row || row.deleted || row.document?.kind !== "ServiceLevelObjective") return null;
    const slo = row.document;
    const [status] = (await tx.slo.statuses([row.id])).filter((s) => s.scope === "");
    return {
      resourceId: row.id,
      service: serviceOfSlo(slo),
      links: sloLinks(this.settings.dashboardUrl, slo),
      context: {
        namespace,
        name,
        objective: slo.spec.objective,
        window: slo.spec.window,
        indicator: describeIndicator(slo),
        sli: status?.sli ?? null,
        budgetRemaining: status?.budgetRemaining ?? null,
        burnRates: status?.burnRates ?? {},
        exhaustsAt: status?.exhaustsAt?.toISOString() ?? null,
        alert: null,
      },
    };
  }

  /**
   * What the SLO analyzers need beyond the documents, for a change's plan
   * (`source` reads inside its unit of work): how far back metrics reach, and the recent
   * request rate of each service an SLO in the change judges.
   */
  async analysisInputs(source: MetricSource, resources: readonly Resource[]): Promise<{ metricsRetentionMs?: number; observedTraffic?: { namespace: string; service: string; requestsPerSecond: number }[] }> {
    const slos = resources.filter((r): r is ServiceLevelObjective => r.kind === "ServiceLevelObjective");
    if (slos.length === 0) return {};
    const now = this.now();
    const observedTraffic = [];
    for (const service of new Map(slos.map((s) => [`${serviceOfSlo(s).namespace}/${s.spec.service.name}`, serviceOfSlo(s)])).values()) {
      const res = await source.window({ selector: { namespace: service.namespace, service: service.name }, from: new Date(now.getTime() - 3_600_000), to: now });
      const requests = res.samples.reduce((n, s) => n + s.requests, 0);
      // A service that has not been called yet tells nothing about its traffic: no warning from it.
      if (requests > 0) observedTraffic.push({ namespace: service.namespace, service: service.name, requestsPerSecond: requests / 3600 });
    }
    return { ...(this.settings.metricsRetentionMs !== null ? { metricsRetentionMs: this.settings.metricsRetentionMs } : {}), observedTraffic };
  }
}
