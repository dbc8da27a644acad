// The compiled, proxy-facing form of AuthorizationPolicy: what a ProxyConfig
// carries for its local service and what `evaluateAuthorization` runs. The
// `from` and `to` conditions are the resource's own schemas, so a compiled
// rule means exactly what the user wrote; `when` adds request-authentication
// (JWT) conditions.
import { z } from "zod";
import { AuthorizationActionSchema, AuthorizationOperationSchema, AuthorizationSourceSchema } from "./authorization-policy.schema.ts";

/** `request.auth.principal` or `request.auth.claims[name]` (nested: `request.auth.claims[org][id]`). */
const CONDITION_KEY = /^request\.auth\.(principal|audiences|claims(\[[^[\]]+\])+)$/;

/** The claim path of a `request.auth.claims[a][b]` key (`["a", "b"]`), undefined for other keys. */
export function claimPath(key: string): string[] | undefined {
  if (!key.startsWith("request.auth.claims[")) return undefined;
  return [...key.slice("request.auth.claims".length).matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1] as string);
}

export const AuthorizationConditionSchema = z
  .strictObject({
    key: z
      .string()
      .regex(CONDITION_KEY, 'must be "request.auth.principal", "request.auth.audiences" or "request.auth.claims[<name>]" (nested: [a][b])')
      .describe("What is compared: the JWT principal (`<iss>/<sub>`), its audiences, or one claim of the verified token."),
    values: z
      .array(z.string().min(1).describe('A value; "*" matches anything present, "x*" a prefix, "*x" a suffix.'))
      .min(1)
      .max(64)
      .describe("Accepted values (any one). For a list claim (e.g. groups) any element may match."),
  })
  .describe("A condition on the request's verified JWT; a request without a valid token matches no condition.");
export type AuthorizationCondition = z.infer<typeof AuthorizationConditionSchema>;

export const CompiledAuthorizationRuleSchema = z
  .strictObject({
    from: AuthorizationSourceSchema.optional().describe("Who the caller is (its mTLS identity); every caller when omitted. Plaintext callers match no `from`."),
    to: AuthorizationOperationSchema.optional().describe("What the request is; every request when omitted."),
    when: z.array(AuthorizationConditionSchema).max(16).optional().describe("JWT conditions; all must hold."),
  })
  .describe("A request matches the rule when from, to and every when condition match.");
export type CompiledAuthorizationRule = z.infer<typeof CompiledAuthorizationRuleSchema>;

export const CompiledAuthorizationPolicySchema = z
  .strictObject({
    name: z.string().min(1).max(253).describe("Name of the AuthorizationPolicy it was compiled from."),
    namespace: z.string().min(1).max(63).default("default").describe("Namespace of that policy."),
    action: AuthorizationActionSchema,
    ports: z
      .array(z.number().int().min(1).max(65535).describe("A port."))
      .max(64)
      .optional()
      .describe("Only requests to these ports of the workload (the inbound listener's app port); every port when omitted."),
    rules: z
      .array(CompiledAuthorizationRuleSchema)
      .max(64)
      .default([])
      .describe("The policy applies to requests matching any rule; with no rules it matches nothing (an ALLOW policy without rules denies everything)."),
  })
  .describe("One AuthorizationPolicy as the proxy of its target service runs it.");
export type CompiledAuthorizationPolicy = z.infer<typeof CompiledAuthorizationPolicySchema>;
export type CompiledAuthorizationPolicyInput = z.input<typeof CompiledAuthorizationPolicySchema>;
