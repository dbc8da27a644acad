import { z } from "zod";
import { roleProcedure, router } from "../../trpc.ts";

const ServiceRefSchema = z.strictObject({
  namespace: z.string().min(1).max(253).describe("Namespace of the service."),
  name: z.string().min(1).max(253).describe("Name of the service."),
});

/** What the agents discovered, for the dashboard to read. */
export const discoveryRouter = router({
  /** The clusters that report a service, and its endpoints there with their readiness. */
  endpoints: roleProcedure("VIEWER")
    .input(ServiceRefSchema)
    .query(({ ctx, input }) => ctx.services.discovery.serviceEndpoints(input.namespace, input.name)),
});
