// The circuit-breaking wizard's model: the connection limits
// (circuitBreaker: maxConnections, maxPendingRequests, maxRequests,
// maxRetries) and outlier detection (consecutive5xx,
// consecutiveGatewayErrors, interval, baseEjectionTime, maxEjectionTime,
// maxEjectionPercent) of the service's TrafficPolicy, as mesh-model's
// CircuitBreakerSchema and OutlierDetectionSchema define them, and what they
// do in words. Everything else of the policy (successRate among it) is kept.
import { CIRCUIT_BREAKER_DEFAULTS, formatDuration, parseDuration } from "@weft/mesh-model";
import { withSpecField, type PolicyDoc } from "./service-traffic-policy.ts";

/** The schema's outlier-detection defaults (OutlierDetectionSchema). */
export const OUTLIER_DEFAULTS = { consecutive5xx: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionTime: "300s", maxEjectionPercent: 10 } as const;

/** What the form edits; numbers NaN when a box is empty, consecutiveGatewayErrors null when off. */
export interface BreakerDraft {
  limits: boolean;
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
  outlier: boolean;
  consecutive5xx: number;
  consecutiveGatewayErrors: number | null;
  interval: string;
  baseEjectionTime: string;
  maxEjectionTime: string;
  maxEjectionPercent: number;
}

/** A fresh setting: the default limits and outlier detection, both on. */
export const NEW_BREAKER: BreakerDraft = {
  limits: true,
  ...CIRCUIT_BREAKER_DEFAULTS,
  outlier: true,
  consecutive5xx: OUTLIER_DEFAULTS.consecutive5xx,
  consecutiveGatewayErrors: null,
  interval: OUTLIER_DEFAULTS.interval,
  baseEjectionTime: OUTLIER_DEFAULTS.baseEjectionTime,
  maxEjectionTime: OUTLIER_DEFAULTS.maxEjectionTime,
  maxEjectionPercent: OUTLIER_DEFAULTS.maxEjectionPercent,
};

type Stored = Record<string, unknown>;
const LIMIT_KEYS = ["maxConnections", "maxPendingRequests", "maxRequests", "maxRetries"] as const;
const OUTLIER_KEYS = ["consecutive5xx", "consecutiveGatewayErrors", "interval", "baseEjectionTime", "maxEjectionTime", "maxEjectionPercent"] as const;

/** The resource paths the form has an input for. */
export const BREAKER_FIELDS = [...LIMIT_KEYS.map((k) => `spec.circuitBreaker.${k}`), ...OUTLIER_KEYS.map((k) => `spec.outlierDetection.${k}`)];

/** The draft a stored policy reopens as: its values, the schema's defaults for what it leaves out. */
export function breakerDraftOf(policy: PolicyDoc | null): BreakerDraft {
  const cb = policy?.spec.circuitBreaker as Partial<Record<(typeof LIMIT_KEYS)[number], number>> | undefined;
  const od = policy?.spec.outlierDetection as Partial<BreakerDraft> | undefined;
  if (!cb && !od) return { ...NEW_BREAKER };
  return {
    limits: Boolean(cb),
    maxConnections: cb?.maxConnections ?? CIRCUIT_BREAKER_DEFAULTS.maxConnections,
    maxPendingRequests: cb?.maxPendingRequests ?? CIRCUIT_BREAKER_DEFAULTS.maxPendingRequests,
    maxRequests: cb?.maxRequests ?? CIRCUIT_BREAKER_DEFAULTS.maxRequests,
    maxRetries: cb?.maxRetries ?? CIRCUIT_BREAKER_DEFAULTS.maxRetries,
    outlier: Boolean(od),
    consecutive5xx: od?.consecutive5xx ?? OUTLIER_DEFAULTS.consecutive5xx,
    consecutiveGatewayErrors: od?.consecutiveGatewayErrors ?? null,
    interval: od?.interval ?? OUTLIER_DEFAULTS.interval,
    baseEjectionTime: od?.baseEjectionTime ?? OUTLIER_DEFAULTS.baseEjectionTime,
    maxEjectionTime: od?.maxEjectionTime ?? OUTLIER_DEFAULTS.maxEjectionTime,
    maxEjectionPercent: od?.maxEjectionPercent ?? OUTLIER_DEFAULTS.maxEjectionPercent,
  };
}

/** The TrafficPolicy with the draft's limits and outlier detection; a section turned off is removed. */
export function brokenPolicy(policy: PolicyDoc, draft: BreakerDraft): PolicyDoc {
  const limits = draft.limits ? { ...(policy.spec.circuitBreaker as Stored | undefined), ...Object.fromEntries(LIMIT_KEYS.map((k) => [k, draft[k]])) } : undefined;
  let outlier: Stored | undefined;
  if (draft.outlier) {
    outlier = { ...(policy.spec.outlierDetection as Stored | undefined) };
    for (const k of OUTLIER_KEYS) {
      const v = draft[k];
      if (v === null || (typeof v === "string" && v.trim() === "")) delete outlier[k];
      else outlier[k] = typeof v === "string" ? v.trim() : v;
    }
  }
  return withSpecField(withSpecField(policy, "circuitBreaker", limits), "outlierDetection", outlier);
}

const dur = (text: string) => {
  const ms = parseDuration(text.trim());
  return ms === undefined ? text : formatDuration(ms);
};

/** What the draft does to calls to `service`, in words. */
export function breakerEffect(draft: BreakerDraft, service: string): string[] {
  const out: string[] = [];
  if (draft.limits)
    out.push(
      `Each calling proxy keeps at most ${draft.maxConnections} connections and ${draft.maxRequests} requests in flight to ${service}, with ${draft.maxPendingRequests} more waiting for a connection and ${draft.maxRetries} retries at once; beyond that a call fails at once with 503 (flag UO) instead of queueing.`,
    );
  else
    out.push(
      `No limits of its own: the proxy's defaults apply to calls to ${service} (${CIRCUIT_BREAKER_DEFAULTS.maxConnections} connections, ${CIRCUIT_BREAKER_DEFAULTS.maxRequests} requests in flight, ${CIRCUIT_BREAKER_DEFAULTS.maxPendingRequests} waiting, ${CIRCUIT_BREAKER_DEFAULTS.maxRetries} retries at once).`,
    );
  if (draft.outlier) {
    const gateway = draft.consecutiveGatewayErrors ? ` or ${draft.consecutiveGatewayErrors} 502/503/504 in a row` : "";
    out.push(
      `An endpoint answering ${draft.consecutive5xx} 5xx in a row${gateway} is taken out of load balancing for ${dur(draft.baseEjectionTime)}, longer each time it happens again (at most ${dur(draft.maxEjectionTime)}); decisions every ${dur(draft.interval)}, and never more than ${draft.maxEjectionPercent} % of the endpoints at once.`,
    );
  } else out.push("No outlier detection: a failing endpoint keeps its share of the calls until health checks or discovery remove it.");
  return out;
}
