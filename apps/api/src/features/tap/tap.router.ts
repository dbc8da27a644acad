import { z } from "zod";
import { authedProcedure, principalOf, router, scopedProcedure } from "../../trpc.ts";

const TapStartSchema = z.strictObject({
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a namespace").describe("Namespace of the service."),
  service: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a service name").describe("The service whose requests to show."),
  path: z.string().startsWith("/", "must start with /").max(2048).optional().describe("Only paths starting with this."),
  method: z.string().regex(/^[A-Za-z]{1,16}$/, "must be an HTTP method").optional().describe("Only this HTTP method."),
  cluster: z.string().min(1).max(63).optional().describe("Only this cluster's proxies."),
});
const IdSchema = z.uuid().describe("Tap session id.");

export const tapRouter = router({
  /**
   * Opens a tap on a service. Tap shows request paths and callers' identities:
   * it needs OPERATOR in the service's namespace, which a viewer does not have.
   */
  start: scopedProcedure("OPERATOR", TapStartSchema, (input) => [{ namespace: input.namespace }]).mutation(async ({ ctx, input }) => ctx.services.tap.start(await principalOf(ctx), input)),
  /** The tap's request summaries after `after` and the clusters relaying it; keeps the tap open for another minute. */
  events: authedProcedure
    .input(z.strictObject({ id: IdSchema, after: z.bigint().min(0n).default(0n).describe("The last event id seen.") }))
    .query(async ({ ctx, input }) => ctx.services.tap.events(await principalOf(ctx), input.id, input.after)),
  stop: authedProcedure.input(z.strictObject({ id: IdSchema })).mutation(async ({ ctx, input }) => {
    await ctx.services.tap.stop(await principalOf(ctx), input.id);
    return { ok: true as const };
  }),
});
