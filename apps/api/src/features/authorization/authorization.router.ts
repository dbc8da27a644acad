import { z } from "zod";
import { roleProcedure, router } from "../../trpc.ts";

const Label = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label");
const HeaderValue = z.string().max(8192);

export const WhatIfInputSchema = z.strictObject({
  source: z
    .strictObject({
      identity: z.string().min(1).max(2048).optional().describe("The caller's SPIFFE ID as mTLS would prove it; omit for a plaintext caller."),
      namespace: Label.optional().describe("The caller's namespace; read from the SPIFFE ID when omitted."),
      cluster: Label.optional().describe("The caller's cluster."),
    })
    .default({})
    .describe("Who calls."),
  destination: z
    .strictObject({
      service: Label.describe("The called service."),
      namespace: Label.describe("Its namespace."),
      port: z.number().int().min(1).max(65535).optional().describe("The called port; selects port-scoped policies."),
    })
    .describe("What is called."),
  method: z.string().regex(/^[A-Za-z]{1,16}$/, "must be an HTTP method, e.g. GET").describe("HTTP method."),
  path: z.string().min(1).max(8192).startsWith("/", "must start with /").describe("Request path (a query string is ignored)."),
  headers: z.record(z.string().min(1).max(256), z.union([HeaderValue, z.array(HeaderValue).max(64)])).optional().describe("Request headers; names match case-insensitively."),
});

export const authorizationRouter = router({
  /**
   * What the live AuthorizationPolicies decide for a request: ALLOW or DENY,
   * and the policy and rule that made the decision (the evaluator the proxies run).
   */
  whatIf: roleProcedure("VIEWER")
    .input(WhatIfInputSchema)
    .query(({ ctx, input }) => ctx.services.authorization.whatIf(input)),
  /**
   * Proposes an ALLOW AuthorizationPolicy for a service from the identities
   * observed calling it (mTLS peers in spans, callers' service accounts from
   * the rollups). Nothing is stored: apply the returned policy like any other.
   */
  propose: roleProcedure("VIEWER")
    .input(
      z.strictObject({
        namespace: Label.describe("Namespace of the service."),
        service: Label.describe("The service to protect."),
        sinceMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60).describe("How far back to look at traffic (minutes; default 60)."),
      }),
    )
    .query(({ ctx, input }) => ctx.services.authorization.propose(input)),
});
