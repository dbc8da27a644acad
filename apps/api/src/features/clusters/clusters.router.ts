import { z } from "zod";
import { audited, noteAudit, roleProcedure, router } from "../../trpc.ts";

const ClusterNameSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label (lowercase letters, digits and '-', at most 63 characters)")
  .describe("Cluster name, unique in the mesh.");
const IdSchema = z.strictObject({ id: z.string().uuid().describe("Cluster id.") });
const TtlSchema = z.number().int().min(1).max(24 * 30).describe("Hours until the join token expires (default 24).");

export const clustersRouter = router({
  /** Every cluster with its agent's status and sync state. */
  list: roleProcedure("VIEWER").query(({ ctx }) => ctx.services.clusters.list()),
  byId: roleProcedure("VIEWER")
    .input(IdSchema)
    .query(({ ctx, input }) => ctx.services.clusters.byId(input.id)),
  /** Creates a cluster; returns its one-time join token (shown once). */
  create: roleProcedure("ADMIN")
    .input(z.strictObject({ name: ClusterNameSchema, region: z.string().min(1).max(128).optional().describe("Region hint."), joinTokenTtlHours: TtlSchema.optional() }))
    .mutation(({ ctx, input }) => {
      noteAudit(ctx, { target: `Cluster/${input.name}` });
      return audited(ctx, ctx.services.clusters.create(input));
    }),
  /** A new one-time join token for an existing cluster (replaces an outstanding one). */
  createJoinToken: roleProcedure("ADMIN")
    .input(z.strictObject({ id: z.string().uuid(), joinTokenTtlHours: TtlSchema.optional() }))
    .mutation(({ ctx, input }) => {
      noteAudit(ctx, { target: `Cluster/${input.id}` });
      return ctx.services.clusters.createJoinToken(input.id, input.joinTokenTtlHours);
    }),
  revokeJoinToken: roleProcedure("ADMIN")
    .input(IdSchema)
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `Cluster/${input.id}` });
      await ctx.services.clusters.revokeJoinToken(input.id);
      return { ok: true as const };
    }),
  /** Revokes the agent's credentials; it must join again with a new join token. */
  revokeCredentials: roleProcedure("ADMIN")
    .input(IdSchema)
    .mutation(({ ctx, input }) => {
      noteAudit(ctx, { target: `Cluster/${input.id}` });
      return ctx.services.clusters.revokeCredentials(input.id);
    }),
  /** Deletes the cluster, everything its agent reported, and its credentials. */
  delete: roleProcedure("ADMIN")
    .input(IdSchema)
    .mutation(async ({ ctx, input }) => {
      await audited(ctx, ctx.services.clusters.delete(input.id));
      return { ok: true as const };
    }),
});
