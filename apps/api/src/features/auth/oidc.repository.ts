import type { Role } from "../../access.ts";
import type { DbClient } from "../../db-client.ts";

export interface OidcAttempt {
  state: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
}

export class OidcRepository {
  constructor(private readonly db: DbClient) {}

  async createAttempt(attempt: OidcAttempt, expiresAt: Date, now: Date): Promise<void> {
    // Housekeeping: abandoned attempts expire after minutes.
    await this.db.oidcLogin.deleteMany({ where: { expiresAt: { lt: now } } });
    await this.db.oidcLogin.create({ data: { ...attempt, expiresAt } });
  }

  /** Removes and returns a live attempt: each state can complete a sign-in once. */
  async takeAttempt(state: string, now: Date): Promise<OidcAttempt | null> {
    const found = await this.db.oidcLogin.findUnique({ where: { state } });
    if (!found) return null;
    const removed = await this.db.oidcLogin.deleteMany({ where: { state } });
    if (removed.count === 0 || found.expiresAt < now) return null;
    return { state: found.state, codeVerifier: found.codeVerifier, nonce: found.nonce, returnTo: found.returnTo };
  }

  /** The id of the user linked to an OIDC identity. */
  async userIdByIdentity(issuer: string, subject: string): Promise<string | null> {
    return (await this.db.user.findUnique({ where: { oidcIssuer_oidcSubject: { oidcIssuer: issuer, oidcSubject: subject } }, select: { id: true } }))?.id ?? null;
  }

  async usernameTaken(username: string): Promise<boolean> {
    return (await this.db.user.findUnique({ where: { username }, select: { id: true } })) !== null;
  }

  /** Creates a user for a first OIDC sign-in; no password, so it signs in only through the provider. */
  async createUser(data: { username: string; displayName: string | null; email: string | null; role: Role; issuer: string; subject: string; at: Date }): Promise<string> {
    const row = await this.db.user.create({
      data: { username: data.username, displayName: data.displayName, email: data.email, role: data.role, oidcIssuer: data.issuer, oidcSubject: data.subject, passwordHash: null, lastLoginAt: data.at },
      select: { id: true },
    });
    return row.id;
  }

  async touchLogin(userId: string, at: Date): Promise<void> {
    await this.db.user.update({ where: { id: userId }, data: { lastLoginAt: at } });
  }
}
