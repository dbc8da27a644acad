import { highestRole, type Principal, type Role } from "../../access.ts";
import { conflict, invalid, notFound } from "../../errors.ts";
import type { Audited } from "../audit/audit-facts.ts";
import { hashSecret, newApiToken } from "../auth/secret-tokens.ts";
import { grantToken } from "./token-grant.ts";
import type { ApiTokenView, TokensRepository } from "./tokens.repository.ts";

/** A new API token: the only time the secret is shown. */
export interface CreatedApiToken {
  token: string;
  info: ApiTokenView;
}

export class TokensService {
  constructor(
    private readonly repo: TokensRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A token acting for `owner`, never outliving nor outranking the credential that creates it (token-grant.ts). */
  async create(owner: Principal, name: string, request: { expiresInDays?: number | undefined; role?: Role | undefined }): Promise<Audited<CreatedApiToken>> {
    const creator = owner.via === "token" ? { via: "token" as const, highestRole: highestRole(owner), tokenExpiresAt: owner.tokenExpiresAt ?? null, tokenMaxRole: owner.tokenMaxRole ?? null } : { via: "session" as const, highestRole: highestRole(owner) };
    const grant = grantToken(creator, request, this.now());
    if (!grant.ok) throw invalid(grant.message, grant.path);
    const token = newApiToken();
    const info = await this.repo.create({
      userId: owner.userId,
      name,
      prefix: token.slice(0, 12),
      tokenHash: hashSecret(token),
      expiresAt: grant.expiresAt,
      maxRole: grant.maxRole,
      parentId: owner.via === "token" ? (owner.tokenId ?? null) : null,
    });
    if (!info) throw conflict(`you already have a token named "${name}"`, "name");
    return { value: { token, info }, audit: { details: { tokenPrefix: info.prefix, expiresAt: info.expiresAt?.toISOString() ?? null, maxRole: info.maxRole, parentId: info.parentId } } };
  }

  list(owner: Principal): Promise<ApiTokenView[]> {
    return this.repo.list(owner.userId);
  }

  /** Revokes one of the owner's tokens and every token created from it; answers how many were revoked. */
  async revoke(owner: Principal, id: string): Promise<Audited<{ revoked: number }>> {
    const revoked = await this.repo.revokeWithDescendants(owner.userId, id, this.now());
    if (revoked === 0) throw notFound("token", "id");
    return { value: { revoked }, audit: { details: { revoked } } };
  }
}
