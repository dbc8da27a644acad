import { z } from "zod";
import { ROLES } from "../../access.ts";
import { audited, authedProcedure, noteAudit, principalOf, router } from "../../trpc.ts";

export const tokensRouter = router({
  /** The caller's API tokens (never the secrets). */
  list: authedProcedure.query(async ({ ctx }) => ctx.services.tokens.list(await principalOf(ctx))),
  /**
   * Creates an API token acting with the caller's rights (capped at `role`
   * when given); the token is in this response only. Created with a token, it
   * expires no later and holds no higher role than that token, and is revoked with it.
   */
  create: authedProcedure
    .input(
      z.strictObject({
        name: z.string().min(1).max(64).regex(/^[\w. -]+$/, "letters, digits, spaces, '.', '_' and '-'").describe("A name, unique among the caller's tokens."),
        expiresInDays: z.number().int().min(1).max(3650).optional().describe("Days until it expires; omitted: never, or with the token creating it."),
        role: z.enum(ROLES).optional().describe("The most the token may do (e.g. VIEWER for a read-only token); omitted: the caller's rights, or the cap of the token creating it."),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `ApiToken/${input.name}` });
      return audited(ctx, ctx.services.tokens.create(await principalOf(ctx), input.name, { expiresInDays: input.expiresInDays, role: input.role }));
    }),
  /** Revokes one of the caller's tokens and every token created from it. */
  revoke: authedProcedure.input(z.strictObject({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    noteAudit(ctx, { target: `ApiToken/${input.id}` });
    return { ok: true as const, ...(await audited(ctx, ctx.services.tokens.revoke(await principalOf(ctx), input.id))) };
  }),
});
