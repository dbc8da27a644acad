import { z } from "zod";
import { audited, authedProcedure, noteAudit, principalOf, router } from "../../trpc.ts";

export const tokensRouter = router({
  /** The caller's API tokens (never the secrets). */
  list: authedProcedure.query(async ({ ctx }) => ctx.services.tokens.list(await principalOf(ctx))),
  /** Creates an API token acting with the caller's rights; the token is in this response only. */
  create: authedProcedure
    .input(z.strictObject({ name: z.string().min(1).max(64).regex(/^[\w. -]+$/, "letters, digits, spaces, '.', '_' and '-'"), expiresInDays: z.number().int().min(1).max(3650).optional() }))
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `ApiToken/${input.name}` });
      return audited(ctx, ctx.services.tokens.create(await principalOf(ctx), input.name, input.expiresInDays));
    }),
  revoke: authedProcedure.input(z.strictObject({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    noteAudit(ctx, { target: `ApiToken/${input.id}` });
    await ctx.services.tokens.revoke(await principalOf(ctx), input.id);
    return { ok: true as const };
  }),
});
