import type { ResourceRef } from "../resource/resource.schema.ts";

export type Severity = "error" | "warning" | "info";

/** What an analyzer code means. */
export interface AnalyzerCodeInfo {
  severity: Severity;
  /** Short kebab-case name. */
  title: string;
  /** One line for the docs and the dashboard. */
  doc: string;
}

/**
 * Every analyzer code. Codes are stable: never reuse or renumber one.
 * 0xxx resources, 1xxx routing, 2xxx traffic policy, 3xxx security, 4xxx gateways, 5xxx rollouts, 6xxx SLOs.
 */
export const ANALYZER_CODES = {
  WEFT0001: { severity: "error", title: "duplicate-resource", doc: "Two resources have the same kind, namespace and name; only one can be stored." },
  WEFT0002: { severity: "error", title: "multiple-meshes", doc: "More than one Mesh resource: the manager runs exactly one mesh." },
  WEFT1001: { severity: "error", title: "unknown-service", doc: "An HTTPRoute parent, backend or mirror names a service no cluster has discovered and no ExternalService defines." },
  WEFT1002: { severity: "error", title: "unknown-version", doc: "An HTTPRoute backend or mirror names a version subset no workload of the service has." },
  WEFT1003: { severity: "error", title: "unknown-port", doc: "An HTTPRoute parent, backend or mirror names a port the service does not expose." },
  WEFT1004: { severity: "error", title: "unknown-gateway", doc: "An HTTPRoute is attached to a Gateway, or a Gateway listener, that does not exist." },
  WEFT1005: { severity: "warning", title: "unknown-policy-target", doc: "A TrafficPolicy, AuthorizationPolicy, RequestAuthentication, PeerAuthentication or Sidecar targets a service, version or port that discovery does not know (yet)." },
  WEFT1101: { severity: "error", title: "rule-without-backends", doc: "A route rule has no backends and neither redirects nor aborts every request: every matching request gets a 500." },
  WEFT1102: { severity: "error", title: "all-weights-zero", doc: "Every backend of a route rule has weight 0: every matching request gets a 500." },
  WEFT1201: { severity: "warning", title: "duplicate-match", doc: "A route match is identical to an earlier match of the same route." },
  WEFT1202: { severity: "warning", title: "unreachable-rule", doc: "Every match of a route rule is covered by matches of earlier rules, so the rule never handles a request." },
  WEFT1203: { severity: "warning", title: "unreachable-match", doc: "A route match is covered by a match of an earlier rule, so it never selects its rule." },
  WEFT1301: { severity: "error", title: "conflicting-sidecars", doc: "Two Sidecars scope the same namespace, or the same service; which one applies would be arbitrary." },
  WEFT1302: { severity: "warning", title: "unknown-egress-host", doc: "A Sidecar's egress host names a namespace or service that no cluster has discovered and no ExternalService defines (yet): it lets the proxies reach nothing." },
  WEFT2001: { severity: "error", title: "conflicting-traffic-policies", doc: "Several TrafficPolicies select the same service, version and port; which one applies would be arbitrary." },
  WEFT2002: { severity: "error", title: "unknown-locality-cluster", doc: "A TrafficPolicy's locality failover order or distribution names a cluster no discovery has reported; that entry would never apply." },
  WEFT3001: { severity: "warning", title: "unknown-identity", doc: "An AuthorizationPolicy names a source identity (or pattern) that no workload has." },
  WEFT3002: { severity: "error", title: "all-callers-cut-off", doc: "The AuthorizationPolicies of a service would refuse every caller observed calling it recently." },
  WEFT3003: { severity: "warning", title: "callers-cut-off", doc: "The AuthorizationPolicies of a service would refuse some callers observed calling it recently." },
  WEFT3101: { severity: "error", title: "conflicting-peer-authentications", doc: "Two PeerAuthentications set the mTLS mode of the same namespace, or of the same service; which one applies would be arbitrary." },
  WEFT4001: { severity: "error", title: "gateway-host-conflict", doc: "A host on a port is claimed by listeners of two Gateways of the same mode in the same cluster." },
  WEFT5001: { severity: "error", title: "unknown-rollout-service", doc: "A Rollout names a service no cluster has discovered." },
  WEFT5002: { severity: "error", title: "unknown-rollout-version", doc: "A Rollout's stable or canary version is not a version subset any workload of the service has." },
  WEFT5003: { severity: "error", title: "unknown-rollout-cluster", doc: "A Rollout names a cluster (in clusters or a wave) where the service does not run." },
  WEFT5004: { severity: "error", title: "overlapping-rollouts", doc: "Two Rollouts target the same service; their steps would fight over its route." },
  WEFT5005: { severity: "warning", title: "error-budget-without-slo", doc: "A Rollout asks the error-budget gate, but its service has no ServiceLevelObjective to read, so the gate cannot block promotion." },
  WEFT5006: { severity: "error", title: "ambiguous-rollout-route", doc: "The service of a Rollout has several HTTPRoutes and the Rollout does not name the one to drive." },
  WEFT5007: { severity: "error", title: "rollout-route-without-service", doc: "The HTTPRoute a Rollout drives sends no requests to the service, so the rollout would move nothing." },
  WEFT5008: { severity: "warning", title: "rollout-bypassed", doc: "A consumer HTTPRoute in another namespace replaces the service's routes for its callers, whose traffic does not follow the Rollout." },
  WEFT6001: { severity: "error", title: "unknown-slo-service", doc: "A ServiceLevelObjective names a service no cluster has discovered (and no ExternalService defines), or a cluster the service does not run in." },
  WEFT6002: { severity: "error", title: "alert-never-fires", doc: "An SLO alert's burn-rate threshold is at or above the highest burn its objective allows (every request failing): it can never fire." },
  WEFT6003: { severity: "error", title: "window-beyond-retention", doc: "An SLO window or alert window is longer than the metrics the manager keeps." },
  WEFT6004: { severity: "warning", title: "alert-needs-minimum-events", doc: "At the service's observed traffic one failed request would fire an SLO alert; set alerting.minimumEvents." },
  WEFT7001: { severity: "error", title: "unknown-export", doc: "The Mesh exports a service, or a namespace, that no cluster has discovered." },
} as const satisfies Record<string, AnalyzerCodeInfo>;

export type AnalyzerCode = keyof typeof ANALYZER_CODES;

/** One thing an analyzer found. */
export interface Finding {
  code: AnalyzerCode;
  severity: Severity;
  message: string;
  /** Path inside the resource, e.g. `spec.rules[1].backendRefs[0].version`. */
  path: string;
  /** The resource the finding is about. */
  resource: ResourceRef;
  /** Other resources involved (the other side of a conflict). */
  related?: ResourceRef[];
}

/** Builds a finding with the severity registered for its code. */
export function finding(code: AnalyzerCode, resource: ResourceRef, path: string, message: string, related?: ResourceRef[]): Finding {
  return { code, severity: ANALYZER_CODES[code].severity, message, path, resource, ...(related?.length ? { related } : {}) };
}
