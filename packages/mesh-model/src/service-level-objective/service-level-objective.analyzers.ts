import { type Finding, finding } from "../analysis/findings.ts";
import type { SnapshotIndex } from "../analysis/snapshot.ts";
import { formatPath } from "../common/issues.ts";
import { namespaceOf, refOf } from "../resource/resource.schema.ts";
import { alertWindowsOf, errorBudget, maxBurnRate } from "./burn-rate.ts";
import type { ServiceLevelObjective } from "./service-level-objective.schema.ts";
import { formatBurnRate, formatSpan } from "./slo-format.ts";
import { formatSloWindow, sloWindowMs } from "./slo-window.ts";

/** Where an alert window pair is written: its own entry, or the preset that supplied it. */
function pairPath(slo: ServiceLevelObjective, index: number, field?: string): string {
  return slo.spec.alerting.windows ? formatPath(["spec", "alerting", "windows", index, ...(field ? [field] : [])]) : "spec.alerting.preset";
}

function serviceOf(slo: ServiceLevelObjective): { namespace: string; name: string } {
  return { namespace: slo.spec.service.namespace ?? namespaceOf(slo) ?? "", name: slo.spec.service.name };
}

/** WEFT6001: the SLO's service (and clusters) must be known to discovery. */
export function analyzeSloService(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  for (const slo of index.ofKind("ServiceLevelObjective")) {
    const { namespace, name } = serviceOf(slo);
    if (!index.service("Service", namespace, name) && !index.service("ExternalService", namespace, name)) {
      out.push(finding("WEFT6001", refOf(slo), "spec.service.name", `service ${namespace}/${name} is not known: no cluster has discovered it and no ExternalService of that name exists`));
      continue;
    }
    const clusters = new Set(index.snapshot.services.filter((s) => s.namespace === namespace && s.name === name && s.cluster !== undefined).map((s) => s.cluster));
    slo.spec.clusters?.forEach((cluster, i) => {
      if (clusters.size > 0 && !clusters.has(cluster))
        out.push(finding("WEFT6001", refOf(slo), `spec.clusters[${i}]`, `service ${namespace}/${name} does not run in cluster "${cluster}" (it runs in ${[...clusters].sort().join(", ")})`));
    });
  }
  return out;
}

/** WEFT6002: an alert whose threshold is at or above the highest possible burn rate never fires. */
export function analyzeSloAlertsCanFire(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  for (const slo of index.ofKind("ServiceLevelObjective")) {
    if (!slo.spec.alerting.enabled) continue;
    const max = maxBurnRate(slo.spec.objective);
    alertWindowsOf(slo.spec).forEach((w, i) => {
      if (w.burnRate < max) return;
      const source = slo.spec.alerting.windows ? "" : ` (from the ${slo.spec.alerting.preset} preset; set alerting.windows to choose your own)`;
      out.push(
        finding(
          "WEFT6002",
          refOf(slo),
          pairPath(slo, i, "burnRate"),
          `the ${w.severity} alert ${w.name} needs a burn rate over ${formatBurnRate(w.burnRate)}×, but at a ${slo.spec.objective} % objective every request failing is only ${formatBurnRate(max)}×: it can never fire${source}`,
        ),
      );
    });
  }
  return out;
}

/** WEFT6003: the SLO window and every alert window must fit in the metrics the manager keeps. */
export function analyzeSloRetention(index: SnapshotIndex): Finding[] {
  const retention = index.snapshot.metricsRetentionMs;
  if (retention === undefined) return [];
  const out: Finding[] = [];
  const kept = formatSpan(retention);
  for (const slo of index.ofKind("ServiceLevelObjective")) {
    if (sloWindowMs(slo.spec.window) > retention) out.push(finding("WEFT6003", refOf(slo), "spec.window", `the ${slo.spec.window} window is longer than the ${kept} of metrics the manager keeps`));
    alertWindowsOf(slo.spec).forEach((w, i) => {
      if (w.longMs > retention) out.push(finding("WEFT6003", refOf(slo), pairPath(slo, i, "longWindow"), `the alert window ${w.longWindow} is longer than the ${kept} of metrics the manager keeps`));
    });
  }
  return out;
}

/**
 * WEFT6004: at low traffic one failure is a huge burn rate, so an alert
 * pages on a single failed request. Warns when the service's observed rate
 * puts fewer requests into an alert's long window than it takes for one
 * failure to cross the threshold, and no minimum-event guard stops it.
 */
export function analyzeSloLowTraffic(index: SnapshotIndex): Finding[] {
  const traffic = index.snapshot.observedTraffic;
  if (!traffic) return [];
  const out: Finding[] = [];
  for (const slo of index.ofKind("ServiceLevelObjective")) {
    if (!slo.spec.alerting.enabled) continue;
    const { namespace, name } = serviceOf(slo);
    const rate = traffic.find((t) => t.namespace === namespace && t.service === name)?.requestsPerSecond;
    if (rate === undefined) continue;
    alertWindowsOf(slo.spec).forEach((w, i) => {
      // One bad request among n fires the pair when 1 / n / budget > burnRate, i.e. n < 1 / (budget × burnRate).
      const needed = 1 / (errorBudget(slo.spec.objective) * w.burnRate);
      const expected = (rate * w.longMs) / 1000;
      if (expected >= needed || slo.spec.alerting.minimumEvents >= needed) return;
      const oneFailure = expected > 0 ? `one failure among ${Math.round(expected)} requests is a ${formatBurnRate(1 / expected / errorBudget(slo.spec.objective))}× burn` : "any failure is an unbounded burn";
      out.push(
        finding(
          "WEFT6004",
          refOf(slo),
          pairPath(slo, i),
          `at ${formatRate(rate)} the ${w.severity} alert ${w.name} fires on a single failed request (${oneFailure} over ${formatSloWindow(w.longMs)}); set alerting.minimumEvents to at least ${Math.ceil(needed)}`,
        ),
      );
    });
  }
  return out;
}

function formatRate(rps: number): string {
  return rps >= 1 ? `${Number(rps.toPrecision(3))} requests/s` : `${Number((rps * 3600).toPrecision(3))} requests/hour`;
}
