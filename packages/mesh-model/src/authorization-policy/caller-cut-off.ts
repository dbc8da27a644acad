// Static reasoning about AuthorizationPolicies for the analyzers: does a
// policy set certainly refuse a caller? Three-valued, because the analyzers
// know callers only by identity, namespace and cluster. The per-request
// decision the proxy makes is evaluate-authorization.ts.
import { matchesIdentityPattern, namespaceOfSpiffeId } from "../common/identity.ts";
import type { AuthorizationPolicy, AuthorizationSource } from "./authorization-policy.schema.ts";

/** A three-valued answer: the analyzers must not guess about what they do not know. */
export type Tristate = "yes" | "no" | "unknown";

/** What is known about a caller. */
export interface CallerFacts {
  identity: string;
  namespace?: string | undefined;
  cluster?: string | undefined;
}

function anyOf(list: readonly string[] | undefined, value: string | undefined, test: (item: string, value: string) => boolean = (a, b) => a === b): Tristate {
  if (!list?.length) return "yes";
  if (value === undefined) return "unknown";
  return list.some((item) => test(item, value)) ? "yes" : "no";
}

function and(values: readonly Tristate[]): Tristate {
  if (values.includes("no")) return "no";
  return values.includes("unknown") ? "unknown" : "yes";
}

/** Whether a rule's `from` matches the caller (an omitted `from` matches every caller). */
export function sourceMatches(from: AuthorizationSource | undefined, caller: CallerFacts): Tristate {
  if (!from) return "yes";
  return and([
    anyOf(from.identities, caller.identity, matchesIdentityPattern),
    anyOf(from.namespaces, caller.namespace ?? namespaceOfSpiffeId(caller.identity)),
    anyOf(from.clusters, caller.cluster),
  ]);
}

/** Why a caller would be refused, when it certainly would be. */
export type CutOff = { by: "deny"; policy: AuthorizationPolicy } | { by: "no-allow"; policies: AuthorizationPolicy[] };

/**
 * Whether `policies` (all targeting one service) refuse every request of the
 * caller. Conservative: a DENY rule with request conditions (`to`) or a port
 * restriction refuses only some requests, and an ALLOW rule matching the
 * caller possibly (or only for some requests) still lets it through.
 */
export function callerCutOff(policies: readonly AuthorizationPolicy[], caller: CallerFacts): CutOff | undefined {
  for (const policy of policies) {
    if (policy.spec.action !== "DENY" || policy.spec.targetRef.ports?.length) continue;
    if ((policy.spec.rules ?? []).some((rule) => !rule.to && sourceMatches(rule.from, caller) === "yes")) return { by: "deny", policy };
  }
  const allows = policies.filter((p) => p.spec.action === "ALLOW");
  // Only port-wide ALLOW policies close the service for callers they do not match.
  if (!allows.some((p) => !p.spec.targetRef.ports?.length)) return undefined;
  const allowed = allows.some((p) => (p.spec.rules ?? []).some((rule) => sourceMatches(rule.from, caller) !== "no"));
  return allowed ? undefined : { by: "no-allow", policies: allows.filter((p) => !p.spec.targetRef.ports?.length) };
}
