import { z } from "zod";
import { ROLES } from "../../access.ts";
import { audited, noteAudit, principalOf, roleProcedure, router } from "../../trpc.ts";
import { PasswordSchema } from "../auth/auth.router.ts";

const RoleSchema = z.enum(ROLES).describe("VIEWER reads; OPERATOR changes policy; ADMIN also manages users and settings.");
const UsernameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters")
  .describe("Sign-in name.");
const NameSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label");

export const usersRouter = router({
  list: roleProcedure("ADMIN").query(({ ctx }) => ctx.services.users.list()),
  create: roleProcedure("ADMIN")
    .input(z.strictObject({ username: UsernameSchema, password: PasswordSchema, role: RoleSchema.default("VIEWER"), displayName: z.string().max(200).optional(), email: z.string().email().optional() }))
    .mutation(({ ctx, input }) => {
      noteAudit(ctx, { target: `User/${input.username}`, details: { role: input.role } });
      return ctx.services.users.create(input);
    }),
  update: roleProcedure("ADMIN")
    .input(z.strictObject({ id: z.uuid(), role: RoleSchema.optional(), disabled: z.boolean().optional(), displayName: z.string().max(200).optional(), email: z.string().email().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { id, ...patch } = input;
      noteAudit(ctx, { target: `User/${id}`, details: { ...patch } });
      return ctx.services.users.update(await principalOf(ctx), id, patch);
    }),
  /** Sets a user's password; ends their sessions and revokes their API tokens (the answer counts both). */
  resetPassword: roleProcedure("ADMIN")
    .input(z.strictObject({ id: z.uuid(), password: PasswordSchema }))
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `User/${input.id}` });
      return { ok: true as const, ...(await audited(ctx, ctx.services.users.resetPassword(input.id, input.password))) };
    }),
  /** Grants a role in one namespace or cluster, replacing an earlier grant there. */
  addRoleBinding: roleProcedure("ADMIN")
    .input(z.strictObject({ userId: z.uuid(), role: RoleSchema, namespace: NameSchema.optional(), cluster: NameSchema.optional() }))
    .mutation(({ ctx, input }) => {
      noteAudit(ctx, { target: `User/${input.userId}`, namespace: input.namespace, details: { role: input.role, namespace: input.namespace, cluster: input.cluster } });
      return ctx.services.users.addBinding(input.userId, { role: input.role, namespace: input.namespace ?? null, cluster: input.cluster ?? null });
    }),
  removeRoleBinding: roleProcedure("ADMIN")
    .input(z.strictObject({ userId: z.uuid(), bindingId: z.uuid() }))
    .mutation(({ ctx, input }) => {
      noteAudit(ctx, { target: `User/${input.userId}` });
      return ctx.services.users.removeBinding(input.userId, input.bindingId);
    }),
});
