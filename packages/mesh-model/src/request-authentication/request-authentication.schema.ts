import { z } from "zod";
import { reportDuplicates, reportIssue } from "../common/issues.ts";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema, HeaderNameSchema } from "../common/names.ts";
import { DurationSchema } from "../common/duration.ts";

/** The reason `text` is not a usable JSON Web Key Set, or `undefined` when it is one. */
export function jwksError(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (typeof value !== "object" || value === null || !Array.isArray((value as { keys?: unknown }).keys))
    return 'must be a JSON Web Key Set: an object with a "keys" array';
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length === 0) return "must contain at least one key";
  const bad = keys.findIndex((k) => typeof k !== "object" || k === null || typeof (k as { kty?: unknown }).kty !== "string");
  if (bad >= 0) return `key ${bad} has no "kty"`;
  return undefined;
}

const LOOPBACK_HTTP = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/;

function urlError(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && LOOPBACK_HTTP.test(uri)) return undefined;
  return "must use https (plain http only on loopback): keys fetched in the clear could be replaced";
}

export const JwksSourceSchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("Inline").describe("The key set is part of the resource."),
      inline: z
        .string()
        .superRefine((text, ctx) => {
          const error = jwksError(text);
          if (error) reportIssue(ctx, [], error, "invalid_jwks");
        })
        .describe("The JSON Web Key Set, as JSON text."),
    }),
    z.strictObject({
      type: z.literal("File").describe("The key set is read from a file on each proxy's host."),
      path: z.string().startsWith("/", { message: "must be an absolute path" }).describe("Absolute path of the JWKS file."),
    }),
    z.strictObject({
      type: z.literal("Remote").describe("The key set is fetched from the issuer."),
      uri: z
        .string()
        .superRefine((uri, ctx) => {
          const error = urlError(uri);
          if (error) reportIssue(ctx, [], error, "invalid_url");
        })
        .describe("URL of the JWKS document (https)."),
      cacheDuration: DurationSchema.default("5m").describe("How long fetched keys are cached. Default 5m."),
      timeout: DurationSchema.default("5s").describe("Timeout of a fetch. Default 5s."),
    }),
  ])
  .describe("Where the issuer's signing keys come from.");
export type JwksSource = z.infer<typeof JwksSourceSchema>;

export const JwtRuleSchema = z
  .strictObject({
    issuer: z.string().min(1, { message: "must not be empty" }).describe('Expected "iss" claim.'),
    audiences: z.array(z.string().min(1, { message: "must not be empty" }).describe("An audience.")).optional().describe('Accepted "aud" values (any one); not checked when omitted.'),
    jwks: JwksSourceSchema,
    fromHeaders: z
      .array(
        z
          .strictObject({
            name: HeaderNameSchema.describe("Header carrying the token."),
            prefix: z.string().optional().describe('Text before the token, e.g. "Bearer ".'),
          })
          .describe("A header carrying the token."),
      )
      .optional()
      .describe('Headers to take the token from; "Authorization: Bearer <token>" when neither fromHeaders nor fromParams is set.'),
    fromParams: z.array(z.string().min(1, { message: "must not be empty" }).describe("A query parameter name.")).optional().describe("Query parameters to take the token from."),
    forwardOriginalToken: z.boolean().default(false).describe("Pass the token on to the service. Default false (it is removed)."),
    claimsToHeaders: z
      .array(
        z
          .strictObject({
            claim: z.string().min(1, { message: "must not be empty" }).describe('Claim name; nested claims with dots, e.g. "org.id".'),
            header: HeaderNameSchema.describe("Request header set to the claim's value."),
          })
          .describe("A claim copied into a header."),
      )
      .optional()
      .describe("Claims copied into request headers for the service."),
  })
  .superRefine((rule, ctx) => {
    reportDuplicates(ctx, rule.fromHeaders, (h) => h.name.toLowerCase(), (i) => ["fromHeaders", i, "name"], "header");
    reportDuplicates(ctx, rule.fromParams, (p) => p, (i) => ["fromParams", i], "query parameter");
    reportDuplicates(ctx, rule.claimsToHeaders, (c) => c.header.toLowerCase(), (i) => ["claimsToHeaders", i, "header"], "header");
  })
  .describe("How tokens of one issuer are found and verified.");
export type JwtRule = z.infer<typeof JwtRuleSchema>;

export const RequestAuthenticationSpecSchema = z
  .strictObject({
    targetRef: z
      .strictObject({
        name: DnsLabelSchema.describe("Name of the service."),
        namespace: DnsLabelSchema.optional().describe("Namespace of the service; the resource's namespace when omitted."),
      })
      .optional()
      .describe("The service whose requests are authenticated; every service in the namespace when omitted."),
    jwtRules: z.array(JwtRuleSchema).min(1, { message: "must have at least one rule" }).max(16, { message: "must have at most 16 entries" }).describe("Accepted token issuers."),
  })
  .superRefine((spec, ctx) => reportDuplicates(ctx, spec.jwtRules, (r) => r.issuer, (i) => ["jwtRules", i, "issuer"], "issuer"))
  .describe("JWT verification for requests to a service. Requests with an invalid token are refused (401); requests without one pass unauthenticated (require one with an AuthorizationPolicy).");

/** JWT authentication of end-user requests. */
export const RequestAuthenticationSchema = defineResource({
  kind: "RequestAuthentication",
  metadata: MetadataSchema,
  spec: RequestAuthenticationSpecSchema,
  description: "Verify JSON Web Tokens on requests to a service.",
});
export type RequestAuthentication = z.infer<typeof RequestAuthenticationSchema>;
export type RequestAuthenticationInput = z.input<typeof RequestAuthenticationSchema>;
