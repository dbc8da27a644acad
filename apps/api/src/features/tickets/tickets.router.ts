import { DnsLabelSchema } from "@weft/mesh-model";
import { z } from "zod";
import { audited, principalOf, roleProcedure, router, scopedProcedure } from "../../trpc.ts";
import type { TicketsService } from "./tickets.service.ts";

const StatusSchema = z.enum(["OPEN", "ACKNOWLEDGED", "RESOLVED", "CLOSED"]).describe("Ticket status.");
const Id = { id: z.uuid().describe("The ticket's id.") };

/** A ticket's namespace is the scope of working it (mesh-wide tickets: mesh-wide operators). */
async function ticketScope(input: { id: string }, ctx: { services: { tickets: Pick<TicketsService, "get"> } }) {
  const ticket = await ctx.services.tickets.get({ id: input.id });
  return [ticket.namespace ? { namespace: ticket.namespace } : ("mesh" as const)];
}

export const ticketsRouter = router({
  /** Tickets, newest first (open ones when no status is given is up to the caller). */
  list: roleProcedure("VIEWER")
    .input(
      z
        .strictObject({
          status: z.array(StatusSchema).optional(),
          namespace: DnsLabelSchema.optional(),
          service: DnsLabelSchema.optional(),
          limit: z.number().int().min(1).max(500).default(100),
        })
        .default({ limit: 100 }),
    )
    .query(({ ctx, input }) => ctx.services.tickets.list(input)),
  /** One ticket with its context snapshot and comments, by id or number. */
  get: roleProcedure("VIEWER")
    .input(z.strictObject({ id: z.uuid().optional(), number: z.number().int().min(1).optional() }).refine((i) => (i.id === undefined) !== (i.number === undefined), { message: "send exactly one of id and number", path: ["id"] }))
    .query(({ ctx, input }) => ctx.services.tickets.get(input)),
  acknowledge: scopedProcedure("OPERATOR", z.strictObject(Id), ticketScope).mutation(async ({ ctx, input }) => audited(ctx, ctx.services.tickets.acknowledge(await principalOf(ctx), input.id))),
  assign: scopedProcedure("OPERATOR", z.strictObject({ ...Id, assignee: z.string().min(1).max(128).nullable().describe("Who works on it; null unassigns.") }), ticketScope).mutation(async ({ ctx, input }) =>
    audited(ctx, ctx.services.tickets.assign(await principalOf(ctx), input.id, input.assignee)),
  ),
  comment: scopedProcedure("OPERATOR", z.strictObject({ ...Id, body: z.string().min(1).max(20_000).describe("The comment.") }), ticketScope).mutation(async ({ ctx, input }) =>
    audited(ctx, ctx.services.tickets.comment(await principalOf(ctx), input.id, input.body)),
  ),
  close: scopedProcedure("OPERATOR", z.strictObject({ ...Id, body: z.string().max(20_000).default("").describe("Why it is closed.") }), ticketScope).mutation(async ({ ctx, input }) =>
    audited(ctx, ctx.services.tickets.close(await principalOf(ctx), input.id, input.body)),
  ),
});
