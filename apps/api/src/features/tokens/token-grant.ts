// What a new API token may be: never more than the credential that creates it.
// A token created from a browser session may live as long as asked (that is
// what tokens are for: the CLI and automation outlive a 12-hour session), but
// a token created with another token inherits its limits — it expires no later
// and holds no higher role — and is revoked with it (parentId). Otherwise a
// leaked one-day token could mint a token that never expires, and revoking the
// leaked one would not end the attacker's access.
import { roleAtLeast, type Role } from "../../access.ts";

/** The credential creating the token. */
export interface TokenCreator {
  via: "session" | "token";
  /** The highest role the creator holds anywhere (already capped by its own token's role). */
  highestRole: Role;
  /** When the creating token expires (null: never); only for `via: "token"`. */
  tokenExpiresAt?: Date | null;
  /** The creating token's role cap (null: none); only for `via: "token"`. */
  tokenMaxRole?: Role | null;
}

export interface TokenRequest {
  expiresInDays?: number | undefined;
  role?: Role | undefined;
}

export type TokenGrant = { ok: true; expiresAt: Date | null; maxRole: Role | null } | { ok: false; path: "expiresInDays" | "role"; message: string };

const DAY_MS = 86_400_000;

/** Decides the new token's expiry and role cap, or why it cannot be created. */
export function grantToken(creator: TokenCreator, request: TokenRequest, now: Date): TokenGrant {
  const parentExpiry = creator.via === "token" ? (creator.tokenExpiresAt ?? null) : null;
  const parentRole = creator.via === "token" ? (creator.tokenMaxRole ?? null) : null;
  const ceiling = parentRole ?? creator.highestRole;
  if (request.role !== undefined && !roleAtLeast(ceiling, request.role))
    return { ok: false, path: "role", message: `cannot exceed the ${ceiling.toLowerCase()} role of the ${parentRole ? "token" : "account"} creating it` };
  let expiresAt: Date | null = request.expiresInDays !== undefined ? new Date(now.getTime() + request.expiresInDays * DAY_MS) : parentExpiry;
  if (parentExpiry && expiresAt && expiresAt > parentExpiry)
    return { ok: false, path: "expiresInDays", message: `would outlive the token creating it (it expires ${parentExpiry.toISOString()}); ask for fewer days or omit expiresInDays to expire with it` };
  if (parentExpiry && expiresAt === null) expiresAt = parentExpiry;
  return { ok: true, expiresAt, maxRole: request.role ?? parentRole };
}
