import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Prefix of API tokens: recognisable in configs and by secret scanners. */
export const API_TOKEN_PREFIX = "weft_";

/** Prefix of agent credentials: never accepted where a user's token is, and the other way round. */
export const AGENT_CREDENTIAL_PREFIX = "weftagent_";
/** Prefix of one-time cluster join tokens. */
export const JOIN_TOKEN_PREFIX = "weftjoin_";

/** A fresh random secret (256 bits), URL-safe. */
export function randomSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** A new API token: `weft_` and 256 random bits. */
export function newApiToken(): string {
  return `${API_TOKEN_PREFIX}${randomSecret()}`;
}

/** SHA-256 of a high-entropy secret (session or API token): what the database stores. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/**
 * The CSRF token of a session: derived from the session secret, so it needs
 * no storage and a token planted from another site cannot match.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("weft-csrf").digest("base64url");
}

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A new agent credential: `weftagent_` and 256 random bits. */
export function newAgentCredential(): string {
  return `${AGENT_CREDENTIAL_PREFIX}${randomSecret()}`;
}

/** A new one-time join token: `weftjoin_` and 256 random bits. */
export function newJoinToken(): string {
  return `${JOIN_TOKEN_PREFIX}${randomSecret()}`;
}
