import { z } from "zod";
import { roleProcedure } from "../../trpc.ts";

const ServiceRef = z.strictObject({ namespace: z.string().min(1).max(253), service: z.string().min(1).max(253) });

/**
 * Why requests failed: the failed requests to a service (or over one edge)
 * in the window grouped by status, response flags and the proxy that set
 * them, with their share of all requests and traces that show each cause.
 */
export const failureCausesProcedure = roleProcedure("VIEWER")
  .input(
    z.strictObject({
      destination: ServiceRef.describe("The service called."),
      source: ServiceRef.optional().describe("Only requests from this caller (one edge); without it, every caller."),
      from: z.date().describe("Start of the window (spans are kept for an hour)."),
      to: z.date().describe("End of the window, exclusive."),
    }),
  )
  .query(({ ctx, input }) => ctx.services.failureCauses.explain(input));
