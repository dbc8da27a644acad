// Roles and role bindings in words, for the users table, the header and the
// confirmation of a role change.
import type { Role } from "../shell/permissions.ts";

export interface BindingLike {
  role: Role;
  namespace: string | null;
  cluster: string | null;
}

const RANK: Record<Role, number> = { VIEWER: 0, OPERATOR: 1, ADMIN: 2 };

/** "operator in shop", "admin in cluster east". */
export function bindingText(b: BindingLike): string {
  return `${b.role.toLowerCase()} in ${b.namespace ? b.namespace : `cluster ${b.cluster ?? "?"}`}`;
}

/** "viewer · operator in shop, admin in pay": the mesh-wide role, then each binding. */
export function roleSummary(role: Role, bindings: readonly BindingLike[]): string {
  return bindings.length === 0 ? role.toLowerCase() : `${role.toLowerCase()} · ${bindings.map(bindingText).join(", ")}`;
}

/**
 * What an admin should know before giving `username` the mesh-wide role
 * `next`: a mesh-wide role at or above a namespace binding makes that
 * binding pointless (and reaches every namespace, not just the bound one).
 */
export function roleChangeWarnings(username: string, next: Role, bindings: readonly BindingLike[]): string[] {
  const warnings: string[] = [];
  const shadowed = bindings.filter((b) => RANK[next] >= RANK[b.role]);
  if (shadowed.length > 0) warnings.push(`${username} also holds ${shadowed.map(bindingText).join(", ")}: as a mesh-wide ${next.toLowerCase()} they get that role in every namespace, so the binding${shadowed.length > 1 ? "s add" : " adds"} nothing.`);
  if (next === "ADMIN") warnings.push(`An admin manages users, clusters and the audit log, and approves changes in protected namespaces.`);
  return warnings;
}
