import { z } from "zod";
import { IdentityPatternSchema } from "../common/identity.ts";
import { reportDuplicates, reportIssue } from "../common/issues.ts";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema, HeaderNameSchema, PortNumberSchema } from "../common/names.ts";
import { HttpMethodSchema } from "../common/http-method.schema.ts";

/** True when `pattern` is an exact path, `*`, a prefix ending in `*` or `*` followed by a suffix. */
export function isPathPattern(pattern: string): boolean {
  if (pattern === "*") return true;
  const stars = pattern.split("*").length - 1;
  if (stars > 1) return false;
  if (stars === 1 && !pattern.startsWith("*") && !pattern.endsWith("*")) return false;
  return pattern.startsWith("/") || pattern.startsWith("*");
}

/** True when the request path `path` matches `pattern` (exact, `*`, `prefix*`, `*suffix`). */
export function matchesPathPattern(pattern: string, path: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return path.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return path.endsWith(pattern.slice(1));
  return pattern === path;
}

export const AuthorizationActionSchema = z
  .enum(["ALLOW", "DENY", "AUDIT"])
  .describe(
    "DENY: matching requests are refused (403), checked first; ALLOW: once any ALLOW policy targets a service, only requests matching one of them are let through; AUDIT: matching requests are logged, nothing is enforced.",
  );
export type AuthorizationAction = z.infer<typeof AuthorizationActionSchema>;

export const AuthorizationSourceSchema = z
  .strictObject({
    identities: z.array(IdentityPatternSchema.describe("A SPIFFE ID, optionally with a leading or trailing *.")).optional().describe("Caller workload identities (any one)."),
    namespaces: z.array(DnsLabelSchema.describe("A namespace.")).optional().describe("Caller namespaces (any one)."),
    clusters: z.array(DnsLabelSchema.describe("A cluster name.")).optional().describe("Clusters the caller runs in (any one)."),
  })
  .superRefine((from, ctx) => {
    if (!from.identities?.length && !from.namespaces?.length && !from.clusters?.length)
      reportIssue(ctx, [], "must set identities, namespaces or clusters; omit from to match every caller", "empty_condition");
  })
  .describe("Who the caller is: every listed field must match.");
export type AuthorizationSource = z.infer<typeof AuthorizationSourceSchema>;

export const AuthorizationOperationSchema = z
  .strictObject({
    methods: z.array(HttpMethodSchema).optional().describe("Request methods (any one)."),
    paths: z
      .array(
        z
          .string()
          .refine(isPathPattern, { message: 'must be an exact path starting with "/", "*", a prefix ending in "*" or "*" followed by a suffix', params: { code: "invalid_path_pattern" } })
          .describe("A path pattern."),
      )
      .optional()
      .describe("Request paths (any one)."),
    headers: z
      .array(
        z
          .strictObject({
            name: HeaderNameSchema.describe("Header name, matched case-insensitively."),
            values: z.array(z.string().describe("A value.")).min(1, { message: "must list at least one value" }).describe("Accepted values (any one)."),
          })
          .describe("A request header condition."),
      )
      .optional()
      .describe("Request headers (all must match)."),
  })
  .superRefine((to, ctx) => {
    if (!to.methods?.length && !to.paths?.length && !to.headers?.length)
      reportIssue(ctx, [], "must set methods, paths or headers; omit to to match every request", "empty_condition");
    reportDuplicates(ctx, to.headers, (h) => h.name.toLowerCase(), (i) => ["headers", i, "name"], "header");
  })
  .describe("What the request is: every listed field must match.");
export type AuthorizationOperation = z.infer<typeof AuthorizationOperationSchema>;

export const AuthorizationRuleSchema = z
  .strictObject({
    from: AuthorizationSourceSchema.optional(),
    to: AuthorizationOperationSchema.optional(),
  })
  .describe("A request matches the rule when it matches both from and to; an omitted part matches everything.");
export type AuthorizationRule = z.infer<typeof AuthorizationRuleSchema>;

export const AuthorizationPolicySpecSchema = z
  .strictObject({
    targetRef: z
      .strictObject({
        name: DnsLabelSchema.describe("Name of the protected service."),
        namespace: DnsLabelSchema.optional().describe("Namespace of the service; the policy's namespace when omitted."),
        ports: z.array(PortNumberSchema.describe("A port.")).optional().describe("Only requests to these ports; all ports when omitted."),
      })
      .superRefine((t, ctx) => reportDuplicates(ctx, t.ports, (p) => String(p), (i) => ["ports", i], "port"))
      .describe("The service whose inbound requests this policy governs."),
    action: AuthorizationActionSchema,
    rules: z
      .array(AuthorizationRuleSchema)
      .max(64, { message: "must have at most 64 entries" })
      .optional()
      .describe("The policy applies to requests matching any rule; with no rules it matches no request (an ALLOW policy without rules therefore denies everything)."),
  })
  .describe("Who may call a service, and how.");

/** Access control for a service's inbound requests. */
export const AuthorizationPolicySchema = defineResource({
  kind: "AuthorizationPolicy",
  metadata: MetadataSchema,
  spec: AuthorizationPolicySpecSchema,
  description: "Allow, deny or audit requests to a service by caller identity, namespace, cluster and request properties.",
});
export type AuthorizationPolicy = z.infer<typeof AuthorizationPolicySchema>;
export type AuthorizationPolicyInput = z.input<typeof AuthorizationPolicySchema>;
