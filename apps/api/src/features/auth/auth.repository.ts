import type { DbClient } from "../../db-client.ts";
import { lowerRole, type Principal, type Role } from "../../access.ts";
import { toBinding } from "../users/users.repository.ts";

const userSelect = {
  id: true,
  username: true,
  role: true,
  disabled: true,
  roleBindings: { select: { role: true, namespace: true, cluster: true } },
} as const;

type UserRow = { id: string; username: string; role: Principal["role"]; disabled: boolean; roleBindings: { role: Principal["role"]; namespace: string; cluster: string }[] };

function principal(via: Principal["via"], user: UserRow, ids: { sessionId?: string; tokenId?: string }): Principal | null {
  if (user.disabled) return null;
  return { via, userId: user.id, username: user.username, role: user.role, bindings: user.roleBindings.map(toBinding), ...ids };
}

/** A token acts with its user's rights, each capped at the token's role. */
function capped(p: Principal, maxRole: Role | null, expiresAt: Date | null): Principal {
  const limit = (role: Role) => (maxRole ? lowerRole(role, maxRole) : role);
  return { ...p, role: limit(p.role), bindings: p.bindings.map((b) => ({ ...b, role: limit(b.role) })), tokenExpiresAt: expiresAt, tokenMaxRole: maxRole };
}

/** Sessions, and resolving credentials to a principal. */
export class AuthRepository {
  constructor(private readonly prisma: DbClient) {}

  async createSession(data: { userId: string; tokenHash: string; expiresAt: Date; userAgent?: string | undefined; ip?: string | undefined }): Promise<string> {
    return (await this.prisma.session.create({ data, select: { id: true } })).id;
  }

  async deleteSession(id: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { id } });
  }

  /** The principal of a live session (expired sessions are removed), refreshing its last-seen time. */
  async principalBySession(tokenHash: string, now: Date): Promise<Principal | null> {
    const session = await this.prisma.session.findUnique({ where: { tokenHash }, select: { id: true, expiresAt: true, lastSeenAt: true, user: { select: userSelect } } });
    if (!session) return null;
    if (session.expiresAt <= now) {
      await this.prisma.session.deleteMany({ where: { id: session.id } });
      return null;
    }
    // Write at most once a minute: every request would otherwise write.
    if (now.getTime() - session.lastSeenAt.getTime() > 60_000) await this.prisma.session.update({ where: { id: session.id }, data: { lastSeenAt: now } });
    return principal("session", session.user, { sessionId: session.id });
  }

  /** The principal of a valid API token (not revoked, not expired). */
  async principalByToken(tokenHash: string, now: Date): Promise<Principal | null> {
    const token = await this.prisma.apiToken.findUnique({ where: { tokenHash }, select: { id: true, expiresAt: true, revokedAt: true, lastUsedAt: true, maxRole: true, user: { select: userSelect } } });
    if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now)) return null;
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > 60_000) await this.prisma.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } });
    const found = principal("token", token.user, { tokenId: token.id });
    return found ? capped(found, token.maxRole, token.expiresAt) : null;
  }
}
