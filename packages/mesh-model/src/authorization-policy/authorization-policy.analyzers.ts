import { type Finding, finding } from "../analysis/findings.ts";
import type { SnapshotIndex } from "../analysis/snapshot.ts";
import { matchesIdentityPattern } from "../common/identity.ts";
import { formatPath } from "../common/issues.ts";
import { namespaceOf, refOf, resourceKey } from "../resource/resource.schema.ts";
import { type CallerFacts, callerCutOff } from "./caller-cut-off.ts";
import type { AuthorizationPolicy } from "./authorization-policy.schema.ts";

/**
 * WEFT3001: identity patterns no workload matches. Skipped when workload
 * identities cannot be known (no trust domain and no reported identities).
 */
export function analyzeAuthorizationIdentities(index: SnapshotIndex): Finding[] {
  const identities = index.workloadIdentities;
  if (!identities) return [];
  const out: Finding[] = [];
  for (const policy of index.ofKind("AuthorizationPolicy")) {
    policy.spec.rules?.forEach((rule, r) =>
      rule.from?.identities?.forEach((pattern, i) => {
        if (pattern === "*" || identities.some((id) => matchesIdentityPattern(pattern, id))) return;
        out.push(finding("WEFT3001", refOf(policy), formatPath(["spec", "rules", r, "from", "identities", i]), `no workload has an identity matching "${pattern}"`));
      }),
    );
  }
  return out;
}

function callerLabel(c: CallerFacts): string {
  return c.cluster ? `${c.identity} (cluster ${c.cluster})` : c.identity;
}

function list(items: readonly string[]): string {
  return items.length <= 5 ? items.join(", ") : `${items.slice(0, 5).join(", ")} and ${items.length - 5} more`;
}

/**
 * WEFT3002, WEFT3003: the AuthorizationPolicies of a service would refuse
 * callers observed calling it. Needs `observedCallers` in the snapshot.
 */
export function analyzeAuthorizationCallers(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  const policies = index.ofKind("AuthorizationPolicy");
  for (const observed of index.snapshot.observedCallers ?? []) {
    if (observed.callers.length === 0) continue;
    const { name, namespace } = observed.service;
    const targeting = policies.filter((p) => p.spec.targetRef.name === name && (p.spec.targetRef.namespace ?? namespaceOf(p)) === namespace);
    if (targeting.length === 0) continue;
    const blamed = new Map<AuthorizationPolicy, { reason: string; callers: string[] }>();
    let cutOff = 0;
    for (const caller of observed.callers) {
      const verdict = callerCutOff(targeting, caller);
      if (!verdict) continue;
      cutOff++;
      const responsible = verdict.by === "deny" ? [verdict.policy] : verdict.policies;
      for (const policy of responsible) {
        const entry = blamed.get(policy) ?? { reason: verdict.by === "deny" ? "denies" : "allows none of", callers: [] };
        entry.callers.push(callerLabel(caller));
        blamed.set(policy, entry);
      }
    }
    if (cutOff === 0) continue;
    const all = cutOff === observed.callers.length;
    for (const [policy, { reason, callers }] of blamed) {
      const others = [...blamed.keys()].filter((p) => p !== policy).map(refOf);
      const message = all
        ? `${resourceKey(refOf(policy))} ${reason} the current callers of ${namespace}/${name} and with the other policies would cut off all ${observed.callers.length} of them (${list(callers)})`
        : `${resourceKey(refOf(policy))} ${reason} ${callers.length} of the ${observed.callers.length} current callers of ${namespace}/${name}: ${list(callers)}`;
      out.push(finding(all ? "WEFT3002" : "WEFT3003", refOf(policy), policy.spec.rules?.length ? "spec.rules" : "spec", message, others));
    }
  }
  return out;
}
