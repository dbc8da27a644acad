// Proposes an ALLOW AuthorizationPolicy for a service from who actually
// called it: peer identities its inbound proxies proved over mTLS (sampled
// spans), plus the service accounts of every calling service the per-minute
// rollups saw (spans are sampled; rollups count every request). Pure: the
// repository gathers, this decides. Plaintext callers cannot be named in a
// policy, so they are reported as what the policy would start denying.
import { spiffeIdFor } from "@weft/identity";
import type { AuthorizationPolicy } from "@weft/mesh-model";
import type { RolledUpCaller, SpanCaller } from "./caller-observations.repository.ts";

export interface ProposedCaller {
  identity: string;
  /** `mtls`: proven by a peer certificate in spans; `workload`: a service account of a calling service seen in the rollups. */
  evidence: ("mtls" | "workload")[];
  /** Requests attributed to the identity (sampled spans for `mtls`, rollups for `workload`, the larger of the two). */
  requests: number;
  /** Calling services the identity belongs to, as `cluster/namespace/service`. */
  services: string[];
}

export interface PolicyProposal {
  /** The proposed policy; null when no caller could be identified. */
  policy: AuthorizationPolicy | null;
  callers: ProposedCaller[];
  /** Requests from callers without a mesh identity (plaintext), which the policy would deny. */
  unidentifiedRequests: number;
  /** Calling services whose workloads discovery does not know (no service account to allow). */
  unresolvedServices: string[];
  warnings: string[];
}

export interface ProposalInput {
  trustDomain: string;
  namespace: string;
  service: string;
  spanCallers: readonly SpanCaller[];
  rolledUp: readonly RolledUpCaller[];
  /** Names of live AuthorizationPolicies targeting the service (`namespace/name`). */
  existing: readonly string[];
}

export const PROPOSAL_NAME_SUFFIX = "allow-observed";

export function proposePolicy(input: ProposalInput): PolicyProposal {
  const callers = new Map<string, ProposedCaller>();
  const add = (identity: string, evidence: "mtls" | "workload", requests: number, service?: string) => {
    const entry = callers.get(identity) ?? { identity, evidence: [], requests: 0, services: [] };
    if (!entry.evidence.includes(evidence)) entry.evidence.push(evidence);
    entry.requests = Math.max(entry.requests, requests);
    if (service && !entry.services.includes(service)) entry.services.push(service);
    callers.set(identity, entry);
  };
  let unidentifiedRequests = 0;
  for (const c of input.spanCallers) {
    if (c.identity.startsWith("spiffe://")) add(c.identity, "mtls", c.requests);
    else unidentifiedRequests += c.requests;
  }
  const unresolvedServices: string[] = [];
  for (const c of input.rolledUp) {
    const id = `${c.cluster}/${c.namespace}/${c.service}`;
    // Callers from outside the mesh (no namespace, `unknown` service) have no identity to allow.
    if (c.namespace === "" || c.service === "unknown") {
      unresolvedServices.push("callers outside the mesh");
      continue;
    }
    if (c.serviceAccounts.length === 0) {
      unresolvedServices.push(id);
      continue;
    }
    for (const sa of c.serviceAccounts) {
      const identity = identityOf(input.trustDomain, c.namespace, sa);
      if (identity) add(identity, "workload", c.requests, id);
      else unresolvedServices.push(`${id} (service account ${sa})`);
    }
  }
  const list = [...callers.values()].map((c) => ({ ...c, evidence: c.evidence.sort(), services: c.services.sort() })).sort((a, b) => a.identity.localeCompare(b.identity));

  const warnings: string[] = [];
  if (unidentifiedRequests > 0)
    warnings.push(`${unidentifiedRequests} sampled request(s) came without a mesh identity (plaintext); an ALLOW policy denies them — move those callers into the mesh first`);
  if (unresolvedServices.length > 0) warnings.push(`no identity known for ${unresolvedServices.join(", ")}: not in the proposal`);
  if (input.existing.length > 0) warnings.push(`already targeted by ${input.existing.join(", ")}: review them together with this proposal`);
  if (list.length === 0) warnings.push("no identified callers in the window: nothing to propose (an empty ALLOW policy would deny everything)");

  const policy: AuthorizationPolicy | null =
    list.length === 0
      ? null
      : {
          apiVersion: "weft.io/v1alpha1",
          kind: "AuthorizationPolicy",
          metadata: { name: `${input.service}-${PROPOSAL_NAME_SUFFIX}`.slice(0, 63).replace(/-+$/, ""), namespace: input.namespace },
          spec: { targetRef: { name: input.service }, action: "ALLOW", rules: [{ from: { identities: list.map((c) => c.identity) } }] },
        };
  return { policy, callers: list, unidentifiedRequests, unresolvedServices: [...new Set(unresolvedServices)].sort(), warnings };
}

function identityOf(trustDomain: string, namespace: string, serviceAccount: string): string | null {
  try {
    return spiffeIdFor({ trustDomain, namespace, serviceAccount });
  } catch {
    return null; // a name SPIFFE cannot carry: reported as unresolved
  }
}
