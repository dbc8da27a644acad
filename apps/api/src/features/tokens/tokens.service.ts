import type { Principal } from "../../access.ts";
import { conflict, notFound } from "../../errors.ts";
import type { Audited } from "../audit/audit-facts.ts";
import { hashSecret, newApiToken } from "../auth/secret-tokens.ts";
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

  async create(owner: Principal, name: string, expiresInDays: number | undefined): Promise<Audited<CreatedApiToken>> {
    const token = newApiToken();
    const expiresAt = expiresInDays !== undefined ? new Date(this.now().getTime() + expiresInDays * 86_400_000) : null;
    const info = await this.repo.create({ userId: owner.userId, name, prefix: token.slice(0, 12), tokenHash: hashSecret(token), expiresAt });
    if (!info) throw conflict(`you already have a token named "${name}"`, "name");
    return { value: { token, info }, audit: { details: { tokenPrefix: info.prefix } } };
  }

  list(owner: Principal): Promise<ApiTokenView[]> {
    return this.repo.list(owner.userId);
  }

  async revoke(owner: Principal, id: string): Promise<void> {
    if (!(await this.repo.revoke(owner.userId, id, this.now()))) throw notFound("token", "id");
  }
}
