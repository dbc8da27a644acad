// The security part of a ProxyConfig: the workload's identity (X.509-SVID and
// trust bundle), mTLS modes, JWT request authentication and the compiled
// authorization policies of the local service. Private keys are accepted
// here but never echoed: no message below quotes the value it refuses.
import { z } from "zod";
import { CompiledAuthorizationPolicySchema } from "../authorization-policy/compiled-authorization.schema.ts";
import { IdentityPatternSchema, TrustDomainSchema } from "../common/identity.ts";
import { jwksError } from "../request-authentication/request-authentication.schema.ts";

const AbsolutePathSchema = z.string().min(2).max(4096).startsWith("/", "must be an absolute path").describe("Absolute file path.");

const CertificatesPemSchema = z
  .string()
  .max(256 * 1024)
  .regex(/-----BEGIN CERTIFICATE-----/, "must hold PEM certificates")
  .describe("PEM certificates.");

const PrivateKeyPemSchema = z
  .string()
  .max(64 * 1024)
  .regex(/^\s*-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\s\S]+-----END ([A-Z]+ )?PRIVATE KEY-----\s*$/, "must be one PEM private key")
  .describe("PEM private key (PKCS#8, SEC1 or PKCS#1). Redacted in /config; never logged.");

export const MtlsModeSchema = z
  .enum(["STRICT", "PERMISSIVE", "DISABLE"])
  .describe(
    "STRICT: only mTLS with a client X.509-SVID chaining to the trust bundle; PERMISSIVE: mTLS or plaintext on the same port (told apart by the first byte); DISABLE: plaintext only.",
  );
export type MtlsMode = z.infer<typeof MtlsModeSchema>;

export const SvidSourceSchema = z
  .discriminatedUnion("source", [
    z.strictObject({
      source: z.literal("inline").describe("The SVID is part of the config (pushed by the agent)."),
      certChainPem: CertificatesPemSchema.describe("The X.509-SVID leaf, then its intermediates (PEM)."),
      keyPem: PrivateKeyPemSchema,
    }),
    z.strictObject({
      source: z.literal("file").describe("The SVID is read from files the proxy watches; a change is hot-swapped."),
      certChainPath: AbsolutePathSchema.describe("File with the leaf, then its intermediates (PEM)."),
      keyPath: AbsolutePathSchema.describe("File with the private key (PEM)."),
    }),
  ])
  .describe("Where the workload's X.509-SVID and key come from.");
export type SvidSource = z.infer<typeof SvidSourceSchema>;

export const TrustBundleSourceSchema = z
  .discriminatedUnion("source", [
    z.strictObject({
      source: z.literal("inline").describe("Roots in the config."),
      rootsPem: z.array(CertificatesPemSchema.describe("One or more root certificates (PEM).")).min(1).max(16).describe("The roots; several during a root rotation."),
    }),
    z.strictObject({
      source: z.literal("file").describe("Roots read from a file the proxy watches."),
      path: AbsolutePathSchema.describe("File with the concatenated root certificates (PEM)."),
    }),
  ])
  .describe("The trust bundle peers are validated against.");
export type TrustBundleSource = z.infer<typeof TrustBundleSourceSchema>;

export const WorkloadIdentitySchema = z
  .strictObject({
    trustDomain: TrustDomainSchema.describe("The mesh's SPIFFE trust domain; peers of other trust domains are refused."),
    svid: SvidSourceSchema,
    trustBundle: TrustBundleSourceSchema,
    fileCheckIntervalMs: z
      .number()
      .int()
      .min(50)
      .max(60_000)
      .default(1000)
      .describe("How often files of `file` sources are checked for changes."),
    revokedFingerprints: z
      .array(z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 fingerprint: 64 lowercase hex digits").describe("SHA-256 fingerprint (lowercase hex) of a DER certificate."))
      .max(1024)
      .optional()
      .describe("Revoked certificates, typically the intermediates of removed clusters: a peer (inbound client or outbound server) whose chain holds one is refused."),
  })
  .describe("The workload's identity: its X.509-SVID (presented on mTLS) and the trust bundle peers must chain to.");
export type WorkloadIdentity = z.infer<typeof WorkloadIdentitySchema>;

/** mTLS origination to a backend. */
export const BackendMtlsSchema = z
  .strictObject({
    expectedIdentities: z
      .array(IdentityPatternSchema.describe("A SPIFFE ID, or a pattern with a leading or trailing *."))
      .min(1)
      .max(64)
      .describe("SPIFFE IDs the destination may present; any other server identity is refused (503, flag UPE)."),
  })
  .describe("Originate mTLS with the workload's SVID and check the server's SPIFFE ID.");
export type BackendMtls = z.infer<typeof BackendMtlsSchema>;

// ------------------------------------------------------------------ JWT

const jwksJson = z
  .string()
  .max(256 * 1024)
  .superRefine((text, ctx) => {
    const error = jwksError(text);
    if (error) ctx.addIssue({ code: "custom", message: error });
  });

export const JwksSchema = z
  .discriminatedUnion("source", [
    z.strictObject({ source: z.literal("inline").describe("The key set in the config."), jwks: jwksJson.describe("JSON Web Key Set (JSON text).") }),
    z.strictObject({ source: z.literal("file").describe("A JWKS file the proxy watches."), path: AbsolutePathSchema }),
    z.strictObject({
      source: z.literal("remote").describe("Fetched from the issuer, cached and refreshed in the background."),
      uri: z.url().describe("JWKS URL (https; http only on loopback)."),
      cacheMs: z.number().int().min(1000).max(86_400_000).default(300_000).describe("Keys are refreshed this often."),
      timeoutMs: z.number().int().min(100).max(60_000).default(5000).describe("Timeout of one fetch."),
      minRefreshIntervalMs: z
        .number()
        .int()
        .min(0)
        .max(3_600_000)
        .default(10_000)
        .describe("A token with an unknown key id triggers a refresh at most this often (stops token-driven fetch storms)."),
    }),
  ])
  .describe("Where an issuer's signing keys come from.");
export type Jwks = z.infer<typeof JwksSchema>;

export const JwtIssuerSchema = z
  .strictObject({
    issuer: z.string().min(1).max(1024).describe('Expected "iss" claim.'),
    audiences: z.array(z.string().min(1)).max(32).optional().describe('Accepted "aud" values (any one); not checked when omitted.'),
    jwks: JwksSchema,
    fromHeaders: z
      .array(z.strictObject({ name: z.string().min(1).max(256).describe("Header name."), prefix: z.string().max(64).optional().describe('Text before the token, e.g. "Bearer ".') }))
      .max(8)
      .optional()
      .describe('Headers carrying the token; "Authorization: Bearer <token>" when neither fromHeaders nor fromParams is set.'),
    fromParams: z.array(z.string().min(1).max(256)).max(8).optional().describe("Query parameters carrying the token."),
    forwardOriginalToken: z.boolean().default(false).describe("Pass the token on to the app; removed when false."),
  })
  .describe("One accepted token issuer.");
export type JwtIssuer = z.infer<typeof JwtIssuerSchema>;

export const RequestAuthenticationConfigSchema = z
  .strictObject({
    issuers: z.array(JwtIssuerSchema).min(1).max(16).describe("Accepted issuers; a token is verified by the issuer named in its `iss`."),
    clockSkewSeconds: z.number().int().min(0).max(600).default(60).describe("Allowance on exp and nbf."),
    listeners: z
      .array(z.string().min(1))
      .optional()
      .describe("Listeners that verify tokens (inbound, or outbound for a gateway); every inbound listener when omitted."),
  })
  .describe("JWT request authentication: an invalid token is answered 401; a request without one passes without a principal.");
export type RequestAuthenticationConfig = z.infer<typeof RequestAuthenticationConfigSchema>;

export const AuthorizationConfigSchema = z
  .strictObject({
    policies: z.array(CompiledAuthorizationPolicySchema).max(1024).default([]).describe("The AuthorizationPolicies targeting the local service."),
  })
  .describe("Authorization of inbound requests (403, flag RBAC, when denied).");
export type AuthorizationConfig = z.infer<typeof AuthorizationConfigSchema>;
