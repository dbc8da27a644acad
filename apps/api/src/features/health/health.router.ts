import { publicProcedure, roleProcedure, router } from "../../trpc.ts";
import { checkHealth, publicHealth } from "./health.service.ts";

export const healthRouter = router({
  /** Up or degraded; public, like anonymous /healthz. */
  status: publicProcedure.query(async ({ ctx }) => publicHealth(await checkHealth(ctx.db, ctx.startedAt))),
  /** Version, uptime and the database (kind, target, latency): for signed-in users only. */
  report: roleProcedure("VIEWER").query(({ ctx }) => checkHealth(ctx.db, ctx.startedAt)),
});
