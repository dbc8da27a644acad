// Inputs and outputs of the identity API (the mesh CA, cluster intermediates,
// the workload certificate inventory and staged root rotations). Outputs are
// parsed on the way out, so nothing but these fields (never a key) leaves.
import { z } from "zod";

const Fingerprint = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");
const Pem = (max: number) => z.string().min(1).max(max, `must be at most ${max} characters`);
const ClusterName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a cluster name (a DNS label)")
  .describe("Cluster name.");
const Decimal = z.string().regex(/^\d{1,19}$/, "must be a decimal version number");

// ---- inputs ----

/** An operator's CA to import: a root or an intermediate, its private key and the chain above it. */
export const ImportAuthorityInputSchema = z.strictObject({
  certificatePem: Pem(65_536).describe("The CA certificate (PEM): a self-signed root or an intermediate with keyCertSign and room for one more CA level."),
  keyPem: Pem(16_384).describe("Its private key (PEM: PKCS#8, SEC1 or PKCS#1, unencrypted). Sealed at once with WEFT_CA_KEY; never returned or logged."),
  chainPem: z.array(Pem(65_536)).max(8).default([]).describe("Certificates above it, nearest first, optionally ending with the self-signed root."),
});

export const RotationStartInputSchema = z
  .strictObject({ import: ImportAuthorityInputSchema.optional().describe("Rotate to this operator CA; omitted, the manager generates a new root (ECDSA P-256, 10 years).") })
  .default({});

export const RotationIdInputSchema = z.strictObject({ id: z.string().uuid().describe("Rotation id.") });

export const RotationGetInputSchema = z.strictObject({ id: z.string().uuid().optional().describe("Rotation id; omitted, the open rotation, else the latest one.") }).default({});

export const RevokeClusterInputSchema = z.strictObject({ cluster: ClusterName.describe("The cluster whose intermediates are revoked.") });

export const CertificatesInputSchema = z
  .strictObject({
    cluster: ClusterName.optional().describe("Only this cluster's certificates."),
    expiringWithinHours: z.number().positive().max(24 * 3650).optional().describe("Only certificates whose notAfter is within this many hours (expired ones included)."),
    limit: z.number().int().min(1).max(5_000).default(500).describe("At most this many items, soonest expiry first."),
  })
  .default({ limit: 500 });

/** agent.signIntermediate: the agent's CSR; the cluster comes from its credential. */
export const SignIntermediateInputSchema = z.strictObject({
  csrPem: Pem(16_384).describe("PKCS#10 CSR (PEM) with subject O=Weft, OU=weft-cluster, CN=<this cluster>."),
});

export const ReportedCertificateSchema = z.strictObject({
  spiffeId: z.string().min(1).max(2048).regex(/^spiffe:\/\//, "must be a spiffe:// ID").describe("The workload's SPIFFE ID."),
  subject: z.string().max(2048).describe("Subject DN."),
  issuer: z.string().max(2048).describe("Issuer DN."),
  serial: z.string().regex(/^[0-9a-f]{1,64}$/, "must be lowercase hex").describe("Serial number (lowercase hex)."),
  notBefore: z.iso.datetime({ offset: true }).describe("Start of validity (ISO 8601)."),
  notAfter: z.iso.datetime({ offset: true }).describe("End of validity (ISO 8601)."),
  rootFingerprint: Fingerprint.describe("SHA-256 of the root the certificate chains to."),
});

export const ReportCertificatesInputSchema = z
  .strictObject({ certificates: z.array(ReportedCertificateSchema).max(50_000).describe("Every workload X.509-SVID the cluster holds now; replaces the previous report.") })
  .superRefine((input, ctx) => {
    const seen = new Set<string>();
    input.certificates.forEach((c, i) => {
      if (seen.has(c.serial)) ctx.addIssue({ code: "custom", message: "duplicate serial in the report", path: ["certificates", i, "serial"] });
      seen.add(c.serial);
      if (Date.parse(c.notAfter) <= Date.parse(c.notBefore)) ctx.addIssue({ code: "custom", message: "must be after notBefore", path: ["certificates", i, "notAfter"] });
    });
  });

export const AckTrustBundleInputSchema = z
  .strictObject({
    bundleVersion: Decimal.describe("ClusterConfig.trust.bundleVersion the agent's proxies run."),
    proxies: z
      .strictObject({
        total: z.number().int().min(0).describe("Proxies in the cluster."),
        current: z.number().int().min(0).describe("Proxies running this bundle."),
      })
      .describe("How far the bundle has spread; it counts as acknowledged once current equals total."),
  })
  .refine((a) => a.proxies.current <= a.proxies.total, { message: "cannot exceed proxies.total", path: ["proxies", "current"] });

// ---- outputs ----

export const AuthorityStateSchema = z.enum(["ACTIVE", "STAGED", "DRAINING", "RETIRED"]).describe("ACTIVE signs intermediates; STAGED and DRAINING are trusted but do not sign; RETIRED is out of every bundle.");

export const AuthorityViewSchema = z.object({
  id: z.string().describe("Authority id."),
  state: AuthorityStateSchema,
  origin: z.enum(["generated", "imported"]).describe("Generated by the manager or imported by an operator."),
  subject: z.string().describe("Subject DN of the CA certificate."),
  serial: z.string().describe("Serial number (lowercase hex)."),
  notBefore: z.date(),
  notAfter: z.date(),
  anchorFingerprint: Fingerprint.describe("SHA-256 of the trust anchor (the root) this CA chains to: what bundles and issuingRootFingerprint name."),
  isRoot: z.boolean().describe("The CA is itself the self-signed root."),
  certificatePem: z.string().describe("The CA certificate (public)."),
  createdAt: z.date(),
  retiredAt: z.date().nullable(),
});

export const IntermediateViewSchema = z.object({
  id: z.string(),
  cluster: z.string().describe("Cluster it was issued to."),
  authorityId: z.string().describe("The mesh authority that signed it."),
  rootFingerprint: Fingerprint.describe("SHA-256 of the root it chains to."),
  subject: z.string(),
  serial: z.string(),
  fingerprint: Fingerprint.describe("SHA-256 of the certificate (what revocation lists name)."),
  notBefore: z.date(),
  notAfter: z.date(),
  createdAt: z.date(),
  revokedAt: z.date().nullable(),
  status: z.enum(["current", "superseded", "revoked", "expired"]).describe("current: the cluster's newest valid intermediate; superseded: an older, still valid one."),
});

export const AuthoritiesViewSchema = z.object({
  trustDomain: z.string(),
  caKeyConfigured: z.boolean().describe("False when the manager has no WEFT_CA_KEY: nothing can be signed."),
  bundleVersion: Decimal.describe("Mesh.trustBundleVersion."),
  authorities: z.array(AuthorityViewSchema).describe("Every mesh CA, newest first."),
  clusters: z
    .array(z.object({ cluster: z.string(), current: IntermediateViewSchema.nullable(), past: z.array(IntermediateViewSchema).describe("Older, revoked or expired intermediates, newest first.") }))
    .describe("Per cluster, its intermediates."),
});

export const CertificateItemSchema = z.object({
  kind: z.enum(["workload", "intermediate"]),
  cluster: z.string(),
  spiffeId: z.string().nullable().describe("Workload SPIFFE ID; null for intermediates."),
  subject: z.string(),
  issuer: z.string().nullable().describe("Issuer DN as reported; null for intermediates (see rootFingerprint)."),
  serial: z.string(),
  notBefore: z.date(),
  notAfter: z.date(),
  rootFingerprint: Fingerprint,
  revoked: z.boolean(),
  remainingHours: z.number().describe("Hours until notAfter (negative once expired)."),
  expiryWarning: z.boolean().describe("Less than `warning.fraction` of the lifetime left, or expired: renewal (at half-life) has not happened."),
});

export const CertificatesViewSchema = z.object({
  items: z.array(CertificateItemSchema).describe("Soonest expiry first."),
  total: z.number().int().describe("Matches before `limit`."),
  warning: z.object({ fraction: z.number().describe("expiryWarning is set below this share of the lifetime left.") }),
});

export const ClusterTrustSchema = z.object({
  bundleVersion: Decimal.describe("Mesh.trustBundleVersion; agents acknowledge it."),
  rootsPem: z.array(z.string()).describe("Roots every proxy trusts (two during a rotation), sorted by fingerprint."),
  issuingRootFingerprint: Fingerprint.describe("Root new cluster intermediates are signed under."),
  revokedFingerprints: z.array(Fingerprint).describe("Revoked cluster intermediates, sorted."),
});

export const RotationStepSchema = z.enum(["ADD_ROOT", "ISSUE_INTERMEDIATES", "MIGRATE_WORKLOADS", "REMOVE_OLD_ROOT", "COMPLETED", "REVERSED"]);

export const ClusterProgressSchema = z.object({
  cluster: z.string(),
  done: z.boolean().describe("This cluster no longer blocks the current step."),
  bundleVersion: Decimal.nullable().describe("Trust bundle version its agent last acknowledged."),
  hasNewIntermediate: z.boolean().describe("Holds a non-revoked intermediate under the new authority."),
  certificates: z.object({ total: z.number().int(), migrated: z.number().int(), percent: z.number().describe("Share of its workload certificates on the new root, 0-100 (100 with none).") }),
});

export const RotationProgressSchema = z.object({
  computedAt: z.string().nullable().describe("When the controller last computed this (ISO)."),
  clusters: z.array(ClusterProgressSchema).describe("Every active cluster (a non-revoked agent credential, seen at least once)."),
  waitingFor: z.array(z.string()).describe("Clusters the current step waits for."),
});

export const RotationViewSchema = z.object({
  id: z.string(),
  step: RotationStepSchema,
  paused: z.boolean(),
  from: z.object({ id: z.string(), anchorFingerprint: Fingerprint, subject: z.string() }).describe("The authority being replaced."),
  to: z.object({ id: z.string(), anchorFingerprint: Fingerprint, subject: z.string() }).describe("The new authority."),
  awaitBundleVersion: Decimal.nullable().describe("Bundle version the step waits for every active cluster to acknowledge."),
  progress: RotationProgressSchema,
  startedBy: z.string(),
  history: z.array(z.object({ step: RotationStepSchema, at: z.string(), by: z.string(), action: z.string() })).describe("Every step taken and operator action."),
  createdAt: z.date(),
  updatedAt: z.date(),
  completedAt: z.date().nullable(),
});

export const SignedIntermediateSchema = z.object({
  certificatePem: z.string().describe("The cluster intermediate (CA, pathLen 0)."),
  chainPem: z.array(z.string()).describe("Certificates above it, nearest first, without the self-signed root."),
  rootFingerprint: Fingerprint.describe("SHA-256 of the root it chains to."),
  notAfter: z.string().describe("End of validity (ISO 8601)."),
});

export type ImportAuthorityInput = z.infer<typeof ImportAuthorityInputSchema>;
export type AuthorityView = z.infer<typeof AuthorityViewSchema>;
export type IntermediateView = z.infer<typeof IntermediateViewSchema>;
export type AuthoritiesView = z.infer<typeof AuthoritiesViewSchema>;
export type CertificateItem = z.infer<typeof CertificateItemSchema>;
export type CertificatesView = z.infer<typeof CertificatesViewSchema>;
export type ReportedCertificate = z.infer<typeof ReportedCertificateSchema>;
export type RotationView = z.infer<typeof RotationViewSchema>;
export type RotationProgress = z.infer<typeof RotationProgressSchema>;
export type ClusterProgress = z.infer<typeof ClusterProgressSchema>;
export type RotationStep = z.infer<typeof RotationStepSchema>;
export type AuthorityState = z.infer<typeof AuthorityStateSchema>;
export type SignedIntermediate = z.infer<typeof SignedIntermediateSchema>;
