import { z } from "zod";
import { audited, principalOf, router, scopedProcedure } from "../../trpc.ts";
import { parseDocuments, scopesOfDocuments } from "../resources/resources.service.ts";
import type { StartRolloutInput } from "./rollouts.service.ts";

const NamespaceSchema = z.string().min(1).max(63).describe('Namespace; "default" when omitted.');

/** A run: by id, or the newest run of a Rollout (namespace + name). */
export const RunRefSchema = z
  .strictObject({
    id: z.uuid().optional().describe("The run's id."),
    namespace: NamespaceSchema.optional(),
    name: z.string().min(1).max(253).optional().describe("Name of the Rollout: its newest run."),
  })
  .refine((r) => (r.id === undefined) !== (r.name === undefined), { message: "send id, or the Rollout's name (and namespace)", path: ["id"] });
export type RunRef = z.infer<typeof RunRefSchema>;

export const StartRolloutSchema = z
  .strictObject({
    text: z.string().max(1_000_000).optional().describe("The Rollout document as YAML or JSON text."),
    document: z.unknown().optional().describe("The Rollout document as a parsed object."),
    namespace: NamespaceSchema.optional(),
    name: z.string().min(1).max(253).optional().describe("Instead of a document: start the stored Rollout of this name."),
    message: z.string().max(2000).default("").describe("Why: recorded with the Rollout's revision."),
  })
  .refine((i) => [i.text !== undefined, i.document !== undefined, i.name !== undefined].filter(Boolean).length === 1, { message: "send exactly one of text, document and name", path: ["text"] })
  // Read once, here: the access check (which namespace) and the start use the same parse.
  .transform(
    (i): StartRolloutInput => ({
      message: i.message,
      source: i.name !== undefined ? { kind: "stored", namespace: i.namespace ?? "default", name: i.name } : { kind: "document", parsed: parseDocuments(i.text !== undefined ? { text: i.text } : { documents: [i.document] }) },
    }),
  );

const ListSchema = z
  .strictObject({
    namespace: NamespaceSchema.optional().describe("Only this namespace; every namespace the caller may read when omitted."),
    state: z.enum(["active", "finished", "all"]).default("all").describe("Active runs, ended ones, or both."),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .default({ state: "all", limit: 100 });

const OperationSchema = RunRefSchema.and(z.strictObject({ reason: z.string().max(2000).optional().describe("Why (recorded in the event and the audit log).") }).partial());
const PromoteSchema = RunRefSchema.and(z.strictObject({ full: z.boolean().default(false).describe("true: the canary takes every cluster now; false: the next step.") }).partial());
const ApproveSchema = RunRefSchema.and(z.strictObject({ comment: z.string().max(2000).optional().describe("Recorded with the approval.") }).partial());


/**
 * Progressive delivery: runs of Rollout resources. Reading needs the viewer
 * role in the run's namespace; steering (start, pause, resume, promote,
 * approve, abort, retry) the operator role there. Every mutation is audited.
 */
export const rolloutsRouter = router({
  /** Runs across every namespace the caller may read: waiting for an approval first, then active ones, then newest. */
  list: scopedProcedure("VIEWER", ListSchema, (input) => (input.namespace ? [{ namespace: input.namespace }] : [])).query(async ({ ctx, input }) => ctx.services.rollouts.list(await principalOf(ctx), input)),
  /** One run: its steps, checks, events, approvals and per-cluster weights. */
  get: scopedProcedure("VIEWER", RunRefSchema, (input, ctx) => ctx.services.rollouts.scopesOf(input)).query(({ ctx, input }) => ctx.services.rollouts.get(input)),
  /**
   * Starts a run: from a Rollout document (stored through the change path as
   * a revision of the Rollout, in the same transaction), or from the stored
   * Rollout named by namespace + name.
   */
  start: scopedProcedure("OPERATOR", StartRolloutSchema, (input) => (input.source.kind === "stored" ? [{ namespace: input.source.namespace }] : scopesOfDocuments(input.source.parsed))).mutation(async ({ ctx, input }) =>
    audited(ctx, ctx.services.rollouts.start(await principalOf(ctx), input)),
  ),
  pause: scopedProcedure("OPERATOR", OperationSchema, (input, ctx) => ctx.services.rollouts.scopesOf(input)).mutation(async ({ ctx, input }) => {
    const by = await principalOf(ctx);
    return audited(ctx, ctx.services.rollouts.operate(by, input, { op: "pause", by: by.username }));
  }),
  resume: scopedProcedure("OPERATOR", OperationSchema, (input, ctx) => ctx.services.rollouts.scopesOf(input)).mutation(async ({ ctx, input }) => {
    const by = await principalOf(ctx);
    return audited(ctx, ctx.services.rollouts.operate(by, input, { op: "resume", by: by.username }));
  }),
  /** Next step (releases a gate, skips the rest of a step) or, `full`, the canary everywhere now. */
  promote: scopedProcedure("OPERATOR", PromoteSchema, (input, ctx) => ctx.services.rollouts.scopesOf(input)).mutation(async ({ ctx, input }) => {
    const by = await principalOf(ctx);
    return audited(ctx, ctx.services.rollouts.operate(by, input, { op: "promote", by: by.username, full: input.full ?? false }));
  }),
  /** Releases the manual gate the run waits at (an approval step or a manual promotion), recording the approver. */
  approve: scopedProcedure("OPERATOR", ApproveSchema, (input, ctx) => ctx.services.rollouts.scopesOf(input)).mutation(async ({ ctx, input }) => audited(ctx, ctx.services.rollouts.approve(await principalOf(ctx), input, input.comment ?? ""))),
  /** Back to stable at once in every cluster, skipping analysis. */
  abort: scopedProcedure("OPERATOR", OperationSchema, (input, ctx) => ctx.services.rollouts.scopesOf(input)).mutation(async ({ ctx, input }) => {
    const by = await principalOf(ctx);
    return audited(ctx, ctx.services.rollouts.operate(by, input, { op: "abort", by: by.username, reason: input.reason }));
  }),
  /** A rolled back or aborted run starts again from its first step (a new attempt). */
  retry: scopedProcedure("OPERATOR", OperationSchema, (input, ctx) => ctx.services.rollouts.scopesOf(input)).mutation(async ({ ctx, input }) => {
    const by = await principalOf(ctx);
    return audited(ctx, ctx.services.rollouts.operate(by, input, { op: "retry", by: by.username }));
  }),
});
