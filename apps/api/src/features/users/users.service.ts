import type { Role } from "@weft/db";
import type { Binding, Principal } from "../../access.ts";
import { conflict, invalid, notFound } from "../../errors.ts";
import type { UsersRepository, UserView } from "./users.repository.ts";

export class UsersService {
  constructor(
    private readonly repo: UsersRepository,
    private readonly hashPassword: (password: string) => Promise<string>,
  ) {}

  list(): Promise<UserView[]> {
    return this.repo.list();
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

  async resetPassword(id: string, password: string): Promise<void> {
    if (!(await this.repo.byId(id))) throw notFound("user", "id");
    await this.repo.setPassword(id, await this.hashPassword(password));
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
