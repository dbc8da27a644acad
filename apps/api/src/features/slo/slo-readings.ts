// Reads what an SLO needs from the metric source: the counts of every
// window its judgement uses, per scope. Shared by the evaluator and the
// error-budget gate, so both judge the same numbers.
import { durationMs, sloWindowMs, windowsToRead, type ServiceLevelObjective, type WindowCounts } from "@weft/mesh-model";
import type { MetricSource } from "../metrics/metric-source.ts";
import { countsByScope } from "./slo-evaluation.ts";

export interface SloReadings {
  /** Scope ("" mesh-wide, or a cluster) → window → counts. */
  counts: Map<string, Record<string, WindowCounts>>;
  /** The queries that produced them (stored with the status: verdicts must be explainable). */
  queries: string[];
  /** Where the SLO window's data starts (the evaluator reports short histories). */
  coveredFrom: Date | null;
}

/** The service an SLO judges. */
export function serviceOfSlo(slo: ServiceLevelObjective): { namespace: string; name: string } {
  return { namespace: slo.spec.service.namespace ?? slo.metadata.namespace ?? "default", name: slo.spec.service.name };
}

export async function readSlo(source: MetricSource, slo: ServiceLevelObjective, at: Date): Promise<SloReadings> {
  const service = serviceOfSlo(slo);
  const indicator = slo.spec.indicator;
  const counts = new Map<string, Record<string, WindowCounts>>([["", {}]]);
  const queries = new Set<string>();
  let coveredFrom: Date | null = null;
  for (const window of windowsToRead(slo.spec)) {
    const res = await source.window({
      selector: { namespace: service.namespace, service: service.name, ...(slo.spec.clusters ? { clusters: slo.spec.clusters } : {}) },
      from: new Date(at.getTime() - sloWindowMs(window)),
      to: at,
      groupBy: slo.spec.perCluster ? ["cluster"] : [],
      ...(indicator.type === "availability" ? { errorClasses: indicator.errorClasses } : { latencyThresholdsMs: [durationMs(indicator.threshold)] }),
    });
    queries.add(res.query);
    if (window === slo.spec.window) for (const s of res.samples) if (s.covered && (!coveredFrom || s.covered.from < coveredFrom)) coveredFrom = s.covered.from;
    for (const [scope, c] of countsByScope(slo, res.samples)) {
      const byWindow = counts.get(scope) ?? {};
      byWindow[window] = c;
      counts.set(scope, byWindow);
    }
  }
  return { counts, queries: [...queries], coveredFrom };
}
