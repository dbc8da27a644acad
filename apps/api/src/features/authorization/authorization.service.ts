import { evaluateAuthorization, type AuditMatch, type AuthorizationRequest } from "@weft/mesh-model/authorization";
import type { AuthorizationPolicy } from "@weft/mesh-model";
import type { MeshInfo } from "../mesh/mesh.repository.ts";
import type { ResourcesRepository } from "../resources/resources.repository.ts";
import type { CallerObservationsRepository } from "./caller-observations.repository.ts";
import { proposePolicy, type PolicyProposal } from "./policy-proposal.ts";

/** The policy that decided a what-if request, with the rule that matched. */
export interface DecidingPolicy {
  namespace: string;
  name: string;
  action: "ALLOW" | "DENY";
  /** The live revision of the policy. */
  revision: number;
  /** Index of the matching rule in `spec.rules`. */
  rule: number;
  /** The matching rule itself, as stored. */
  matchedRule: unknown;
}

/** What the live AuthorizationPolicies decide for one request. */
export interface WhatIfAnswer {
  decision: "ALLOW" | "DENY";
  /** Why, for a human: the policy and rule, or which default applied. */
  reason: string;
  /** The policy and rule that decided; null when a default decided (no ALLOW policy applies, or none matched). */
  decidedBy: DecidingPolicy | null;
  /** AUDIT rules that matched (they never enforce). */
  audited: AuditMatch[];
  /** `namespace/name` of every live AuthorizationPolicy targeting the destination service. */
  consideredPolicies: string[];
}

/**
 * "What if": the decision the destination's proxies would make for a
 * request, from the live AuthorizationPolicy resources, with the same pure
 * evaluator the proxies run.
 */
export class AuthorizationService {
  constructor(
    private readonly resources: ResourcesRepository,
    private readonly mesh: () => Promise<MeshInfo>,
    private readonly observations: CallerObservationsRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** An ALLOW policy for a service from the callers observed in the last `sinceMinutes` (spans and rollups). */
  async propose(input: { namespace: string; service: string; sinceMinutes: number }): Promise<PolicyProposal & { since: Date }> {
    const mesh = await this.mesh();
    const since = new Date(this.now().getTime() - input.sinceMinutes * 60_000);
    const [spanCallers, rolledUp, stored] = await Promise.all([
      this.observations.spanCallers(input.namespace, input.service, since),
      this.observations.rolledUpCallers(input.namespace, input.service, since),
      this.resources.list(mesh.id, { kind: "AuthorizationPolicy" }),
    ]);
    const existing = stored.flatMap((r) =>
      r.document?.kind === "AuthorizationPolicy" && r.document.spec.targetRef.name === input.service && (r.document.spec.targetRef.namespace ?? r.document.metadata.namespace) === input.namespace
        ? [idOf(r.document)]
        : [],
    );
    return { since, ...proposePolicy({ trustDomain: mesh.trustDomain, namespace: input.namespace, service: input.service, spanCallers, rolledUp, existing: existing.sort() }) };
  }

  async whatIf(request: AuthorizationRequest & { destination: { service: string; namespace: string; port?: number | undefined } }): Promise<WhatIfAnswer> {
    const stored = await this.resources.list((await this.mesh()).id, { kind: "AuthorizationPolicy" });
    const policies = stored.flatMap((r) => (r.document?.kind === "AuthorizationPolicy" ? [{ policy: r.document, revision: r.revision }] : []));
    const { service, namespace } = request.destination;
    const targeting = policies.filter(({ policy }) => policy.spec.targetRef.name === service && (policy.spec.targetRef.namespace ?? policy.metadata.namespace) === namespace);
    const decision = evaluateAuthorization(
      targeting.map((p) => p.policy),
      request,
    );
    const decider = decision.policy === undefined ? undefined : targeting.find(({ policy }) => idOf(policy) === decision.policy);
    return {
      decision: decision.decision,
      reason: decision.reason,
      decidedBy:
        decider && decision.rule !== undefined && decider.policy.spec.action !== "AUDIT"
          ? {
              namespace: decider.policy.metadata.namespace ?? "default",
              name: decider.policy.metadata.name,
              action: decider.policy.spec.action,
              revision: decider.revision,
              rule: decision.rule,
              matchedRule: decider.policy.spec.rules?.[decision.rule] ?? null,
            }
          : null,
      audited: decision.audited,
      consideredPolicies: targeting.map(({ policy }) => idOf(policy)).sort(),
    };
  }
}

function idOf(policy: AuthorizationPolicy): string {
  return `${policy.metadata.namespace ?? "default"}/${policy.metadata.name}`;
}
