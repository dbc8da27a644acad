import { ClusterTrustSchema } from "@weft/mesh-model";
import { z } from "zod";
import { audited, noteAudit, principalOf, roleProcedure, router } from "../../trpc.ts";
import {
  AuthoritiesViewSchema,
  AuthorityViewSchema,
  CertificatesInputSchema,
  CertificatesViewSchema,
  ImportAuthorityInputSchema,
  RevokeClusterInputSchema,
  RotationGetInputSchema,
  RotationIdInputSchema,
  RotationReverseInputSchema,
  RotationStartInputSchema,
  RotationViewSchema,
} from "./identity.schema.ts";

const rotationRouter = router({
  /** Starts a staged root rotation to a generated root, or to the operator CA in `import`. One at a time. */
  start: roleProcedure("ADMIN")
    .input(RotationStartInputSchema)
    .output(RotationViewSchema)
    .mutation(async ({ ctx, input }) => audited(ctx, ctx.services.rotation.start(input, (await principalOf(ctx)).username))),
  /** A rotation with its per-cluster progress; without `id`, the open (else the latest) one; null when none ever ran. */
  get: roleProcedure("VIEWER")
    .input(RotationGetInputSchema)
    .output(RotationViewSchema.nullable())
    .query(({ ctx, input }) => ctx.services.rotation.get(input.id)),
  /** Every rotation, newest first. */
  list: roleProcedure("VIEWER")
    .output(z.array(RotationViewSchema))
    .query(({ ctx }) => ctx.services.rotation.list()),
  /** Stops the controller from advancing the rotation. */
  pause: roleProcedure("ADMIN")
    .input(RotationIdInputSchema)
    .output(RotationViewSchema)
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `RootRotation/${input.id}` });
      return ctx.services.rotation.pause(input.id, (await principalOf(ctx)).username);
    }),
  resume: roleProcedure("ADMIN")
    .input(RotationIdInputSchema)
    .output(RotationViewSchema)
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `RootRotation/${input.id}` });
      return ctx.services.rotation.resume(input.id, (await principalOf(ctx)).username);
    }),
  /** Before REMOVE_OLD_ROOT: back to the old CA; the new one is retired. */
  reverse: roleProcedure("ADMIN")
    .input(RotationReverseInputSchema)
    .output(RotationViewSchema)
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `RootRotation/${input.id}` });
      return ctx.services.rotation.reverse(input.id, (await principalOf(ctx)).username, input.step);
    }),
});

export const identityRouter = router({
  /** The CA hierarchy: authorities with their state, and per cluster its current and past intermediates. */
  authorities: roleProcedure("VIEWER")
    .output(AuthoritiesViewSchema)
    .query(({ ctx }) => ctx.services.identity.authorities()),
  /** Workload certificates and intermediates, soonest expiry first, with expiry warnings. */
  certificates: roleProcedure("VIEWER")
    .input(CertificatesInputSchema)
    .output(CertificatesViewSchema)
    .query(({ ctx, input }) => ctx.services.identity.certificates(input)),
  /** What every cluster trusts now (ClusterConfig.trust); null while the mesh has no CA. */
  trustBundle: roleProcedure("VIEWER")
    .output(ClusterTrustSchema.nullable())
    .query(({ ctx }) => ctx.services.identity.trustBundle()),
  /** Replaces the mesh CA with an operator's root or intermediate; only before any cluster holds an intermediate. */
  importAuthority: roleProcedure("ADMIN")
    .input(ImportAuthorityInputSchema)
    .output(AuthorityViewSchema)
    .mutation(async ({ ctx, input }) => {
      const created = await audited(ctx, ctx.services.identity.importAuthority(input));
      return (await ctx.services.identity.authorities()).authorities.find((a) => a.id === created.id) as z.infer<typeof AuthorityViewSchema>;
    }),
  /** Revokes every intermediate of the cluster; other clusters refuse its peers once their bundle updates. */
  revokeCluster: roleProcedure("ADMIN")
    .input(RevokeClusterInputSchema)
    .output(z.object({ cluster: z.string(), revoked: z.number().int().describe("Intermediates revoked."), bundleVersion: z.string().describe("The trust bundle version carrying the revocation.") }))
    .mutation(({ ctx, input }) => {
      noteAudit(ctx, { target: `Cluster/${input.cluster}` });
      return audited(ctx, ctx.services.identity.revokeCluster(input.cluster));
    }),
  rotation: rotationRouter,
});
