import type { Role } from "../../access.ts";
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
  /** The most the token may do; null: its user's rights. */
  maxRole: Role | null;
  /** The token that created it (revoking that one revokes this one); null when a browser session did. */
  parentId: string | null;
}

const select = { id: true, name: true, prefix: true, createdAt: true, expiresAt: true, lastUsedAt: true, revokedAt: true, maxRole: true, parentId: true } as const;

export class TokensRepository {
  constructor(private readonly prisma: DbClient) {}

  /** Creates a token record; null when the user already has a token of that name. */
  async create(data: { userId: string; name: string; prefix: string; tokenHash: string; expiresAt: Date | null; maxRole: Role | null; parentId: string | null }): Promise<ApiTokenView | null> {
    const existing = await this.prisma.apiToken.findUnique({ where: { userId_name: { userId: data.userId, name: data.name } }, select: { id: true } });
    if (existing) return null;
    return this.prisma.apiToken.create({ data, select });
  }

  list(userId: string): Promise<ApiTokenView[]> {
    return this.prisma.apiToken.findMany({ where: { userId }, select, orderBy: { createdAt: "asc" } });
  }

  /**
   * Revokes a live token of the user and every live token created from it,
   * at any depth, in one statement; 0 when there is no such live token.
   */
  async revokeWithDescendants(userId: string, id: string, at: Date): Promise<number> {
    return this.prisma.$executeRaw`
      WITH RECURSIVE lineage AS (
        SELECT "id" FROM "ApiToken" WHERE "id" = ${id}::uuid AND "userId" = ${userId}::uuid AND "revokedAt" IS NULL
        UNION
        SELECT t."id" FROM "ApiToken" t JOIN lineage l ON t."parentId" = l."id"
      )
      UPDATE "ApiToken" SET "revokedAt" = ${at} WHERE "id" IN (SELECT "id" FROM lineage) AND "revokedAt" IS NULL`;
  }
}
