// What discovery reports: services, workloads and endpoints of one cluster.
// Provider-neutral: the Kubernetes and universal providers both map into it.
import { z } from "zod";

const NameSchema = z.string().min(1).max(253).describe("Name as the platform spells it.");
const LabelsSchema = z.record(z.string(), z.string()).default({}).describe("Labels of the object.");

export const ProtocolSchema = z
  .enum(["http", "http2", "grpc", "tcp"])
  .describe("Application protocol of a port: HTTP/1.1, HTTP/2 (h2c), gRPC, or opaque TCP.");
export type Protocol = z.infer<typeof ProtocolSchema>;

export const ServicePortSchema = z
  .object({
    name: z.string().min(1).optional().describe("Port name, if the platform names ports."),
    port: z.number().int().min(1).max(65535).describe("Port clients connect to."),
    protocol: ProtocolSchema,
  })
  .describe("One port of a service.");
export type ServicePort = z.infer<typeof ServicePortSchema>;

export const CatalogServiceSchema = z
  .object({
    name: NameSchema,
    namespace: NameSchema.describe("Namespace of the service."),
    ports: z.array(ServicePortSchema).default([]).describe("Ports, sorted by port then name."),
    labels: LabelsSchema,
  })
  .describe("A service: a stable name in front of a set of endpoints.");
export type CatalogService = z.infer<typeof CatalogServiceSchema>;

export const CatalogWorkloadSchema = z
  .object({
    name: NameSchema.describe("Pod name (Kubernetes) or instance name (universal)."),
    namespace: NameSchema.describe("Namespace of the workload."),
    serviceAccount: NameSchema.describe("Service account: the workload's SPIFFE identity is spiffe://<td>/ns/<namespace>/sa/<serviceAccount>."),
    version: z.string().min(1).optional().describe("The `version` label, if set."),
    zone: z.string().min(1).optional().describe("Availability zone, if known."),
    labels: LabelsSchema,
  })
  .describe("A running instance of an application.");
export type CatalogWorkload = z.infer<typeof CatalogWorkloadSchema>;

export const CatalogEndpointSchema = z
  .object({
    service: NameSchema.describe("Service this endpoint belongs to."),
    namespace: NameSchema.describe("Namespace of that service."),
    address: z.string().min(1).describe("IP address or hostname."),
    port: z.number().int().min(1).max(65535).describe("Target port."),
    protocol: ProtocolSchema,
    ready: z.boolean().describe("Whether the endpoint should receive traffic."),
    workload: NameSchema.optional().describe("Workload behind the endpoint, when known."),
    version: z.string().min(1).optional().describe("Version of that workload."),
    zone: z.string().min(1).optional().describe("Availability zone of the endpoint."),
  })
  .describe("One address:port of a service.");
export type CatalogEndpoint = z.infer<typeof CatalogEndpointSchema>;

/** Everything discovery currently sees, in a canonical order (see `normalizeSnapshot`). */
export interface CatalogSnapshot {
  services: CatalogService[];
  workloads: CatalogWorkload[];
  endpoints: CatalogEndpoint[];
}

export const EMPTY_SNAPSHOT: CatalogSnapshot = Object.freeze({ services: [], workloads: [], endpoints: [] }) as CatalogSnapshot;

/** Identity of each kind of object: what "the same object, changed" means. */
export const catalogKey = {
  service: (s: Pick<CatalogService, "namespace" | "name">) => `${s.namespace}/${s.name}`,
  workload: (w: Pick<CatalogWorkload, "namespace" | "name">) => `${w.namespace}/${w.name}`,
  endpoint: (e: Pick<CatalogEndpoint, "namespace" | "service" | "address" | "port">) => `${e.namespace}/${e.service}/${e.address}:${e.port}`,
};
