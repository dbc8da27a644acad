// Where people go from an SLO alert: its page in the dashboard, and the
// SLO's own runbook and dashboard links. And the SLI in words.
import type { ServiceLevelObjective } from "@weft/mesh-model";
import { dashboardLink } from "../../dashboard-link.ts";

/** The links every notification and ticket of this SLO carries. */
export function sloLinks(dashboardUrl: string, slo: ServiceLevelObjective): { label: string; url: string }[] {
  return [
    { label: "SLO in Weft", url: dashboardLink(dashboardUrl, "/slos/detail", { namespace: slo.metadata.namespace ?? "default", name: slo.metadata.name }) },
    ...(slo.spec.links?.runbook ? [{ label: "Runbook", url: slo.spec.links.runbook }] : []),
    ...(slo.spec.links?.dashboard ? [{ label: "Dashboard", url: slo.spec.links.dashboard }] : []),
  ];
}

/** "availability (errors: 5xx, no response)" or "latency ≤ 250ms". */
export function describeIndicator(slo: ServiceLevelObjective): string {
  const i = slo.spec.indicator;
  if (i.type === "latency") return `latency ≤ ${i.threshold}`;
  return `availability (errors: ${i.errorClasses.map((c) => (c === "other" ? "no response" : c)).join(", ")})`;
}
