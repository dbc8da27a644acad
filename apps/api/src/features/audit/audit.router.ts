import { z } from "zod";
import { roleProcedure, router } from "../../trpc.ts";

export const AuditQuerySchema = z.strictObject({
  actor: z.string().min(1).optional().describe("Exact actor name (username)."),
  action: z.string().min(1).optional().describe("Exact action (`resources.applyDocuments`) or a prefix ending in `.` or `*`."),
  target: z.string().min(1).optional().describe("Substring of the target, e.g. `shop/checkout`."),
  outcome: z.enum(["SUCCESS", "FAILURE", "DENIED"]).optional(),
  from: z.date().optional().describe("Events at or after this time."),
  to: z.date().optional().describe("Events before this time."),
  before: z.bigint().optional().describe("Cursor: the previous page's nextCursor."),
  limit: z.number().int().min(1).max(500).default(100),
});

export const auditRouter = router({
  /** The audit log, newest first, filtered and paged. Admins only: it names everyone's actions. */
  list: roleProcedure("ADMIN")
    .input(AuditQuerySchema)
    .query(({ ctx, input }) => ctx.services.audit.list(input)),
});
