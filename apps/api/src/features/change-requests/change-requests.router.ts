import { z } from "zod";
import { audited, noteAudit, principalOf, roleProcedure, router, scopedProcedure } from "../../trpc.ts";

const DecisionSchema = z.strictObject({ id: z.uuid(), reason: z.string().max(2000).optional().describe("Why; recorded with the decision.") });

export const changeRequestsRouter = router({
  list: roleProcedure("VIEWER")
    .input(z.strictObject({ status: z.enum(["PENDING", "APPLIED", "REJECTED"]).optional(), limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 }))
    .query(({ ctx, input }) => ctx.services.changeRequests.list(input)),
  /** One request with its diff, for the approver to review. */
  byId: roleProcedure("VIEWER")
    .input(z.strictObject({ id: z.uuid() }))
    .query(({ ctx, input }) => ctx.services.changeRequests.get(input.id)),
  /** Applies a pending request. Needs operator rights in its namespaces; its author cannot approve it. */
  approve: scopedProcedure("OPERATOR", DecisionSchema, (input, ctx) => ctx.services.changeRequests.scopesOf(input.id)).mutation(async ({ ctx, input }) => {
    noteAudit(ctx, { target: `ChangeRequest/${input.id}` });
    return audited(ctx, ctx.services.changeRequests.approve(await principalOf(ctx), input.id, input.reason));
  }),
  reject: scopedProcedure("OPERATOR", DecisionSchema, (input, ctx) => ctx.services.changeRequests.scopesOf(input.id)).mutation(async ({ ctx, input }) => {
    noteAudit(ctx, { target: `ChangeRequest/${input.id}` });
    return ctx.services.changeRequests.reject(await principalOf(ctx), input.id, input.reason);
  }),
});

const NamespaceSchema = z.strictObject({ namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label") });

export const namespacesRouter = router({
  /** Namespaces whose changes by operators need approval. */
  protected: roleProcedure("VIEWER").query(({ ctx }) => ctx.services.changeRequests.listProtected()),
  protect: roleProcedure("ADMIN")
    .input(NamespaceSchema)
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `Namespace/${input.namespace}`, namespace: input.namespace });
      await ctx.services.changeRequests.protect(await principalOf(ctx), input.namespace);
      return { ok: true as const };
    }),
  unprotect: roleProcedure("ADMIN")
    .input(NamespaceSchema)
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `Namespace/${input.namespace}`, namespace: input.namespace });
      await ctx.services.changeRequests.unprotect(input.namespace);
      return { ok: true as const };
    }),
});
