import { z } from "zod";
import { roleProcedure, router } from "../../trpc.ts";

const ClusterName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a cluster name").describe("Only this cluster's proxies.");

export const diagnosticsRouter = router({
  /**
   * What the compiler said while compiling the proxies' configs (endpoints
   * left out and why, settings without effect, services not exported), one
   * row per finding and cluster, the most serious first.
   */
  list: roleProcedure("VIEWER")
    .input(
      z
        .strictObject({
          cluster: ClusterName.optional(),
          service: z
            .string()
            .regex(/^[a-z0-9][-a-z0-9]*\/[a-z0-9][-a-z0-9.]*$/, "must be <namespace>/<name>")
            .optional()
            .describe("Only findings about this service, `<namespace>/<name>`."),
          severity: z.enum(["error", "warning", "info"]).optional().describe("The least serious severity shown (warning: errors and warnings); all when omitted."),
          code: z.string().min(1).max(100).optional().describe("Only this diagnostic code, e.g. unreachable_endpoint."),
        })
        .default({}),
    )
    .query(({ ctx, input }) => ctx.services.diagnostics.list(input)),
});
