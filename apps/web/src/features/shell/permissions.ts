// What the signed-in user may change, from auth.me's role and role bindings.
// The manager refuses anything else anyway: this only hides controls that would fail.

export type Role = "VIEWER" | "OPERATOR" | "ADMIN";

const RANK: Record<Role, number> = { VIEWER: 0, OPERATOR: 1, ADMIN: 2 };

export interface Grants {
  role: Role;
  bindings: readonly { role: Role; namespace: string | null; cluster: string | null }[];
}

/** The role the user holds in a namespace: the mesh-wide role or a higher binding there. */
export function roleInNamespace(grants: Grants, namespace: string): Role {
  let best = grants.role;
  for (const b of grants.bindings) if (b.namespace === namespace && RANK[b.role] > RANK[best]) best = b.role;
  return best;
}

/** True when the user may change resources in `namespace` (null: mesh-wide kinds). */
export function canEditNamespace(grants: Grants | null, namespace: string | null): boolean {
  if (!grants) return false;
  if (namespace === null) return RANK[grants.role] >= RANK.OPERATOR;
  return RANK[roleInNamespace(grants, namespace)] >= RANK.OPERATOR;
}

/** True when the user may change resources somewhere (shows "New policy" and the like). */
export function canEditSomewhere(grants: Grants | null): boolean {
  if (!grants) return false;
  return RANK[grants.role] >= RANK.OPERATOR || grants.bindings.some((b) => RANK[b.role] >= RANK.OPERATOR);
}

/** Admins manage users, clusters and the audit log. */
export function isAdmin(grants: Grants | null): boolean {
  return grants?.role === "ADMIN";
}

/** Namespaces the user may edit through bindings alone (for a viewer-with-bindings editor). */
export function editableNamespaces(grants: Grants | null): string[] {
  if (!grants) return [];
  return [...new Set(grants.bindings.filter((b) => b.namespace && RANK[b.role] >= RANK.OPERATOR).map((b) => b.namespace as string))].sort();
}

/**
 * True when a change by this user in `namespace` goes to approval instead of
 * applying: the namespace is protected and the user is not an admin there
 * (the manager's rule; the editor says "Submit for approval" up front).
 */
export function needsApproval(grants: Grants | null, namespace: string | null, protectedNamespaces: readonly string[]): boolean {
  if (!grants || namespace === null || !protectedNamespaces.includes(namespace)) return false;
  return RANK[roleInNamespace(grants, namespace)] < RANK.ADMIN;
}
