// The authorization decision, pure: the proxy runs it on every inbound
// request of a service with policies, and the manager's "what-if" procedure
// runs the same function, so both always agree.
import type { AuthorizationPolicy, AuthorizationOperation, AuthorizationSource } from "./authorization-policy.schema.ts";
import { matchesPathPattern } from "./authorization-policy.schema.ts";
import { DEFAULT_NAMESPACE } from "../common/metadata.ts";
import { matchesIdentityPattern, namespaceOfSpiffeId } from "../common/identity.ts";
import { claimPath, type AuthorizationCondition, type CompiledAuthorizationPolicy, type CompiledAuthorizationRule } from "./compiled-authorization.schema.ts";

/** What is known about one request. Header names are matched case-insensitively. */
export interface AuthorizationRequest {
  /** The caller, as authenticated by mTLS; omit (or leave `identity` out) for a plaintext caller. */
  source?: {
    /** The peer's SPIFFE ID. */
    identity?: string | undefined;
    /** Defaults to the namespace in a `spiffe://<td>/ns/<ns>/sa/<sa>` identity. */
    namespace?: string | undefined;
    cluster?: string | undefined;
  };
  /** The called service. Policies targeting another service (resources only) are ignored; `port` selects port-scoped policies. */
  destination?: { service?: string | undefined; namespace?: string | undefined; port?: number | undefined };
  method: string;
  /** The request path; a query string is ignored. */
  path: string;
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The verified JWT, if the request carried one. */
  auth?: { principal?: string | undefined; audiences?: readonly string[] | undefined; claims?: Readonly<Record<string, unknown>> | undefined };
}

/** One AUDIT rule that matched. */
export interface AuditMatch {
  /** `namespace/name` of the policy. */
  policy: string;
  /** Index of the rule in the policy. */
  rule: number;
}

/** The answer: ALLOW or DENY, the policy and rule that decided (none for the defaults), why, and every AUDIT match. */
export interface AuthorizationDecision {
  decision: "ALLOW" | "DENY";
  policy?: string;
  rule?: number;
  reason: string;
  audited: AuditMatch[];
}

/** A policy as stored (the AuthorizationPolicy resource) or as compiled into a ProxyConfig. */
export type EvaluablePolicy = AuthorizationPolicy | CompiledAuthorizationPolicy;

interface Normalized {
  id: string;
  action: "ALLOW" | "DENY" | "AUDIT";
  target?: { service: string; namespace: string };
  ports?: readonly number[] | undefined;
  rules: readonly CompiledAuthorizationRule[];
}

function normalize(policy: EvaluablePolicy): Normalized {
  if ("spec" in policy) {
    const namespace = policy.metadata.namespace ?? DEFAULT_NAMESPACE;
    const { targetRef } = policy.spec;
    return {
      id: `${namespace}/${policy.metadata.name}`,
      action: policy.spec.action,
      target: { service: targetRef.name, namespace: targetRef.namespace ?? namespace },
      ports: targetRef.ports,
      // A resource rule may carry `when` once the resource schema grows it; it is read the same way.
      rules: (policy.spec.rules ?? []) as readonly CompiledAuthorizationRule[],
    };
  }
  return { id: `${policy.namespace}/${policy.name}`, action: policy.action, ports: policy.ports, rules: policy.rules };
}

/** `*` (anything), `prefix*`, `*suffix` or an exact value. */
function matchesWildcard(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

function sourceMatches(from: AuthorizationSource | undefined, request: AuthorizationRequest): boolean {
  if (!from) return true;
  const identity = request.source?.identity;
  // A plaintext caller has proven nothing: it matches no source condition.
  if (identity === undefined) return false;
  if (from.identities?.length && !from.identities.some((p) => matchesIdentityPattern(p, identity))) return false;
  if (from.namespaces?.length) {
    const namespace = request.source?.namespace ?? namespaceOfSpiffeId(identity);
    if (namespace === undefined || !from.namespaces.includes(namespace)) return false;
  }
  if (from.clusters?.length) {
    const cluster = request.source?.cluster;
    if (cluster === undefined || !from.clusters.includes(cluster)) return false;
  }
  return true;
}

function headerValues(request: AuthorizationRequest, name: string): readonly string[] {
  const headers = request.headers;
  if (!headers) return [];
  const lower = name.toLowerCase();
  let value = headers[lower];
  if (value === undefined) {
    for (const key in headers) if (key.toLowerCase() === lower) value = headers[key];
  }
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

function stripQuery(path: string): string {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}

function operationMatches(to: AuthorizationOperation | undefined, request: AuthorizationRequest, path: string): boolean {
  if (!to) return true;
  if (to.methods?.length && !to.methods.includes(request.method.toUpperCase() as (typeof to.methods)[number])) return false;
  if (to.paths?.length && !to.paths.some((p) => matchesPathPattern(p, path))) return false;
  if (to.headers?.length) {
    for (const h of to.headers) {
      const present = headerValues(request, h.name);
      if (!present.some((v) => h.values.some((p) => matchesWildcard(p, v)))) return false;
    }
  }
  return true;
}

function claimAt(claims: Readonly<Record<string, unknown>> | undefined, path: readonly string[]): unknown {
  let value: unknown = claims;
  for (const segment of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function conditionValues(condition: AuthorizationCondition, request: AuthorizationRequest): string[] {
  const auth = request.auth;
  if (!auth) return [];
  if (condition.key === "request.auth.principal") return auth.principal === undefined ? [] : [auth.principal];
  if (condition.key === "request.auth.audiences") return [...(auth.audiences ?? [])];
  const value = claimAt(auth.claims, claimPath(condition.key) ?? []);
  const scalar = (v: unknown): string[] => (typeof v === "string" ? [v] : typeof v === "number" || typeof v === "boolean" ? [String(v)] : []);
  // A space-separated "scope" claim is a list too (RFC 8693).
  if (typeof value === "string" && condition.key === "request.auth.claims[scope]") return value.split(" ").filter(Boolean);
  return Array.isArray(value) ? value.flatMap(scalar) : scalar(value);
}

function ruleMatches(rule: CompiledAuthorizationRule, request: AuthorizationRequest, path: string): boolean {
  if (!sourceMatches(rule.from, request) || !operationMatches(rule.to, request, path)) return false;
  for (const condition of rule.when ?? []) {
    const present = conditionValues(condition, request);
    if (!present.some((v) => condition.values.some((p) => matchesWildcard(p, v)))) return false;
  }
  return true;
}

function applies(policy: Normalized, request: AuthorizationRequest): boolean {
  const destination = request.destination;
  if (policy.target && destination?.service !== undefined) {
    if (policy.target.service !== destination.service) return false;
    if (destination.namespace !== undefined && policy.target.namespace !== destination.namespace) return false;
  }
  if (policy.ports?.length) return destination?.port !== undefined && policy.ports.includes(destination.port);
  return true;
}

function firstMatch(policy: Normalized, request: AuthorizationRequest, path: string): number {
  return policy.rules.findIndex((rule) => ruleMatches(rule, request, path));
}

/**
 * Decides one request against the policies of the called service:
 * AUDIT matches are recorded and never enforce; a matching DENY refuses;
 * otherwise, when any ALLOW policy applies, the request must match one of
 * them; with none it is allowed. Policies are considered in
 * `namespace/name` order, so the reported policy does not depend on the
 * order they were listed in. Port-scoped policies apply only when
 * `destination.port` is one of their ports.
 */
export function evaluateAuthorization(policies: readonly EvaluablePolicy[], request: AuthorizationRequest): AuthorizationDecision {
  const path = stripQuery(request.path);
  const applicable = policies
    .map(normalize)
    .filter((p) => applies(p, request))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const audited: AuditMatch[] = [];
  for (const policy of applicable) {
    if (policy.action !== "AUDIT") continue;
    policy.rules.forEach((rule, index) => {
      if (ruleMatches(rule, request, path)) audited.push({ policy: policy.id, rule: index });
    });
  }

  for (const policy of applicable) {
    if (policy.action !== "DENY") continue;
    const rule = firstMatch(policy, request, path);
    if (rule !== -1) return { decision: "DENY", policy: policy.id, rule, reason: `denied by DENY policy ${policy.id}, rule ${rule}`, audited };
  }

  const allows = applicable.filter((p) => p.action === "ALLOW");
  if (allows.length === 0) return { decision: "ALLOW", reason: "no ALLOW policy applies to this request: allowed by default", audited };
  for (const policy of allows) {
    const rule = firstMatch(policy, request, path);
    if (rule !== -1) return { decision: "ALLOW", policy: policy.id, rule, reason: `allowed by ALLOW policy ${policy.id}, rule ${rule}`, audited };
  }
  return {
    decision: "DENY",
    reason: `no rule of the ${allows.length} ALLOW ${allows.length === 1 ? "policy" : "policies"} (${allows.map((p) => p.id).join(", ")}) matches: denied by default`,
    audited,
  };
}

