import type { DbClient } from "../../db-client.ts";

/** An API token as listed: never the token or its hash. */
export interface ApiTokenView {
  id: string;
  name: string;
  /** The token's first characters, to recognise it. */
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const select = { id: true, name: true, prefix: true, createdAt: true, expiresAt: true, lastUsedAt: true, revokedAt: true } as const;

export class TokensRepository {
  constructor(private readonly prisma: DbClient) {}

  /** Creates a token record; null when the user already has a token of that name. */
  async create(data: { userId: string; name: string; prefix: string; tokenHash: string; expiresAt: Date | null }): Promise<ApiTokenView | null> {
    const existing = await this.prisma.apiToken.findUnique({ where: { userId_name: { userId: data.userId, name: data.name } }, select: { id: true } });
    if (existing) return null;
    return this.prisma.apiToken.create({ data, select });
  }

  list(userId: string): Promise<ApiTokenView[]> {
    return this.prisma.apiToken.findMany({ where: { userId }, select, orderBy: { createdAt: "asc" } });
  }

  /** Revokes a token of the user; false when there is no such live token. */
  async revoke(userId: string, id: string, at: Date): Promise<boolean> {
    return (await this.prisma.apiToken.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: at } })).count > 0;
  }
}
