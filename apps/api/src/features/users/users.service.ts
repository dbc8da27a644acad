import type { Binding, Principal, Role } from "../../access.ts";
import type { Audited } from "../audit/audit-facts.ts";
import { conflict, invalid, notFound } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { UnitOfWork } from "../../unit-of-work.ts";
import { ensureFirstAdmin } from "../auth/first-admin.ts";
import type { PasswordChange, UsersRepository, UserView } from "./users.repository.ts";

export class UsersService {
  constructor(
    private readonly repo: UsersRepository,
    private readonly uow: UnitOfWork,
    private readonly hashPassword: (password: string) => Promise<string>,
  ) {}

  list(): Promise<UserView[]> {
    return this.repo.list();
  }

  /** On the very first start (no users at all) creates `admin` with a generated password; see first-admin.ts. */
  ensureFirstAdmin(options: { home: string; log: Logger; print?: (text: string) => void }): Promise<string | null> {
    return ensureFirstAdmin({ users: this.repo, hashPassword: this.hashPassword, ...options });
  }

  async create(input: { username: string; password: string; role: Role; displayName?: string | undefined; email?: string | undefined }): Promise<UserView> {
    const user = await this.repo.create({ username: input.username, displayName: input.displayName, email: input.email, role: input.role, passwordHash: await this.hashPassword(input.password) });
    if (!user) throw conflict(`user "${input.username}" already exists`, "username");
    return user;
  }

  async update(actor: Principal, id: string, patch: { role?: Role | undefined; disabled?: boolean | undefined; displayName?: string | undefined; email?: string | undefined }): Promise<UserView> {
    // An admin locking themselves out is almost always a mistake that needs database surgery to undo.
    if (id === actor.userId && (patch.disabled === true || (patch.role !== undefined && patch.role !== "ADMIN"))) throw invalid("you cannot disable yourself or drop your own admin role", patch.disabled ? "disabled" : "role");
    const user = await this.repo.update(id, patch);
    if (!user) throw notFound("user", "id");
    return user;
  }

  /**
   * An admin sets a user's password (the user forgot it, or it leaked): every
   * session ends and every API token is revoked, since whoever knew the old
   * password may have minted tokens with it. The answer says how many.
   */
  async resetPassword(id: string, password: string): Promise<Audited<PasswordChange>> {
    if (!(await this.repo.byId(id))) throw notFound("user", "id");
    const hash = await this.hashPassword(password);
    const change = await this.uow.run((tx) => tx.users.setPassword(id, hash, { revokeTokens: true, at: new Date() }));
    return { value: change, audit: { details: { ...change } } };
  }

  async addBinding(userId: string, binding: Binding): Promise<UserView> {
    if ((binding.namespace === null) === (binding.cluster === null)) throw invalid("set exactly one of namespace and cluster", "namespace");
    if (!(await this.repo.byId(userId))) throw notFound("user", "userId");
    await this.repo.addBinding(userId, binding);
    return (await this.repo.byId(userId)) as UserView;
  }

  async removeBinding(userId: string, bindingId: string): Promise<UserView> {
    if (!(await this.repo.removeBinding(userId, bindingId))) throw notFound("role binding", "bindingId");
    return (await this.repo.byId(userId)) as UserView;
  }
}
