// What every proxy of a cluster must trust (ClusterConfig.trust, and the
// manager's identity.trustBundle answer).
import { z } from "zod";
import { DecimalVersionSchema, Sha256FingerprintSchema } from "./wire-fields.ts";

/**
 * What every proxy of a cluster must trust, and under which root new cluster
 * intermediates are issued. The same for every cluster of the mesh.
 */
export const ClusterTrustSchema = z.object({
  bundleVersion: DecimalVersionSchema.describe("Mesh.trustBundleVersion: agents acknowledge it once every local proxy runs this bundle."),
  rootsPem: z.array(z.string()).describe("Root certificates (PEM) peers must chain to; two during a staged root rotation. Sorted by fingerprint."),
  issuingRootFingerprint: Sha256FingerprintSchema.describe("The root the manager signs cluster intermediates under now; an agent whose intermediate chains elsewhere asks for a new one."),
  revokedFingerprints: z.array(Sha256FingerprintSchema).describe("Revoked cluster intermediates: peers whose chain holds one are refused. Sorted."),
});
export type ClusterTrust = z.infer<typeof ClusterTrustSchema>;
