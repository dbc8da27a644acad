// @weft/mesh-model: the pure domain of Weft (resource schemas, validation,
// route matching, policy evaluation, config compilation). No I/O.

// Shared building blocks
export * from "./common/duration.ts";
export * from "./common/http-method.schema.ts";
export * from "./common/identity.ts";
export * from "./common/issues.ts";
export * from "./common/metadata.ts";
export * from "./common/names.ts";
export * from "./common/references.ts";
export * from "./common/retry.schema.ts";
export * from "./common/storable-text.ts";

// Kinds
export * from "./mesh/mesh.schema.ts";
export * from "./http-route/http-route.schema.ts";
export * from "./http-route/regex.ts";
export * from "./http-route/route-match-cover.ts";
export * from "./traffic-policy/traffic-policy.schema.ts";
export * from "./authorization-policy/authorization-policy.schema.ts";
export * from "./authorization-policy/caller-cut-off.ts";
export * from "./request-authentication/request-authentication.schema.ts";
export * from "./peer-authentication/peer-authentication.schema.ts";
export * from "./gateway/gateway.schema.ts";
export * from "./external-service/external-service.schema.ts";
export * from "./rollout/rollout.schema.ts";
export * from "./service-level-objective/service-level-objective.schema.ts";
export * from "./sidecar/sidecar.schema.ts";

// SLOs: windows, burn-rate maths, alert state, judgement, interop
export * from "./service-level-objective/slo-window.ts";
export * from "./service-level-objective/slo-format.ts";
export * from "./service-level-objective/burn-rate.ts";
export * from "./service-level-objective/alert-state.ts";
export * from "./service-level-objective/slo-judgement.ts";
export * from "./service-level-objective/latency-share.ts";
export * from "./service-level-objective/promql.ts";
export * from "./service-level-objective/prometheus-rules.ts";
export * from "./service-level-objective/openslo.ts";

// Notification channels (settings, not resources)
export * from "./notification-channel/notification-channel.schema.ts";

// All kinds, reading and writing
export * from "./resource/resource.schema.ts";
export * from "./resource/resource-codec.ts";
export * from "./resource/resource-diff.ts";

// Cross-resource analysis
export * from "./analysis/snapshot.ts";
export * from "./analysis/findings.ts";
export * from "./analysis/analyze.ts";
export * from "./analysis/resource-services.ts";
export { analyzeRouteBackends, analyzeRouteReferences, analyzeRouteShadowing } from "./http-route/http-route.analyzers.ts";
export { analyzeTrafficPolicyConflicts, analyzeTrafficPolicyLocalities } from "./traffic-policy/traffic-policy.analyzers.ts";
export { analyzeAuthorizationCallers, analyzeAuthorizationIdentities } from "./authorization-policy/authorization-policy.analyzers.ts";
export { analyzeGatewayHosts } from "./gateway/gateway.analyzers.ts";
export { analyzeRolloutErrorBudget, analyzeRolloutOverlap, analyzeRolloutRoutes, analyzeRolloutTargets } from "./rollout/rollout.analyzers.ts";
export { analyzePeerAuthenticationConflicts } from "./peer-authentication/peer-authentication.analyzers.ts";
export { analyzeSidecarConflicts, analyzeSidecarHosts } from "./sidecar/sidecar.analyzers.ts";
export { analyzePolicyTargets } from "./analysis/policy-targets.analyzer.ts";
export { analyzeResourceIdentity } from "./analysis/resource-identity.analyzer.ts";
export { analyzeSloAlertsCanFire, analyzeSloLowTraffic, analyzeSloRetention, analyzeSloService } from "./service-level-objective/service-level-objective.analyzers.ts";

// Progressive delivery: the rollout controller's pure parts
export * from "./rollout/rollout-steps.ts";
export * from "./rollout/rollout-analysis.ts";
export * from "./rollout/rollout-plan.ts";
export * from "./rollout/rollout-route.ts";
export * from "./rollout/rollout-checks.ts";

// Agent ↔ manager (the whole wire contract): session, discovery reports, per-cluster config and its acks, identity, telemetry and spans
export * from "./discovery/discovery.schema.ts";
export * from "./distribution/wire-fields.ts";
export * from "./distribution/agent-session.schema.ts";
export * from "./distribution/agent-identity.schema.ts";
export * from "./distribution/cluster-trust.schema.ts";
export * from "./distribution/cluster-config.ts";
export * from "./distribution/config-ack.schema.ts";
export * from "./distribution/ack-diagnostics.ts";
export * from "./distribution/agent-requests.schema.ts";
export * from "./distribution/sidecar-api.schema.ts";
export * from "./telemetry/telemetry.schema.ts";
export * from "./telemetry/edge-stats.ts";
export * from "./telemetry/proxy-edge.ts";
export * from "./telemetry/span.schema.ts";
export * from "./telemetry/response-flags.ts";
