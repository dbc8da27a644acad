import { analyzeAuthorizationCallers, analyzeAuthorizationIdentities } from "../authorization-policy/authorization-policy.analyzers.ts";
import { ValidationError, type ValidationIssue } from "../common/issues.ts";
import { analyzeGatewayHosts } from "../gateway/gateway.analyzers.ts";
import { analyzeRouteBackends, analyzeRouteReferences, analyzeRouteShadowing } from "../http-route/http-route.analyzers.ts";
import { analyzeServiceExports } from "../mesh/mesh.analyzers.ts";
import { analyzePeerAuthenticationConflicts } from "../peer-authentication/peer-authentication.analyzers.ts";
import { analyzeSidecarConflicts, analyzeSidecarHosts } from "../sidecar/sidecar.analyzers.ts";
import { analyzeRolloutErrorBudget, analyzeRolloutOverlap, analyzeRolloutRoutes, analyzeRolloutTargets } from "../rollout/rollout.analyzers.ts";
import { resourceKey, type ResourceRef } from "../resource/resource.schema.ts";
import { analyzeTrafficPolicyConflicts, analyzeTrafficPolicyLocalities } from "../traffic-policy/traffic-policy.analyzers.ts";
import { ANALYZER_CODES, type AnalyzerCode, type Finding, type Severity } from "./findings.ts";
import { analyzePolicyTargets } from "./policy-targets.analyzer.ts";
import { analyzeResourceIdentity } from "./resource-identity.analyzer.ts";
import { type MeshSnapshot, SnapshotIndex } from "./snapshot.ts";
import { analyzeSloAlertsCanFire, analyzeSloLowTraffic, analyzeSloRetention, analyzeSloService } from "../service-level-objective/service-level-objective.analyzers.ts";

/** A cross-resource check: a pure function from a snapshot to findings. */
export interface Analyzer {
  name: string;
  /** The codes it may report. */
  codes: readonly AnalyzerCode[];
  run(index: SnapshotIndex): Finding[];
}

/** Every analyzer, run in this order by {@link analyze}. */
export const ANALYZERS: readonly Analyzer[] = [
  { name: "resource-identity", codes: ["WEFT0001", "WEFT0002"], run: analyzeResourceIdentity },
  { name: "route-references", codes: ["WEFT1001", "WEFT1002", "WEFT1003", "WEFT1004"], run: analyzeRouteReferences },
  { name: "policy-targets", codes: ["WEFT1005"], run: analyzePolicyTargets },
  { name: "route-backends", codes: ["WEFT1101", "WEFT1102"], run: analyzeRouteBackends },
  { name: "route-shadowing", codes: ["WEFT1201", "WEFT1202", "WEFT1203"], run: analyzeRouteShadowing },
  { name: "sidecar-conflicts", codes: ["WEFT1301"], run: analyzeSidecarConflicts },
  { name: "sidecar-hosts", codes: ["WEFT1302"], run: analyzeSidecarHosts },
  { name: "traffic-policy-conflicts", codes: ["WEFT2001"], run: analyzeTrafficPolicyConflicts },
  { name: "traffic-policy-localities", codes: ["WEFT2002"], run: analyzeTrafficPolicyLocalities },
  { name: "authorization-identities", codes: ["WEFT3001"], run: analyzeAuthorizationIdentities },
  { name: "authorization-callers", codes: ["WEFT3002", "WEFT3003"], run: analyzeAuthorizationCallers },
  { name: "peer-authentication-conflicts", codes: ["WEFT3101"], run: analyzePeerAuthenticationConflicts },
  { name: "gateway-hosts", codes: ["WEFT4001"], run: analyzeGatewayHosts },
  { name: "rollout-targets", codes: ["WEFT5001", "WEFT5002", "WEFT5003"], run: analyzeRolloutTargets },
  { name: "rollout-overlap", codes: ["WEFT5004"], run: analyzeRolloutOverlap },
  { name: "rollout-error-budget", codes: ["WEFT5005"], run: analyzeRolloutErrorBudget },
  { name: "rollout-routes", codes: ["WEFT5006", "WEFT5007", "WEFT5008"], run: analyzeRolloutRoutes },
  { name: "slo-service", codes: ["WEFT6001"], run: analyzeSloService },
  { name: "slo-alerts-can-fire", codes: ["WEFT6002"], run: analyzeSloAlertsCanFire },
  { name: "slo-retention", codes: ["WEFT6003"], run: analyzeSloRetention },
  { name: "slo-low-traffic", codes: ["WEFT6004"], run: analyzeSloLowTraffic },
  { name: "service-exports", codes: ["WEFT7001"], run: analyzeServiceExports },
];

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * Runs every analyzer over the snapshot (the resources as they would be after
 * a change). Findings are sorted: errors first, then by resource and path.
 */
export function analyze(snapshot: MeshSnapshot): Finding[] {
  const index = new SnapshotIndex(snapshot);
  return ANALYZERS.flatMap((a) => a.run(index)).sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      resourceKey(a.resource).localeCompare(resourceKey(b.resource)) ||
      a.path.localeCompare(b.path) ||
      a.code.localeCompare(b.code),
  );
}

/** True when any finding is an error: the change must be refused. */
export function blocksChange(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === "error");
}

/**
 * Throws a {@link ValidationError} (code ANALYSIS_FAILED) carrying the error
 * findings, if there are any. `documentOf` gives the input document a
 * finding's resource came from (0-based), so each issue names it.
 */
export function assertNoBlockingFindings(findings: readonly Finding[], documentOf?: (resource: ResourceRef) => number | undefined): void {
  const errors = findings.filter((f) => f.severity === "error");
  if (errors.length === 0) return;
  const issues: ValidationIssue[] = errors.map((f) => {
    const document = documentOf?.(f.resource);
    return { path: f.path, message: `${resourceKey(f.resource)}: ${f.message}`, code: f.code, ...(document !== undefined ? { document } : {}) };
  });
  throw new ValidationError("ANALYSIS_FAILED", issues);
}

/** The documentation of every analyzer code. */
export function describeAnalyzerCodes(): { code: AnalyzerCode; severity: Severity; title: string; doc: string }[] {
  return (Object.keys(ANALYZER_CODES) as AnalyzerCode[]).map((code) => ({ code, ...ANALYZER_CODES[code] }));
}
