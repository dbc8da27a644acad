// The sidecar API: how a Kubernetes sidecar pulls its ProxyConfig from its
// cluster's agent (long poll), reports what it did with it, and gets its
// X.509-SVID from a CSR. One set of wire shapes for both ends (the agent
// serves them, weft-proxy's pull client sends and checks them).
import { z } from "zod";

const DnsSubdomain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a Kubernetes object name (lowercase DNS subdomain)");

/** The files a sidecar keeps its SVID in, inside the `identityDir` it names. */
export const SIDECAR_SVID_FILES = { certChain: "cert.pem", key: "key.pem" } as const;

/** `GET /v1/proxy-config` query. The config version the sidecar holds goes in `If-None-Match`. */
export const SidecarConfigQuerySchema = z
  .object({
    namespace: DnsSubdomain.describe("The sidecar's pod namespace; must be the namespace of its service-account token."),
    pod: DnsSubdomain.describe("The sidecar's pod name; must be the pod its service-account token is bound to."),
    identityDir: z
      .string()
      .min(2)
      .max(1024)
      .startsWith("/", "must be an absolute path")
      .optional()
      .describe("Folder where the sidecar keeps its SVID (cert.pem, key.pem); the config names those files once `svid` is `ready`."),
    svid: z.enum(["none", "ready"]).default("none").describe("`ready` when the sidecar holds a valid SVID in identityDir: only then does its config turn on mTLS."),
    waitSeconds: z.coerce.number().int().min(0).max(300).optional().describe("How long the agent may hold the request when nothing changed (its own maximum applies)."),
  })
  .describe("Which sidecar asks for its config.");
export type SidecarConfigQuery = z.infer<typeof SidecarConfigQuerySchema>;

/** What the sidecar needs to get (and renew) its SVID. */
export const SidecarIdentitySchema = z
  .object({
    trustDomain: z.string().min(1).describe("The mesh's SPIFFE trust domain."),
    spiffeId: z.string().startsWith("spiffe://").describe("The SPIFFE ID the agent will sign for this pod (from its service account)."),
    issuerFingerprint: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "must be a SHA-256 fingerprint: 64 lowercase hex digits")
      .nullable()
      .describe("SHA-256 of the cluster intermediate that signs now: an SVID from another issuer is renewed at once. Null while the agent has none."),
  })
  .describe("The sidecar's identity as the agent will issue it.");
export type SidecarIdentity = z.infer<typeof SidecarIdentitySchema>;

/** `GET /v1/proxy-config` 200 answer (304 when the version in If-None-Match is still current). */
export const SidecarConfigResponseSchema = z
  .object({
    version: z.string().min(1).describe("The compiled config's version (also the ETag)."),
    clusterConfigVersion: z.string().nullable().describe("The manager's ClusterConfig version it was compiled from; null before the agent has one."),
    config: z.unknown().describe("The ProxyConfig; validated by the proxy before it is applied."),
    identity: SidecarIdentitySchema.nullable().describe("Null while the mesh has no CA: the sidecar runs without an SVID."),
  })
  .describe("A sidecar's compiled config.");
export type SidecarConfigResponse = z.infer<typeof SidecarConfigResponseSchema>;

/** `POST /v1/proxy-config/ack` body: what the sidecar did with a version. */
export const SidecarAckSchema = z
  .object({
    namespace: DnsSubdomain.describe("As in the config query."),
    pod: DnsSubdomain.describe("As in the config query."),
    version: z.string().min(1).max(200).describe("The compiled version applied or refused."),
    status: z.enum(["applied", "rejected"]).describe("Whether the proxy runs it."),
    reason: z.string().max(4000).optional().describe("Why it was refused."),
  })
  .describe("A sidecar's acknowledgement of a config version.");
export type SidecarAck = z.infer<typeof SidecarAckSchema>;

/** `POST /v1/svid` body. */
export const SvidRequestSchema = z
  .object({
    namespace: DnsSubdomain.describe("As in the config query."),
    pod: DnsSubdomain.describe("As in the config query."),
    csrPem: z
      .string()
      .max(16 * 1024)
      .regex(/-----BEGIN CERTIFICATE REQUEST-----/, "must be a PEM certificate request")
      .describe("PKCS#10 CSR naming exactly the pod's SPIFFE ID; its key stays in the pod."),
  })
  .describe("A sidecar's request for its X.509-SVID.");
export type SvidRequest = z.infer<typeof SvidRequestSchema>;

/** `POST /v1/svid` 200 answer. */
export const SvidResponseSchema = z
  .object({
    spiffeId: z.string().startsWith("spiffe://").describe("The SPIFFE ID issued."),
    certChainPem: z
      .string()
      .max(64 * 1024)
      .regex(/-----BEGIN CERTIFICATE-----/, "must hold PEM certificates")
      .describe("The leaf, then its intermediates (PEM)."),
    notAfter: z.iso.datetime({ offset: true }).describe("When the leaf expires; the sidecar renews at about half its lifetime."),
  })
  .describe("An issued X.509-SVID (without key).");
export type SvidResponse = z.infer<typeof SvidResponseSchema>;

/** The error body of every non-2xx answer. */
export const SidecarApiErrorSchema = z.object({ error: z.string().describe("What went wrong, naming the field.") }).describe("A sidecar API error.");
