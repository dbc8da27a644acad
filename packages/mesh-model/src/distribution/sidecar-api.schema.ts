// The sidecar API: how a Kubernetes sidecar pulls its ProxyConfig from its
// cluster's agent (long poll), reports what it did with it, and gets its
// X.509-SVID from a CSR. One set of wire shapes for both ends (the agent
// serves them, weft-proxy's pull client sends and checks them).
import { z } from "zod";
import { LatencySketchDataSchema } from "../telemetry/telemetry.schema.ts";
import { SerialHexSchema, Sha256FingerprintSchema } from "./wire-fields.ts";

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
    bundle: Sha256FingerprintSchema.optional().describe("SHA-256 fingerprint of the trust bundle the sidecar runs now (absent while it runs none)."),
    svidSerial: SerialHexSchema.optional().describe("Serial of the SVID the sidecar runs now (absent while it runs none)."),
  })
  .describe("Which sidecar asks for its config.");
export type SidecarConfigQuery = z.infer<typeof SidecarConfigQuerySchema>;

/** What the sidecar needs to get (and renew) its SVID. */
export const SidecarIdentitySchema = z
  .object({
    trustDomain: z.string().min(1).describe("The mesh's SPIFFE trust domain."),
    spiffeId: z.string().startsWith("spiffe://").describe("The SPIFFE ID the agent will sign for this pod (from its service account)."),
    issuerFingerprint: Sha256FingerprintSchema.nullable()
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
    identity: z
      .strictObject({
        trustBundleFingerprint: Sha256FingerprintSchema.describe("SHA-256 fingerprint of the trust bundle the sidecar runs after this ack."),
        serial: SerialHexSchema.optional().describe("Serial of the SVID it runs."),
      })
      .nullable()
      .optional()
      .describe("The identity material the sidecar runs (null: none); the agent acknowledges a trust bundle to the manager once every sidecar runs it."),
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

/** The largest push body the agent takes (a sidecar keeps its batches under half of it). */
export const MAX_PUSH_BYTES = 2 * 1024 * 1024;
/** The most edges one telemetry push may carry (the sidecar sends more in further batches). */
export const MAX_PUSHED_EDGES = 500;
/** The most spans one span push may carry. */
export const MAX_PUSHED_SPANS = 500;

/**
 * Identifies one push so a retry is recognised: `instance` is fixed for the
 * life of a sidecar process, `seq` grows by one per new batch. A batch is
 * resent unchanged (same id) until the agent answers; the agent applies each
 * id at most once per pod.
 */
export const SidecarBatchIdSchema = z
  .strictObject({
    instance: z.string().regex(/^[0-9a-f]{8,64}$/, "must be 8 to 64 lowercase hex digits").describe("Random id of the sidecar process that made the batch."),
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe("Number of the batch within that process, from 1."),
  })
  .describe("Which batch this is, for retries.");
export type SidecarBatchId = z.infer<typeof SidecarBatchIdSchema>;

/** One edge of the proxy's telemetry (GET /telemetry's EdgeReport: labels, count, latency sketch in seconds). */
export const SidecarEdgeSchema = z
  .strictObject({
    labels: z
      .record(z.string().min(1).max(64), z.string().max(253))
      .refine((l) => Object.keys(l).length <= 32, { message: "at most 32 labels" })
      .describe("The proxy's edge labels (source_service, destination_service, response_code, mtls, …); the source workload is taken from the token, not from here."),
    count: z.number().int().min(0).max(1e12).describe("Requests of this edge since the previous batch."),
    sketch: LatencySketchDataSchema.describe("Their latencies, in seconds (the proxy's sketch)."),
  })
  .describe("Requests of one edge since the previous batch.");

/** `POST /v1/telemetry` body: a sidecar's per-edge deltas. */
export const SidecarTelemetryPushSchema = z
  .strictObject({
    namespace: DnsSubdomain.describe("As in the config query."),
    pod: DnsSubdomain.describe("As in the config query."),
    batch: SidecarBatchIdSchema,
    collectedAt: z.iso.datetime({ offset: true }).describe("When the sidecar took these deltas (the agent buckets them in that minute, clamped to its own clock)."),
    edges: z.array(SidecarEdgeSchema).max(MAX_PUSHED_EDGES).describe("Edge deltas."),
  })
  .describe("A sidecar's telemetry push.");
export type SidecarTelemetryPush = z.infer<typeof SidecarTelemetryPushSchema>;

const HexId = (digits: number) => z.string().regex(new RegExp(`^[0-9a-f]{${digits}}$`), `must be ${digits} lowercase hex digits`);

/** One finished span as the proxy's GET /spans returns it. */
export const SidecarSpanSchema = z
  .object({
    seq: z.number().int().min(0).describe("The proxy's sequence number of the span."),
    traceId: HexId(32).describe("W3C trace id."),
    spanId: HexId(16).describe("The span's id."),
    parentSpanId: HexId(16).nullable().describe("The caller's span id."),
    name: z.string().min(1).max(256).describe("Span name."),
    kind: z.enum(["client", "server"]).describe("client: outbound hop; server: inbound hop."),
    startTimeUnixNano: z.string().regex(/^\d{1,25}$/, "must be a decimal integer").describe("Start, nanoseconds since the epoch."),
    durationMs: z.number().min(0).max(86_400_000).describe("Duration in milliseconds."),
    error: z.boolean().describe("Whether the hop failed."),
    attributes: z
      .record(z.string().min(1).max(128), z.union([z.string().max(1024), z.number()]))
      .refine((a) => Object.keys(a).length <= 64, { message: "at most 64 attributes" })
      .describe("The proxy's span attributes (the agent keeps a fixed subset)."),
  })
  .describe("A finished span of the sidecar.");

/** `POST /v1/spans` body: a sidecar's finished spans. */
export const SidecarSpansPushSchema = z
  .strictObject({
    namespace: DnsSubdomain.describe("As in the config query."),
    pod: DnsSubdomain.describe("As in the config query."),
    batch: SidecarBatchIdSchema,
    dropped: z.number().int().min(0).max(1e12).describe("Spans the sidecar's ring overwrote before they were pushed, since the previous batch."),
    spans: z.array(SidecarSpanSchema).max(MAX_PUSHED_SPANS).describe("Spans finished since the previous batch, oldest first."),
  })
  .describe("A sidecar's span push.");
export type SidecarSpansPush = z.infer<typeof SidecarSpansPushSchema>;

/** `POST /v1/telemetry` and `POST /v1/spans` 200 answer. */
export const SidecarPushResultSchema = z
  .object({
    accepted: z.number().int().min(0).describe("Edges or spans taken (0 for a duplicate)."),
    duplicate: z.boolean().describe("True when the agent had already applied this batch: the sidecar moves on."),
  })
  .describe("What the agent did with a push.");
export type SidecarPushResult = z.infer<typeof SidecarPushResultSchema>;
