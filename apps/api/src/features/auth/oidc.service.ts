import { createHash } from "node:crypto";
import * as oidc from "openid-client";
import type { Role } from "../../access.ts";
import type { RequestInfo } from "../../request-info.ts";
import { DomainError, unauthenticated } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { UsersRepository } from "../users/users.repository.ts";
import type { AuthService } from "./auth.service.ts";
import type { OidcRepository } from "./oidc.repository.ts";
import { serializeCookie } from "./session-cookies.ts";

/** OIDC sign-in: authorization code flow with PKCE (S256), issuer discovery. */
export interface OidcSettings {
  /** Issuer URL; its /.well-known/openid-configuration is discovered. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where the provider sends the browser back: this manager's `/auth/oidc/callback`, as the browser reaches it. */
  redirectUrl: string;
  /** Mesh-wide role of users created on their first OIDC sign-in. */
  defaultRole: Role;
}

/** Cookie binding a sign-in in progress to the browser that started it (against login CSRF). */
export const OIDC_STATE_COOKIE = "weft_oidc_state";
const ATTEMPT_TTL_MS = 10 * 60_000;

/**
 * Only same-site paths: never an open redirect. A path must start with one
 * "/" followed by anything but "/"; backslashes and control characters are
 * refused anywhere, since browsers read "\\" as "/" and drop tabs and newlines
 * ("/\t/evil.example" becomes "//evil.example").
 */
export function safeReturnTo(value: string | null | undefined): string {
  if (!value || value.length > 2048) return "/";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return "/";
  return value === "/" || /^\/[^/]/.test(value) ? value : "/";
}

function usernameFrom(claims: oidc.IDToken): string {
  const raw = [claims.preferred_username, claims.email, claims.sub].find((v): v is string => typeof v === "string" && v !== "") ?? "user";
  const cleaned = raw.toLowerCase().replace(/@.*$/, "").replace(/[^a-z0-9._-]/g, "-").replace(/^[^a-z0-9]+/, "").slice(0, 48);
  return cleaned || "user";
}

export class OidcService {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly repo: OidcRepository,
    private readonly users: UsersRepository,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Discovers the provider once; a failed discovery is retried on the next sign-in. */
  private config(): Promise<oidc.Configuration> {
    this.configuration ??= (async () => {
      const issuer = new URL(this.settings.issuer);
      // Plain http only for a provider on loopback (development, tests); env.ts refuses it elsewhere.
      const execute = issuer.protocol === "http:" ? [oidc.allowInsecureRequests] : [];
      return oidc.discovery(issuer, this.settings.clientId, { client_secret: this.settings.clientSecret }, oidc.ClientSecretPost(this.settings.clientSecret), { execute });
    })().catch((err: unknown) => {
      this.configuration = undefined;
      this.log.error({ err, issuer: this.settings.issuer }, "OIDC discovery failed");
      throw new DomainError("UNAUTHENTICATED", "the OIDC provider cannot be reached; try again or sign in with a password");
    });
    return this.configuration;
  }

  /** Starts a sign-in: remembers the PKCE verifier and nonce, binds the state to the browser, returns the provider URL. */
  async start(returnTo: string, request: RequestInfo): Promise<URL> {
    const config = await this.config();
    const attempt = { state: oidc.randomState(), codeVerifier: oidc.randomPKCECodeVerifier(), nonce: oidc.randomNonce(), returnTo: safeReturnTo(returnTo) };
    const now = this.now();
    await this.repo.createAttempt(attempt, new Date(now.getTime() + ATTEMPT_TTL_MS), now);
    request.setCookie(serializeCookie(OIDC_STATE_COOKIE, attempt.state, { secure: this.auth.secureCookies(request), maxAge: ATTEMPT_TTL_MS / 1000, httpOnly: true }));
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUrl,
      scope: "openid profile email",
      response_type: "code",
      code_challenge: await oidc.calculatePKCECodeChallenge(attempt.codeVerifier),
      code_challenge_method: "S256",
      state: attempt.state,
      nonce: attempt.nonce,
    });
  }

  /**
   * Completes a sign-in from the provider's redirect: checks the state against
   * the browser's cookie, redeems the code with the PKCE verifier, verifies the
   * ID token (signature, issuer, audience, nonce), then opens a session for the
   * linked user, creating one on the first sign-in. Returns where to go next.
   */
  async finish(requestUrl: URL, stateCookie: string | undefined, request: RequestInfo): Promise<string> {
    // The provider's answer as sent to the registered redirect URL (the code exchange repeats that URL).
    const callbackUrl = new URL(this.settings.redirectUrl);
    callbackUrl.search = requestUrl.search;
    const state = callbackUrl.searchParams.get("state") ?? "";
    const fail = async (reason: string) => {
      await this.audit.record({ actor: null, actorName: "oidc", action: "auth.login", outcome: "FAILURE", details: { method: "oidc", reason }, ip: request.ip });
      return unauthenticated(`OIDC sign-in failed: ${reason}`);
    };
    request.setCookie(serializeCookie(OIDC_STATE_COOKIE, "", { secure: this.auth.secureCookies(request), maxAge: 0, httpOnly: true }));
    if (!state || stateCookie !== state) throw await fail("the sign-in was not started by this browser");
    const attempt = await this.repo.takeAttempt(state, this.now());
    if (!attempt) throw await fail("unknown or expired sign-in attempt");
    const providerError = callbackUrl.searchParams.get("error");
    if (providerError) throw await fail(`the provider answered ${providerError}`);
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(await this.config(), callbackUrl, { pkceCodeVerifier: attempt.codeVerifier, expectedState: attempt.state, expectedNonce: attempt.nonce, idTokenExpected: true });
      claims = tokens.claims();
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, "OIDC code exchange failed");
      throw await fail("the provider's answer did not verify");
    }
    if (!claims) throw await fail("no ID token");
    const userId = await this.linkUser(claims);
    const user = await this.users.byId(userId);
    if (!user || user.disabled) throw await fail("the account is disabled");
    await this.repo.touchLogin(user.id, this.now());
    await this.auth.openSession(user, request, "oidc");
    return attempt.returnTo;
  }

  private async linkUser(claims: oidc.IDToken): Promise<string> {
    const existing = await this.repo.userIdByIdentity(claims.iss, claims.sub);
    if (existing) return existing;
    // Never attach a provider identity to an existing local account by name: that would let the provider take it over.
    let username = usernameFrom(claims);
    if (await this.repo.usernameTaken(username)) username = `${username}-${createHash("sha256").update(`${claims.iss} ${claims.sub}`).digest("hex").slice(0, 8)}`;
    return this.repo.createUser({
      username,
      displayName: typeof claims.name === "string" ? claims.name : null,
      email: typeof claims.email === "string" ? claims.email : null,
      role: this.settings.defaultRole,
      issuer: claims.iss,
      subject: claims.sub,
      at: this.now(),
    });
  }
}
