// Sloth-style Prometheus recording and alerting rules for an SLO, over the
// proxies' own metric names, for users who alert from their own Prometheus
// (or who want to check Weft's numbers). Differences from Sloth, on purpose:
// one alert per window pair (not one OR-ed alert per severity), so the
// alert says which window paged (Sloth #489) and carries both burn rates;
// latency thresholds between histogram buckets are interpolated (Sloth #506)
// and say so; per-cluster SLOs group by destination_cluster.
import { stringify } from "yaml";
import { namespaceOf } from "../resource/resource.schema.ts";
import { alertWindowsOf, errorBudget, windowsToRead } from "./burn-rate.ts";
import { PROXY_REQUESTS_METRIC, bucketPlan, codeClassMatcher, selectorMatchers, underThresholdExpr } from "./promql.ts";
import type { ServiceLevelObjective } from "./service-level-objective.schema.ts";
import { durationMs } from "../common/duration.ts";
import { sloWindowMs } from "./slo-window.ts";

export interface PrometheusRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PrometheusRuleGroup {
  name: string;
  rules: PrometheusRule[];
}

/** The rule file of one or more SLOs. */
export interface PrometheusRuleFile {
  groups: PrometheusRuleGroup[];
}

/** The SLO's key in every rule's labels: `namespace/name`. */
export function sloKey(slo: ServiceLevelObjective): string {
  return `${namespaceOf(slo)}/${slo.metadata.name}`;
}

/** Name of the recorded error ratio over `window`, e.g. `weft_slo:sli_error:ratio_rate5m`. */
export function errorRatioRecord(window: string): string {
  return `weft_slo:sli_error:ratio_rate${window}`;
}

/**
 * The SLI's error ratio over `window` as one PromQL expression (bad / total),
 * summed over the selection, or per destination cluster for per-cluster SLOs.
 */
export function errorRatioExpr(slo: ServiceLevelObjective, window: string): string {
  const matchers = selectorMatchers({ service: slo.spec.service.name, clusters: slo.spec.clusters });
  const by = slo.spec.perCluster ? " by (destination_cluster)" : "";
  const sumRate = (series: string) => `sum${by}(rate(${series}[${window}]))`;
  const total = sumRate(`${PROXY_REQUESTS_METRIC}{${matchers}}`);
  const indicator = slo.spec.indicator;
  // Proxies create a series per response code they have seen: with no errors yet the error sum is empty, so it falls back to 0 × total.
  if (indicator.type === "availability") return `(${sumRate(`${PROXY_REQUESTS_METRIC}{${matchers},${codeClassMatcher(indicator.errorClasses)}}`)} or 0 * ${total})\n/\n${total}`;
  const totalDuration = sumRate(`weft_request_duration_seconds_count{${matchers}}`);
  return `1 - (\n  ${underThresholdExpr(durationMs(indicator.threshold), matchers, sumRate, totalDuration)}\n  /\n  ${totalDuration}\n)`;
}

/** Notes for people reading the exported rules. */
export function ruleNotes(slo: ServiceLevelObjective): string[] {
  const notes = [
    "Counts requests as the callers' proxies saw them (reporter=\"source\"), as Weft's rollups do.",
    "The proxies' metrics carry no destination namespace: a service of the same name in another namespace would be counted too.",
  ];
  if (slo.spec.indicator.type === "latency") notes.push(`Latency threshold ${slo.spec.indicator.threshold}: ${bucketPlan(durationMs(slo.spec.indicator.threshold)).note}.`);
  notes.push(`The ${slo.spec.window} ratio averages the 5m ratios (as Sloth does): exact for steady traffic, an approximation when traffic varies.`);
  if (slo.spec.alerting.minimumEvents > 0) notes.push(`alerting.minimumEvents (${slo.spec.alerting.minimumEvents}) has no equivalent here: the alerts fire on any traffic.`);
  return notes;
}

/**
 * The recording and alerting rules of an SLO: one group of error ratios
 * (every alert window, plus the SLO window from the 5m ratio), one of
 * metadata (objective, budget, burn rates, budget left) and one of alerts.
 */
export function sloPrometheusRules(slo: ServiceLevelObjective): PrometheusRuleFile {
  const key = sloKey(slo);
  const service = `${slo.spec.service.namespace ?? namespaceOf(slo)}/${slo.spec.service.name}`;
  const labels = { weft_slo: key, weft_service: service };
  const sel = `{weft_slo="${key}"}`;
  const base = (slo.spec.perCluster ? "destination_cluster, " : "") + "weft_slo, weft_service";
  const budget = errorBudget(slo.spec.objective);
  const days = sloWindowMs(slo.spec.window) / 86_400_000;
  const shortest = windowsToRead(slo.spec).filter((w) => w !== slo.spec.window);
  const ratioWindows = [...new Set([...shortest, "5m"])].sort((a, b) => sloWindowMs(a) - sloWindowMs(b));
  const group = (suffix: string) => `weft-slo-${suffix}-${slo.metadata.name}-${namespaceOf(slo)}`;
  const recordings: PrometheusRule[] = ratioWindows.map((w) => ({ record: errorRatioRecord(w), expr: errorRatioExpr(slo, w), labels: { ...labels, weft_window: w } }));
  recordings.push({
    record: errorRatioRecord(slo.spec.window),
    expr: `sum_over_time(${errorRatioRecord("5m")}${sel}[${slo.spec.window}])\n/ ignoring (weft_window)\ncount_over_time(${errorRatioRecord("5m")}${sel}[${slo.spec.window}])`,
    labels: { ...labels, weft_window: slo.spec.window },
  });
  const meta: PrometheusRule[] = [
    { record: "weft_slo:objective:ratio", expr: `vector(${slo.spec.objective / 100})`, labels },
    { record: "weft_slo:error_budget:ratio", expr: `vector(${budget})`, labels },
    { record: "weft_slo:time_period:days", expr: `vector(${days})`, labels },
    { record: "weft_slo:current_burn_rate:ratio", expr: `${errorRatioRecord("5m")}${sel}\n/ on (weft_slo) group_left\nweft_slo:error_budget:ratio${sel}`, labels },
    { record: "weft_slo:period_burn_rate:ratio", expr: `${errorRatioRecord(slo.spec.window)}${sel}\n/ on (weft_slo) group_left\nweft_slo:error_budget:ratio${sel}`, labels },
    { record: "weft_slo:period_error_budget_remaining:ratio", expr: `1 - weft_slo:period_burn_rate:ratio${sel}`, labels },
  ];
  const alerts: PrometheusRule[] = !slo.spec.alerting.enabled
    ? []
    : alertWindowsOf(slo.spec).map((w) => {
        const threshold = `(${w.burnRate} * ${budget})`;
        const side = (window: string) => `max by (${base}) (${errorRatioRecord(window)}${sel} > ${threshold})`;
        // Both burn rates in the alert text: Alertmanager users cannot tell which window paged them otherwise (Sloth #489).
        const cluster = slo.spec.perCluster ? ',destination_cluster=\\"%s\\"' : "";
        const args = slo.spec.perCluster ? " $labels.destination_cluster" : "";
        const burnOf = (window: string) =>
          `{{ with printf "${errorRatioRecord(window)}{weft_slo=\\"${key}\\"${cluster}} / ${budget}"${args} | query }}{{ . | first | value | printf "%.1f" }}{{ else }}no data{{ end }}`;
        return {
          alert: "WeftSLOErrorBudgetBurn",
          expr: `${side(w.longWindow)}\nand\n${side(w.shortWindow)}`,
          ...(w.forMs > 0 ? { for: `${Math.round(w.forMs / 1000)}s` } : {}),
          labels: { ...labels, severity: w.severity, weft_window: w.name, weft_long_window: w.longWindow, weft_short_window: w.shortWindow },
          annotations: {
            summary: `${service}: ${slo.metadata.name} is burning its error budget faster than ${w.burnRate}× over ${w.longWindow} and ${w.shortWindow}`,
            description: `Burn rate ${burnOf(w.longWindow)}× over ${w.longWindow} and ${burnOf(w.shortWindow)}× over ${w.shortWindow} (threshold ${w.burnRate}×, objective ${slo.spec.objective} % over ${slo.spec.window}).`,
            ...(slo.spec.links?.runbook ? { runbook_url: slo.spec.links.runbook } : {}),
            ...(slo.spec.links?.dashboard ? { dashboard_url: slo.spec.links.dashboard } : {}),
          },
        };
      });
  return {
    groups: [
      { name: group("sli-recordings"), rules: recordings },
      { name: group("meta-recordings"), rules: meta },
      ...(alerts.length ? [{ name: group("alerts"), rules: alerts }] : []),
    ],
  };
}

/** The rules of several SLOs as one YAML rule file, each SLO's notes as comments. */
export function prometheusRulesYaml(slos: readonly ServiceLevelObjective[]): string {
  const header = ["# Prometheus rules generated by Weft for its ServiceLevelObjectives.", "# Check with: promtool check rules <this file>"];
  for (const slo of slos) header.push(`#`, `# ${sloKey(slo)}:`, ...ruleNotes(slo).map((n) => `#   ${n}`));
  const file: PrometheusRuleFile = { groups: slos.flatMap((s) => sloPrometheusRules(s).groups) };
  return `${header.join("\n")}\n${stringify(file, { lineWidth: 0 })}`;
}
