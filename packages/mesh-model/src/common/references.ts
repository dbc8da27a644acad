import { z } from "zod";
import { DnsLabelSchema, PortNumberSchema } from "./names.ts";

/** A reference to a service in the mesh (discovered in any cluster). */
export const ServiceRefSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the service."),
    namespace: DnsLabelSchema.optional().describe("Namespace of the service; the referring resource's namespace when omitted."),
    port: PortNumberSchema.optional().describe("Service port; all ports of the service when omitted."),
  })
  .describe("A service in the mesh.");
export type ServiceRef = z.infer<typeof ServiceRefSchema>;

/** Kinds a backend reference may point at. */
export const BackendKindSchema = z
  .enum(["Service", "ExternalService"])
  .describe("What the reference names: a mesh Service (discovered) or an ExternalService resource.");

/** A reference to a certificate (and key) held in the manager's secret store. */
export const CertificateRefSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the secret holding the PEM certificate chain and private key."),
    namespace: DnsLabelSchema.optional().describe("Namespace of the secret; the referring resource's namespace when omitted."),
  })
  .describe("A certificate and its key, stored as a secret.");
export type CertificateRef = z.infer<typeof CertificateRefSchema>;
