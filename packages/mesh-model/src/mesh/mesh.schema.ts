import { z } from "zod";
import { DurationSchema } from "../common/duration.ts";
import { TrustDomainSchema } from "../common/identity.ts";
import { reportDuplicates, reportIssue } from "../common/issues.ts";
import { ClusterMetadataSchema, defineResource } from "../common/metadata.ts";
import { RetrySchema } from "../common/retry.schema.ts";
import { LoadBalancingAlgorithmSchema } from "../traffic-policy/traffic-policy.schema.ts";

/** How the inbound listeners of proxies treat plaintext traffic. */
export const MtlsModeSchema = z
  .enum(["STRICT", "PERMISSIVE"])
  .describe("STRICT: inbound proxies accept only mutual TLS from mesh identities; PERMISSIVE: they also accept plaintext (for migrating workloads into the mesh).");
export type MtlsMode = z.infer<typeof MtlsModeSchema>;

export const MeshDefaultsSchema = z
  .strictObject({
    connectTimeout: DurationSchema.default("5s").describe("Default timeout for opening a connection to a backend. Default 5s."),
    requestTimeout: DurationSchema.optional().describe("Default timeout of a whole request, retries included; no timeout when omitted."),
    idleTimeout: DurationSchema.default("1h").describe("Default time after which an idle connection is closed. Default 1h."),
    loadBalancing: LoadBalancingAlgorithmSchema.default("EWMA").describe("Default load-balancing algorithm. Default EWMA."),
    retry: RetrySchema.optional().describe("Default retry settings for routes and policies that set none."),
  })
  .describe("Mesh-wide defaults; TrafficPolicies and route rules override them.");

const DnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label (lowercase letters, digits and '-')");

export const ServiceExportSchema = z
  .strictObject({
    namespace: DnsLabel.describe("Namespace of the exported services."),
    name: z.string().min(1).max(253).optional().describe("Service name; every service of the namespace when omitted."),
  })
  .describe("Services other clusters may reach: one service, or a whole namespace.");
export type ServiceExport = z.infer<typeof ServiceExportSchema>;

export const MultiClusterSchema = z
  .strictObject({
    export: z
      .strictObject({
        mode: z
          .enum(["All", "Selected"])
          .default("All")
          .describe("All: every service with a proxy is reachable from the other clusters (the behaviour before issue 12, and the default). Selected: only the services listed in `services` are; the others answer other clusters' callers 503 UH."),
        services: z.array(ServiceExportSchema).max(1000, { message: "must have at most 1000 entries" }).default([]).describe("What Selected exports."),
      })
      .superRefine((e, ctx) => {
        if (e.mode === "All" && e.services.length > 0) reportIssue(ctx, ["services"], "has no effect with mode All (everything is exported); use mode Selected", "unused_setting");
        reportDuplicates(ctx, e.services, (s) => `${s.namespace}/${s.name ?? "*"}`, (i) => ["services", i], "export");
      })
      .default({ mode: "All", services: [] })
      .describe("Which services other clusters may reach through this mesh's east-west gateways."),
  })
  .describe("Multi-cluster settings: service export.");
export type MultiCluster = z.infer<typeof MultiClusterSchema>;

/** Whether `namespace/name` may be reached from other clusters under the mesh's export settings (All when there is no Mesh). */
export function isExported(multicluster: MultiCluster | undefined, namespace: string, name: string): boolean {
  const e = multicluster?.export;
  if (!e || e.mode === "All") return true;
  return e.services.some((s) => s.namespace === namespace && (s.name === undefined || s.name === name));
}

export const MeshSpecSchema = z
  .strictObject({
    trustDomain: TrustDomainSchema.describe("SPIFFE trust domain of every workload identity: spiffe://<trustDomain>/ns/<namespace>/sa/<account>."),
    mtls: z
      .strictObject({
        mode: MtlsModeSchema.default("STRICT"),
      })
      .default({ mode: "STRICT" })
      .describe("Mutual TLS between proxies."),
    defaults: MeshDefaultsSchema.optional(),
    tracing: z
      .strictObject({
        sampleRate: z
          .number()
          .min(0)
          .max(1)
          .describe("Share of requests arriving without a trace context for which the first proxy starts a sampled trace (0–1; 0.01 samples 1 %). Requests that carry a sampled traceparent are always traced."),
      })
      .optional()
      .describe("Tracing across the mesh; proxies sample nothing on their own when omitted (only requests that arrive with a sampled trace context are traced)."),
    multicluster: MultiClusterSchema.optional(),
  })
  .describe("Mesh-wide settings: identity, tracing and defaults.");

/** The mesh itself: trust domain, mTLS mode and defaults. Mesh-wide (no namespace). */
export const MeshSchema = defineResource({
  kind: "Mesh",
  metadata: ClusterMetadataSchema,
  spec: MeshSpecSchema,
  description: "The mesh: its trust domain, mutual TLS mode and defaults. One per manager.",
});
export type Mesh = z.infer<typeof MeshSchema>;
export type MeshInput = z.input<typeof MeshSchema>;
