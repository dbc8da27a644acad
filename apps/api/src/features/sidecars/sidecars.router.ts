import { z } from "zod";
import { roleProcedure, router } from "../../trpc.ts";
import { FULL_WINDOW_MS } from "./egress-suggestion.ts";

const Label = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label");

/** The input of `sidecars.suggest`; the window is at most a week (the rollups' retention). */
export const SuggestSidecarInputSchema = z
  .strictObject({
    namespace: Label.describe("Namespace whose workloads (or one service's) are scoped."),
    service: Label.optional().describe("The service whose workloads are scoped; every workload of the namespace when omitted."),
    from: z.date().optional().describe("Start of the traffic window (default: a week before `to`)."),
    to: z.date().optional().describe("End of the traffic window, exclusive (default: now)."),
  })
  .superRefine((input, ctx) => {
    if (input.from && input.to && input.to <= input.from) ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    const span = (input.to?.getTime() ?? Date.now()) - (input.from?.getTime() ?? 0);
    if (input.from && span > FULL_WINDOW_MS + 60_000) ctx.addIssue({ code: "custom", path: ["from"], message: "the window can be at most 7 days (the telemetry rollups' retention)" });
  });

export const sidecarsRouter = router({
  /**
   * A Sidecar whose egress hosts are the services the target's workloads
   * called in the window (telemetry rollups), with request counts and last
   * calls per host, the diff against the Sidecar in force, and notes. Nothing
   * is stored: apply the returned document like any other.
   */
  suggest: roleProcedure("VIEWER")
    .input(SuggestSidecarInputSchema)
    .query(({ ctx, input }) => ctx.services.sidecars.suggest(input)),
});
