import { publicProcedure, router } from "../../trpc.ts";
import { checkHealth } from "./health.service.ts";

export const healthRouter = router({
  /** Liveness of the manager and its database; public, like /healthz. */
  status: publicProcedure.query(({ ctx }) => checkHealth(ctx.db, ctx.startedAt)),
});
