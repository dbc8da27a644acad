import { isAgent, type AgentPrincipal, type Principal } from "../../access.ts";
import { DomainError, invalid, unauthenticated } from "../../errors.ts";
import type { Authentication, RequestInfo } from "../../request-info.ts";
import type { UnitOfWork } from "../../unit-of-work.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { PasswordChange, UsersRepository, UserView } from "../users/users.repository.ts";
import type { AuthRepository } from "./auth.repository.ts";
import { decideLogin, type LoginPolicy } from "./login-throttle.ts";
import type { LoginThrottleRepository } from "./login-throttle.repository.ts";
import { hashPassword, verifyPassword } from "./password-hash.ts";
import { AGENT_CREDENTIAL_PREFIX, API_TOKEN_PREFIX, csrfTokenFor, hashSecret, randomSecret } from "./secret-tokens.ts";
import { CSRF_COOKIE, SESSION_COOKIE, readCookie, serializeCookie } from "./session-cookies.ts";

export interface AuthSettings {
  /** log2 of scrypt's N for new password hashes (15 in production; tests lower it). */
  passwordCost: number;
  sessionTtlMs: number;
  /** `auto`: Secure cookies when the request came over https. */
  secureCookies: "auto" | "always" | "never";
  loginPolicy: LoginPolicy;
}

/** Who is signed in, as `auth.me` and `auth.login` return it. */
export interface SessionView {
  user: UserView;
  /** How the caller authenticated. */
  via: Principal["via"];
  /** For browser sessions: the value to send in the x-weft-csrf header on mutations. */
  csrfToken: string | null;
}

const GENERIC_LOGIN_ERROR = "invalid username or password";

/** What authentication needs of the clusters feature, which owns agent credentials. */
export interface AgentCredentials {
  /** The agent behind a credential's hash (null: unknown, revoked, or its cluster is gone). */
  agentByCredential(secretHash: string, now: Date): Promise<AgentPrincipal | null>;
}

/** Local accounts: passwords, sessions and resolving credentials to a principal. */
export class AuthService {
  /** Last time stale sign-in counters were removed (at most once a minute, on a sign-in). */
  private lastPruneMs = 0;
  /** Verified for unknown usernames too, so response time does not reveal which accounts exist. */
  private readonly dummyHash: Promise<string>;

  constructor(
    private readonly repo: AuthRepository,
    private readonly users: UsersRepository,
    private readonly throttle: LoginThrottleRepository,
    private readonly uow: UnitOfWork,
    private readonly agents: AgentCredentials,
    private readonly audit: AuditService,
    private readonly settings: AuthSettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.dummyHash = hashPassword(randomSecret(), settings.passwordCost);
  }

  hashPassword(password: string): Promise<string> {
    return hashPassword(password, this.settings.passwordCost);
  }

  /**
   * Checks a password and opens a session: sets the session and CSRF cookies.
   * Failures slow further attempts down (login-throttle.ts): per source, per
   * account and per both, with a delay that doubles; nothing locks. Unknown
   * usernames, disabled accounts and wrong passwords get one answer, the same
   * work and the same counting, so neither the answer nor the delay tells
   * which accounts exist.
   */
  async login(username: string, password: string, request: RequestInfo): Promise<SessionView> {
    const fail = async (reason: string, details: Record<string, unknown> = {}) => {
      await this.audit.record({ actor: null, actorName: username, action: "auth.login", outcome: "FAILURE", target: `User/${username}`, details: { reason, ...details }, ip: request.ip });
    };
    const now = this.now();
    const policy = this.settings.loginPolicy;
    await this.pruneThrottle(now);
    const decision = decideLogin(await this.throttle.state(username, request.ip), policy, now);
    if (!decision.allowed) {
      const seconds = Math.ceil(decision.retryAfterMs / 1000);
      await fail("throttled", { limitedBy: decision.limitedBy, retryAfterSeconds: seconds });
      throw new DomainError("RATE_LIMITED", `too many failed sign-in attempts; try again in ${seconds} s`);
    }
    const found = await this.users.credentials(username);
    const ok = await verifyPassword(password, found?.passwordHash ?? (await this.dummyHash));
    if (!found || !found.passwordHash || !ok || found.user.disabled) {
      await this.throttle.recordFailure(username, request.ip, now, policy.windowMs);
      await fail(!found ? "unknown-user" : found.user.disabled ? "disabled" : "bad-password", found ? { userId: found.user.id } : {});
      throw unauthenticated(GENERIC_LOGIN_ERROR);
    }
    await this.throttle.recordSuccess(username, request.ip, now);
    await this.users.recordLoginSuccess(found.user.id, now);
    return this.openSession(found.user, request, "password");
  }

  private async pruneThrottle(now: Date): Promise<void> {
    if (now.getTime() - this.lastPruneMs < 60_000) return;
    this.lastPruneMs = now.getTime();
    const policy = this.settings.loginPolicy;
    await this.throttle.prune(now, policy.windowMs, policy.knownSourceMs);
  }

  /** Opens a browser session for a user who proved who they are (password or OIDC): sets the cookies and audits the login. */
  async openSession(user: UserView, request: RequestInfo, method: "password" | "oidc"): Promise<SessionView> {
    const now = this.now();
    const token = randomSecret();
    const sessionId = await this.repo.createSession({
      userId: user.id,
      tokenHash: hashSecret(token),
      expiresAt: new Date(now.getTime() + this.settings.sessionTtlMs),
      userAgent: request.userAgent,
      ip: request.ip,
    });
    const csrfToken = csrfTokenFor(token);
    const secure = this.secureCookies(request);
    const maxAge = Math.floor(this.settings.sessionTtlMs / 1000);
    request.setCookie(serializeCookie(SESSION_COOKIE, token, { secure, maxAge, httpOnly: true }));
    // Readable by the dashboard's script, which echoes it in the CSRF header; useless without the session cookie.
    request.setCookie(serializeCookie(CSRF_COOKIE, csrfToken, { secure, maxAge, httpOnly: false }));
    const principal: Principal = { via: "session", userId: user.id, username: user.username, role: user.role, bindings: user.bindings, sessionId };
    await this.audit.record({ actor: principal, action: "auth.login", outcome: "SUCCESS", target: `User/${user.username}`, details: { method }, ip: request.ip });
    return { user: { ...user, lastLoginAt: now }, via: "session", csrfToken };
  }

  /** True when cookies for this request get the Secure flag. */
  secureCookies(request: RequestInfo): boolean {
    return this.settings.secureCookies === "always" || (this.settings.secureCookies === "auto" && request.secure);
  }

  /** Ends the caller's browser session and clears its cookies. */
  async logout(principal: Principal, request: RequestInfo): Promise<void> {
    if (principal.sessionId) await this.repo.deleteSession(principal.sessionId);
    const secure = this.secureCookies(request);
    for (const name of [SESSION_COOKIE, CSRF_COOKIE]) request.setCookie(serializeCookie(name, "", { secure, maxAge: 0, httpOnly: name === SESSION_COOKIE }));
  }

  /**
   * The caller of a request: an `Authorization: Bearer weft_...` API token,
   * a `Bearer weftagent_...` agent credential, or else the session cookie.
   * Invalid credentials are "no caller".
   */
  async authenticate(request: RequestInfo): Promise<Authentication | null> {
    const now = this.now();
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.authorization ?? "")?.[1];
    if (bearer !== undefined) {
      if (bearer.startsWith(AGENT_CREDENTIAL_PREFIX)) {
        const agent = await this.agents.agentByCredential(hashSecret(bearer), now);
        return agent ? { principal: agent, csrfToken: null } : null;
      }
      if (!bearer.startsWith(API_TOKEN_PREFIX)) return null;
      const principal = await this.repo.principalByToken(hashSecret(bearer), now);
      return principal ? { principal, csrfToken: null } : null;
    }
    const session = readCookie(request.cookie, SESSION_COOKIE);
    if (!session) return null;
    const principal = await this.repo.principalBySession(hashSecret(session), now);
    return principal ? { principal, csrfToken: csrfTokenFor(session) } : null;
  }

  async me(auth: Authentication): Promise<SessionView> {
    if (isAgent(auth.principal)) throw unauthenticated();
    const user = await this.users.byId(auth.principal.userId);
    if (!user) throw unauthenticated();
    return { user, via: auth.principal.via, csrfToken: auth.csrfToken };
  }

  /**
   * Changes the caller's own password; every session of the account ends.
   * API tokens keep working (automation should not break because someone
   * rotated a password) unless `revokeTokens` asks for that too.
   */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string, options: { revokeTokens: boolean }): Promise<PasswordChange> {
    const stored = await this.users.passwordHash(principal.userId);
    if (!stored || !(await verifyPassword(currentPassword, stored))) throw invalid("the current password is wrong", "currentPassword");
    const hash = await this.hashPassword(newPassword);
    return this.uow.run((tx) => tx.users.setPassword(principal.userId, hash, { revokeTokens: options.revokeTokens, at: this.now() }));
  }
}
