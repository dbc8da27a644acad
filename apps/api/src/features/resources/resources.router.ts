import { isKind, KINDS, LabelValueSchema, QualifiedKeySchema, type Kind } from "@weft/mesh-model";
import { z } from "zod";
import { audited, principalOf, roleProcedure, router, scopedProcedure } from "../../trpc.ts";
import { normalizeRef, parseDocuments, scopesOfDocuments, scopesOfRef } from "./resources.service.ts";

const KindSchema = z.custom<Kind>(isKind, { message: `unknown kind; expected one of ${KINDS.join(", ")}` }).describe("Resource kind.");
const RefShape = {
  kind: KindSchema,
  namespace: z.string().min(1).max(63).optional().describe('Namespace; "default" when omitted (ignored for mesh-wide kinds).'),
  name: z.string().min(1).max(253).describe("Resource name."),
};
const ChangeShape = {
  dryRun: z.boolean().default(false).describe("Validate, analyze and diff only; store nothing."),
  message: z.string().max(2000).default("").describe("Why: recorded with the revision."),
};

export const ApplyInputSchema = z
  .strictObject({
    text: z.string().max(5_000_000).optional().describe("YAML (multi-document) or JSON text."),
    format: z.enum(["yaml", "json"]).optional().describe("Format of `text`; guessed when omitted."),
    documents: z.array(z.unknown()).max(1000).optional().describe("Documents as parsed objects, instead of text."),
    prune: z
      .strictObject({
        selector: z
          .record(QualifiedKeySchema, LabelValueSchema)
          .refine((s) => Object.keys(s).length > 0, "a prune needs a selector: without one it would delete every resource the documents do not name")
          .describe("Equality label selector: the resources it covers are exactly the documents; the others it covers are deleted. Every document must carry these labels."),
      })
      .optional()
      .describe("GitOps: also delete, in the same change, what the documents no longer declare within the selector."),
    ...ChangeShape,
  })
  .refine((i) => (i.text === undefined) !== (i.documents === undefined), { message: "send exactly one of text and documents", path: ["text"] })
  // Read once, here: the access check (which namespaces) and the change use the same parse.
  .transform((i) => ({ dryRun: i.dryRun, message: i.message, parsed: parseDocuments(i), prune: i.prune?.selector }));

const RefChangeSchema = z.strictObject({ ...RefShape, ...ChangeShape });
const RollbackSchema = z.strictObject({ ...RefShape, toRevision: z.number().int().min(1).describe("The revision to restore."), ...ChangeShape });

const refOf = (input: { kind: Kind; namespace?: string | undefined; name: string }) => normalizeRef(input.kind, input.name, input.namespace);

export const resourcesRouter = router({
  list: roleProcedure("VIEWER")
    .input(z.strictObject({ kind: KindSchema.optional(), namespace: z.string().optional() }).default({}))
    .query(({ ctx, input }) => ctx.services.resources.list(input)),
  get: roleProcedure("VIEWER")
    .input(z.strictObject(RefShape))
    .query(({ ctx, input }) => ctx.services.resources.get(refOf(input))),
  /** Create-or-update by kind/namespace/name of every document, in one transaction; or a dry run. */
  applyDocuments: scopedProcedure("OPERATOR", ApplyInputSchema, (input) => scopesOfDocuments(input.parsed)).mutation(async ({ ctx, input }) =>
    audited(ctx, ctx.services.resources.applyDocuments(await principalOf(ctx), input.parsed, { dryRun: input.dryRun, message: input.message, prune: input.prune })),
  ),
  delete: scopedProcedure("OPERATOR", RefChangeSchema, scopesOfRef).mutation(async ({ ctx, input }) =>
    audited(ctx, ctx.services.resources.delete(await principalOf(ctx), refOf(input), { dryRun: input.dryRun, message: input.message })),
  ),
  /** Restores an earlier revision's content as a new revision. */
  rollback: scopedProcedure("OPERATOR", RollbackSchema, scopesOfRef).mutation(async ({ ctx, input }) =>
      audited(ctx, ctx.services.resources.rollback(await principalOf(ctx), refOf(input), input.toRevision, { dryRun: input.dryRun, message: input.message })),
    ),
  /** Every revision of one resource, newest first. */
  history: roleProcedure("VIEWER")
    .input(z.strictObject(RefShape))
    .query(({ ctx, input }) => ctx.services.resources.history(refOf(input))),
  revision: roleProcedure("VIEWER")
    .input(z.strictObject({ ...RefShape, revision: z.number().int().min(1) }))
    .query(({ ctx, input }) => ctx.services.resources.revision(refOf(input), input.revision)),
  /** Revisions of resources that refer to a service, newest first. */
  serviceHistory: roleProcedure("VIEWER")
    .input(z.strictObject({ namespace: z.string().min(1), name: z.string().min(1), beforeVersion: z.bigint().optional(), limit: z.number().int().min(1).max(500).default(50) }))
    .query(({ ctx, input }) => ctx.services.resources.serviceHistory(input, input)),
  /** Every revision of the mesh (optionally of one namespace), newest config version first. */
  meshHistory: roleProcedure("VIEWER")
    .input(z.strictObject({ namespace: z.string().optional(), beforeVersion: z.bigint().optional(), limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }))
    .query(({ ctx, input }) => ctx.services.resources.meshHistory(input)),
});
