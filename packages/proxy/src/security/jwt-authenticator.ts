// JWT request authentication (jose): find the token (Authorization: Bearer,
// configured headers or query parameters), pick the issuer named by its
// `iss`, verify signature, issuer, audience, exp and nbf (with clock skew),
// and hand the claims to authorization. Key sets are inline, a file or a URL;
// fetched sets are refreshed in the background and kept when a refresh
// fails, and a token signed with an unknown key id triggers a refresh at most
// once per `minRefreshIntervalMs`, so key rotation works and forged kids
// cannot turn into a fetch storm.
import { readFile } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import type { Jwks, JwtIssuer, RequestAuthenticationConfig } from "@weft/mesh-model/proxy-config";
import type { TokenLocation, VerifiedJwt } from "../core/outcome.ts";

/** Result of authenticating one request. */
export type JwtResult =
  | { kind: "none" }
  | { kind: "valid"; jwt: VerifiedJwt; strip: TokenLocation | undefined }
  | { kind: "invalid"; issuer: string; reason: string };

interface Found {
  token: string;
  location: TokenLocation;
}

/** A JWKS that can be refreshed: inline (never), file or URL. */
class KeySet {
  private local: JWTVerifyGetKey | undefined;
  private lastAttempt = 0;
  private loading: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: Jwks,
    private readonly onError: (reason: string) => void,
  ) {
    if (source.source === "inline") this.local = createLocalJWKSet(JSON.parse(source.jwks) as JSONWebKeySet);
    else {
      void this.refresh();
      const every = source.source === "remote" ? source.cacheMs : 60_000;
      this.timer = setInterval(() => void this.refresh(), every);
      this.timer.unref();
    }
  }

  private minInterval(): number {
    return this.source.source === "remote" ? this.source.minRefreshIntervalMs : 1000;
  }

  private async fetchSet(): Promise<JSONWebKeySet> {
    const source = this.source;
    if (source.source === "file") return JSON.parse(await readFile(source.path, "utf8")) as JSONWebKeySet;
    if (source.source === "remote") {
      const res = await fetch(source.uri, { signal: AbortSignal.timeout(source.timeoutMs), redirect: "manual", headers: { accept: "application/json, application/jwk-set+json" } });
      if (res.status !== 200) throw new Error(`JWKS ${source.uri} answered ${res.status}`);
      return (await res.json()) as JSONWebKeySet;
    }
    return JSON.parse(source.jwks) as JSONWebKeySet;
  }

  /** Loads the set again; on failure the keys already known stay in use. */
  refresh(): Promise<void> {
    this.loading ??= (async () => {
      this.lastAttempt = Date.now();
      try {
        this.local = createLocalJWKSet(await this.fetchSet());
      } catch (err) {
        this.onError(err instanceof Error ? err.message : String(err));
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** The key resolver for jwtVerify. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.local) await (this.loading ?? this.refresh());
    const local = this.local;
    if (!local) throw new errors.JWKSNoMatchingKey("no signing keys could be loaded for this issuer");
    try {
      return await local(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || this.source.source === "inline") throw err;
      if (!this.loading && Date.now() - this.lastAttempt < this.minInterval()) throw err;
      await (this.loading ?? this.refresh());
      if (!this.local) throw err;
      return this.local(header, token);
    }
  };

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `claim "${err.claim}" is not acceptable (${err.reason})`;
  if (err instanceof errors.JWKSNoMatchingKey) return "no key of the issuer matches the token's key id";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the signature does not verify";
  if (err instanceof errors.JOSEError) return err.code.replace(/^ERR_/, "").toLowerCase().replaceAll("_", " ");
  return "the token is malformed";
}

/** One header value (the first, if repeated). */
function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Verifies tokens for one listener set; built per config, key sets shared by `JwtKeyRegistry`. */
export class JwtAuthenticator {
  private readonly headers: { name: string; prefix: string }[] = [];
  private readonly params: string[] = [];
  private readonly byIssuer = new Map<string, { spec: JwtIssuer; keys: KeySet }>();

  constructor(
    private readonly config: RequestAuthenticationConfig,
    keys: JwtKeyRegistry,
  ) {
    const seenHeaders = new Set<string>();
    for (const issuer of config.issuers) {
      this.byIssuer.set(issuer.issuer, { spec: issuer, keys: keys.keySet(issuer.jwks) });
      const fromHeaders = issuer.fromHeaders ?? (issuer.fromParams ? [] : [{ name: "authorization", prefix: "Bearer " }]);
      for (const h of fromHeaders) {
        const name = h.name.toLowerCase();
        if (seenHeaders.has(`${name}\0${h.prefix ?? ""}`)) continue;
        seenHeaders.add(`${name}\0${h.prefix ?? ""}`);
        this.headers.push({ name, prefix: h.prefix ?? "" });
      }
      for (const p of issuer.fromParams ?? []) if (!this.params.includes(p)) this.params.push(p);
    }
  }

  private find(headers: IncomingHttpHeaders, query: string): Found | undefined {
    for (const h of this.headers) {
      const value = headerValue(headers, h.name);
      if (value === undefined) continue;
      // The scheme of Authorization is case-insensitive (RFC 9110 section 11.1).
      if (h.prefix && value.slice(0, h.prefix.length).toLowerCase() !== h.prefix.toLowerCase()) continue;
      const token = value.slice(h.prefix.length).trim();
      if (token) return { token, location: { header: h.name } };
    }
    if (this.params.length > 0 && query) {
      const params = new URLSearchParams(query);
      for (const p of this.params) {
        const token = params.get(p);
        if (token) return { token, location: { param: p } };
      }
    }
    return undefined;
  }

  /** Authenticates a request: no token, a valid one (with claims), or an invalid one (answer 401). */
  async authenticate(headers: IncomingHttpHeaders, query: string): Promise<JwtResult> {
    const found = this.find(headers, query);
    if (!found) return { kind: "none" };
    let iss: string | undefined;
    try {
      iss = decodeJwt(found.token).iss;
    } catch {
      return { kind: "invalid", issuer: "-", reason: "the token is malformed" };
    }
    const issuer = iss === undefined ? undefined : this.byIssuer.get(iss);
    if (!issuer) return { kind: "invalid", issuer: "-", reason: "the token's issuer is not accepted here" };
    try {
      const { payload } = await jwtVerify(found.token, issuer.keys.getKey, {
        issuer: issuer.spec.issuer,
        ...(issuer.spec.audiences ? { audience: issuer.spec.audiences } : {}),
        clockTolerance: this.config.clockSkewSeconds,
        algorithms: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"],
      });
      const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      return {
        kind: "valid",
        jwt: { issuer: issuer.spec.issuer, principal: `${issuer.spec.issuer}/${payload.sub ?? ""}`, audiences: aud, claims: payload },
        strip: issuer.spec.forwardOriginalToken ? undefined : found.location,
      };
    } catch (err) {
      return { kind: "invalid", issuer: issuer.spec.issuer, reason: reasonOf(err) };
    }
  }
}

/** Key sets by source, kept across config pushes so caches survive them. */
export class JwtKeyRegistry {
  private readonly sets = new Map<string, { set: KeySet; used: boolean }>();

  constructor(private readonly onError: (source: string, reason: string) => void) {}

  keySet(source: Jwks): KeySet {
    const key = JSON.stringify(source);
    let entry = this.sets.get(key);
    if (!entry) {
      const where = source.source === "remote" ? source.uri : source.source === "file" ? source.path : "inline";
      entry = { set: new KeySet(source, (reason) => this.onError(where, reason)), used: true };
      this.sets.set(key, entry);
    }
    entry.used = true;
    return entry.set;
  }

  /** Call before building a config's authenticators; `sweep` afterwards drops the sets no longer used. */
  mark(): void {
    for (const e of this.sets.values()) e.used = false;
  }

  sweep(): void {
    for (const [key, e] of this.sets) {
      if (e.used) continue;
      e.set.close();
      this.sets.delete(key);
    }
  }

  close(): void {
    for (const e of this.sets.values()) e.set.close();
    this.sets.clear();
  }
}
