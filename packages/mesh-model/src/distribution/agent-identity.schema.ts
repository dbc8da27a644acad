// The agent↔manager identity contract: a cluster's agent sends a CSR for its
// intermediate (agent.signIntermediate), reports the workload certificates
// it issued (agent.reportCertificates) and acknowledges a trust bundle once
// every local proxy runs it (agent.ackTrustBundle). The cluster always comes
// from the agent's credential, never from these inputs. One set of shapes:
// the manager validates inputs and its answer with them, the agent its
// answer and what it sends.
import { z } from "zod";
import { DecimalVersionSchema, pemSchema, SerialHexSchema, Sha256FingerprintSchema } from "./wire-fields.ts";

/** agent.signIntermediate input. */
export const SignIntermediateInputSchema = z.strictObject({
  csrPem: pemSchema(16_384).describe("PKCS#10 CSR (PEM) with subject O=Weft, OU=weft-cluster, CN=<this cluster>."),
});
export type SignIntermediateInput = z.infer<typeof SignIntermediateInputSchema>;

/** agent.signIntermediate answer; the agent checks it before storing anything. */
export const SignedIntermediateSchema = z.object({
  certificatePem: pemSchema(65_536).describe("The cluster intermediate (CA, pathLen 0)."),
  chainPem: z.array(pemSchema(65_536)).max(8).describe("Certificates above it, nearest first, without the self-signed root."),
  rootFingerprint: Sha256FingerprintSchema.describe("SHA-256 of the root it chains to."),
  notAfter: z.string().describe("End of validity (ISO 8601)."),
});
export type SignedIntermediate = z.infer<typeof SignedIntermediateSchema>;

/** One workload X.509-SVID the cluster holds (public data only). */
export const ReportedCertificateSchema = z.strictObject({
  spiffeId: z.string().min(1).max(2048).regex(/^spiffe:\/\//, "must be a spiffe:// ID").describe("The workload's SPIFFE ID."),
  subject: z.string().max(2048).describe("Subject DN."),
  issuer: z.string().max(2048).describe("Issuer DN."),
  serial: SerialHexSchema.describe("Serial number (lowercase hex)."),
  notBefore: z.iso.datetime({ offset: true }).describe("Start of validity (ISO 8601)."),
  notAfter: z.iso.datetime({ offset: true }).describe("End of validity (ISO 8601)."),
  rootFingerprint: Sha256FingerprintSchema.describe("SHA-256 of the root the certificate chains to."),
});
export type ReportedCertificate = z.infer<typeof ReportedCertificateSchema>;

/** agent.reportCertificates input: the whole inventory, replacing the previous report. */
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
export type ReportCertificatesInput = z.infer<typeof ReportCertificatesInputSchema>;

/** agent.ackTrustBundle input. */
export const AckTrustBundleInputSchema = z
  .strictObject({
    bundleVersion: DecimalVersionSchema.describe("ClusterConfig.trust.bundleVersion the agent's proxies run."),
    proxies: z
      .strictObject({
        total: z.number().int().min(0).describe("Proxies in the cluster."),
        current: z.number().int().min(0).describe("Proxies running this bundle."),
      })
      .describe("How far the bundle has spread; it counts as acknowledged once current equals total."),
  })
  .refine((a) => a.proxies.current <= a.proxies.total, { message: "cannot exceed proxies.total", path: ["proxies", "current"] });
export type AckTrustBundleInput = z.infer<typeof AckTrustBundleInputSchema>;
