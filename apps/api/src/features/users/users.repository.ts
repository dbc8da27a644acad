import type { Role as StoredRole } from "@weft/db";
import type { Binding, Role } from "../../access.ts";
import type { DbClient, SameValues } from "../../db-client.ts";

const _sameRoles: SameValues<StoredRole, Role> = true;

/** A user as the API shows it: never the password hash. */
export interface UserView {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  role: Role;
  disabled: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  bindings: (Binding & { id: string })[];
}

/** What login needs to know about an account. */
export interface Credentials {
  user: UserView;
  passwordHash: string | null;
}

/** What setting a password ended besides the old password. */
export interface PasswordChange {
  endedSessions: number;
  revokedTokens: number;
}

const select = {
  id: true,
  username: true,
  displayName: true,
  email: true,
  role: true,
  disabled: true,
  lastLoginAt: true,
  createdAt: true,
  roleBindings: { select: { id: true, role: true, namespace: true, cluster: true }, orderBy: { createdAt: "asc" } },
} as const;

type BindingRow = { id: string; role: Role; namespace: string; cluster: string };
type Row = { roleBindings: BindingRow[] } & Omit<UserView, "bindings">;

/** A stored binding in domain form: the empty-string "not set" sentinel (see schema.prisma) becomes null. */
export function toBinding<T extends { role: Role; namespace: string; cluster: string }>(row: T): Omit<T, "namespace" | "cluster"> & { namespace: string | null; cluster: string | null } {
  return { ...row, namespace: row.namespace === "" ? null : row.namespace, cluster: row.cluster === "" ? null : row.cluster };
}

function toView({ roleBindings, ...rest }: Row): UserView {
  return { ...rest, bindings: roleBindings.map(toBinding) };
}

export class UsersRepository {
  constructor(private readonly db: DbClient) {}

  count(): Promise<number> {
    return this.db.user.count();
  }

  async list(): Promise<UserView[]> {
    return (await this.db.user.findMany({ select, orderBy: { username: "asc" } })).map(toView);
  }

  async byId(id: string): Promise<UserView | null> {
    const row = await this.db.user.findUnique({ where: { id }, select });
    return row ? toView(row) : null;
  }

  async credentials(username: string): Promise<Credentials | null> {
    const row = await this.db.user.findUnique({ where: { username }, select: { ...select, passwordHash: true } });
    if (!row) return null;
    const { passwordHash, ...user } = row;
    return { user: toView(user), passwordHash };
  }

  async passwordHash(id: string): Promise<string | null> {
    return (await this.db.user.findUnique({ where: { id }, select: { passwordHash: true } }))?.passwordHash ?? null;
  }

  /** Creates a user; null when the username is taken. */
  async create(data: { username: string; displayName?: string | undefined; email?: string | undefined; role: Role; passwordHash: string | null }): Promise<UserView | null> {
    const existing = await this.db.user.findUnique({ where: { username: data.username }, select: { id: true } });
    if (existing) return null;
    return toView(await this.db.user.create({ data, select }));
  }

  async update(id: string, data: { role?: Role | undefined; disabled?: boolean | undefined; displayName?: string | undefined; email?: string | undefined }): Promise<UserView | null> {
    const found = await this.db.user.findUnique({ where: { id }, select: { id: true } });
    if (!found) return null;
    return toView(await this.db.user.update({ where: { id }, data, select }));
  }

  /**
   * Sets a new password hash, ends every session of the
   * user and, with `revokeTokens`, revokes their API tokens (inside the
   * caller's unit of work, so it is all or nothing).
   */
  async setPassword(id: string, passwordHash: string, options: { revokeTokens: boolean; at: Date }): Promise<PasswordChange> {
    await this.db.user.update({ where: { id }, data: { passwordHash } });
    const sessions = await this.db.session.deleteMany({ where: { userId: id } });
    const tokens = options.revokeTokens ? await this.db.apiToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: options.at } }) : { count: 0 };
    return { endedSessions: sessions.count, revokedTokens: tokens.count };
  }

  async recordLoginSuccess(id: string, at: Date): Promise<void> {
    await this.db.user.update({ where: { id }, data: { lastLoginAt: at } });
  }

  /**
   * Grants a role in one namespace or cluster, replacing an earlier grant
   * there. One statement (INSERT … ON CONFLICT on the unique key), so two
   * concurrent grants for the same place leave one binding, never two.
   */
  async addBinding(userId: string, binding: Binding): Promise<void> {
    const namespace = binding.namespace ?? "";
    const cluster = binding.cluster ?? "";
    await this.db.$executeRaw`
      INSERT INTO "RoleBinding" ("id", "userId", "role", "namespace", "cluster", "createdAt")
      VALUES (gen_random_uuid(), ${userId}::uuid, ${binding.role}::"Role", ${namespace}, ${cluster}, now())
      ON CONFLICT ("userId", "namespace", "cluster") DO UPDATE SET "role" = EXCLUDED."role", "createdAt" = EXCLUDED."createdAt"`;
  }

  /** Removes a binding; false when it did not exist. */
  async removeBinding(userId: string, bindingId: string): Promise<boolean> {
    return (await this.db.roleBinding.deleteMany({ where: { id: bindingId, userId } })).count > 0;
  }
}
