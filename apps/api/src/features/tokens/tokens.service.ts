import type { Principal } from "../../access.ts";
import type { AuditNote } from "../../context.ts";
import { conflict, notFound } from "../../errors.ts";
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

  async create(owner: Principal, name: string, expiresInDays: number | undefined, audit?: AuditNote): Promise<CreatedApiToken> {
    if (audit) audit.target = `ApiToken/${name}`;
    const token = newApiToken();
    const expiresAt = expiresInDays !== undefined ? new Date(this.now().getTime() + expiresInDays * 86_400_000) : null;
    const info = await this.repo.create({ userId: owner.userId, name, prefix: token.slice(0, 12), tokenHash: hashSecret(token), expiresAt });
    if (!info) throw conflict(`you already have a token named "${name}"`, "name");
    if (audit) audit.details = { tokenPrefix: info.prefix };
    return { token, info };
  }

  list(owner: Principal): Promise<ApiTokenView[]> {
    return this.repo.list(owner.userId);
  }

  async revoke(owner: Principal, id: string, audit?: AuditNote): Promise<void> {
    if (audit) audit.target = `ApiToken/${id}`;
    if (!(await this.repo.revoke(owner.userId, id, this.now()))) throw notFound("token", "id");
  }
}
