import { DnsLabelSchema, fromOpenSlo, ValidationError } from "@weft/mesh-model";
import { z } from "zod";
import { audited, noteAudit, principalOf, roleProcedure, router, scopedProcedure } from "../../trpc.ts";
import { scopesOfDocuments } from "../resources/resources.service.ts";

const Ref = z.strictObject({ namespace: DnsLabelSchema.default("default").describe("Namespace of the SLO."), name: z.string().min(1).max(253).describe("Name of the SLO.") });
const Filter = z.strictObject({ namespace: DnsLabelSchema.optional().describe("Only this namespace."), name: z.string().min(1).max(253).optional().describe("Only this SLO.") }).default({});

const ImportInput = z
  .strictObject({
    text: z.string().min(1).max(2_000_000).describe("OpenSLO v1 documents (YAML stream or JSON)."),
    namespace: DnsLabelSchema.default("default").describe("Namespace for SLOs without a weft.io/namespace annotation."),
    dryRun: z.boolean().default(false).describe("Validate, analyze and diff only; store nothing."),
    message: z.string().max(2000).default("").describe("Why: recorded with the revisions."),
  })
  // Read once, here: the access check (which namespaces) and the change use the same SLOs.
  .transform((i) => ({ ...i, read: fromOpenSlo(i.text, { namespace: i.namespace }) }));

export const sloRouter = router({
  /** SLOs with their latest judgement and alert states (of a namespace, or of one service). */
  list: roleProcedure("VIEWER")
    .input(z.strictObject({ namespace: DnsLabelSchema.optional(), service: z.strictObject({ namespace: DnsLabelSchema, name: DnsLabelSchema }).optional() }).default({}))
    .query(({ ctx, input }) => ctx.services.slo.list(input)),
  /** One SLO with its alert history and tickets. */
  get: roleProcedure("VIEWER")
    .input(Ref)
    .query(({ ctx, input }) => ctx.services.slo.get(input)),
  /** Good and bad requests per step over the SLO window (or the last `hours`): the SLI chart and the burn-down. */
  series: roleProcedure("VIEWER")
    .input(Ref.extend({ hours: z.number().int().min(1).max(24 * 31).optional(), scope: DnsLabelSchema.optional().describe("A cluster of a per-cluster SLO.") }))
    .query(({ ctx, input }) => ctx.services.slo.series(input, input)),
  /** A draft SLO judged now (nothing stored): field issues, or the SLI, burn rates and the last day hour by hour. */
  dryRun: roleProcedure("VIEWER")
    .input(z.strictObject({ document: z.unknown() }))
    .query(({ ctx, input }) => ctx.services.slo.dryRun(input.document)),
  /** May the service be promoted now? The rollout controller's error-budget gate, for people and tools. */
  errorBudget: roleProcedure("VIEWER")
    .input(z.strictObject({ namespace: DnsLabelSchema, service: DnsLabelSchema, clusters: z.array(DnsLabelSchema).optional() }))
    .query(({ ctx, input }) => ctx.services.errorBudgetGate.check(input, new Date())),
  /** Sloth-style Prometheus recording and alerting rules for the SLOs (YAML; `promtool check rules` accepts it). */
  prometheusRules: roleProcedure("VIEWER")
    .input(Filter)
    .query(async ({ ctx, input }) => ({ yaml: await ctx.services.slo.prometheusRules(input) })),
  /** The SLOs as OpenSLO v1 documents (SLO + AlertPolicy). */
  exportOpenSlo: roleProcedure("VIEWER")
    .input(Filter)
    .query(async ({ ctx, input }) => ({ yaml: await ctx.services.slo.exportOpenSlo(input) })),
  /** OpenSLO v1 documents applied as SLOs through the normal change path (validation, analyzers, revisions, audit). */
  importOpenSlo: scopedProcedure("OPERATOR", ImportInput, (input) => (input.read.ok ? scopesOfDocuments({ ok: true, resources: input.read.value }) : [])).mutation(async ({ ctx, input }) => {
    noteAudit(ctx, { details: { openslo: true } });
    // Malformed OpenSLO is refused whole, with the OpenSLO paths: nothing is stored.
    if (!input.read.ok) throw new ValidationError("INVALID_RESOURCE", input.read.issues);
    const result = await audited(ctx, ctx.services.resources.applyDocuments(await principalOf(ctx), { ok: true, resources: input.read.value }, { dryRun: input.dryRun, message: input.message || "imported from OpenSLO" }));
    return { result, warnings: input.read.warnings };
  }),
});
