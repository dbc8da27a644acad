import { z } from "zod";
import { roleProcedure, router } from "../../trpc.ts";

const ClusterName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a cluster name").describe("Cluster name.");

export const proxiesRouter = router({
  /** Every proxy of every cluster (or one): its state and the config version it runs, asked of the agents now. */
  status: roleProcedure("VIEWER")
    .input(z.strictObject({ cluster: ClusterName.optional() }).default({}))
    .query(({ ctx, input }) => ctx.services.proxies.status(input.cluster)),
  /** The config one proxy runs (listeners, routes, backends), from its agent, secrets redacted. */
  config: roleProcedure("VIEWER")
    .input(z.strictObject({ cluster: ClusterName, workload: z.string().regex(/^[a-z0-9][-a-z0-9]*\/[a-z0-9][-a-z0-9.]*$/, "must be <namespace>/<workload>").describe("The proxy, `<namespace>/<workload>`.") }))
    .query(({ ctx, input }) => ctx.services.proxies.config(input.cluster, input.workload)),
});
