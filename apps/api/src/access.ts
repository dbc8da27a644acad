import { forbidden, unauthenticated } from "./errors.ts";

/** Roles from least to most rights. */
export const ROLES = ["VIEWER", "OPERATOR", "ADMIN"] as const;

/** A viewer reads, an operator changes policy, an admin also manages users and settings. */
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { VIEWER: 0, OPERATOR: 1, ADMIN: 2 };

/** True when `role` includes the rights of `required`. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

/** A role granted in one namespace or one cluster. */
export interface Binding {
  role: Role;
  namespace: string | null;
  cluster: string | null;
}

/** Who is calling: a signed-in user (browser session) or an API token acting for its user. */
export interface Principal {
  via: "session" | "token";
  userId: string;
  username: string;
  /** Mesh-wide role. */
  role: Role;
  bindings: readonly Binding[];
  sessionId?: string;
  tokenId?: string;
  /** For `via: "token"`: when the token expires (null: never). Tokens it creates expire no later. */
  tokenExpiresAt?: Date | null;
  /** For `via: "token"`: the token's role cap (null: none); `role` and `bindings` are already capped by it. */
  tokenMaxRole?: Role | null;
}

/**
 * A cluster's agent, authenticated by its credential (`Authorization: Bearer
 * weftagent_...`). Bound to one cluster: agent procedures take the cluster
 * from here, never from their input.
 */
export interface AgentPrincipal {
  kind: "agent";
  credentialId: string;
  clusterId: string;
  /** The cluster's name. */
  cluster: string;
  meshId: string;
}

/** Anyone a request can authenticate as. */
export type Caller = Principal | AgentPrincipal;

/** True when the caller is a cluster's agent (not a user). */
export function isAgent(caller: Caller | null | undefined): caller is AgentPrincipal {
  return caller !== null && caller !== undefined && "kind" in caller && caller.kind === "agent";
}

/**
 * What a procedure acts on, for scoped role checks: a namespace, a cluster,
 * or the whole mesh (mesh-wide kinds, users, settings).
 */
export type Scope = { namespace: string } | { cluster: string } | "mesh";

/** The role a principal holds in a scope: the mesh-wide role or a higher binding there. */
export function roleIn(principal: Principal, scope: Scope): Role {
  let best = principal.role;
  if (scope === "mesh") return best;
  for (const b of principal.bindings) {
    const applies = "namespace" in scope ? b.namespace === scope.namespace : b.cluster === scope.cluster;
    if (applies && RANK[b.role] > RANK[best]) best = b.role;
  }
  return best;
}

/** The lower of two roles. */
export function lowerRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

/** The highest role a principal holds anywhere. */
export function highestRole(principal: Principal): Role {
  return principal.bindings.reduce<Role>((best, b) => (RANK[b.role] > RANK[best] ? b.role : best), principal.role);
}

function describeScope(scope: Scope): string {
  if (scope === "mesh") return "mesh-wide";
  return "namespace" in scope ? `in namespace "${scope.namespace}"` : `in cluster "${scope.cluster}"`;
}

/**
 * Refuses unless the principal holds `required` in every scope. With no
 * scopes (the input names none yet, e.g. it is malformed) the role must be
 * held somewhere; the input is then validated and nothing is acted on.
 */
export function assertRole(principal: Principal | null, required: Role, scopes: readonly Scope[] | undefined): asserts principal is Principal {
  if (!principal) throw unauthenticated();
  if (scopes === undefined) {
    if (!roleAtLeast(principal.role, required)) throw forbidden(`requires the ${required.toLowerCase()} role mesh-wide`);
    return;
  }
  if (scopes.length === 0) {
    if (!roleAtLeast(highestRole(principal), required)) throw forbidden(`requires the ${required.toLowerCase()} role`);
    return;
  }
  for (const scope of scopes)
    if (!roleAtLeast(roleIn(principal, scope), required)) throw forbidden(`requires the ${required.toLowerCase()} role ${describeScope(scope)}`);
}
