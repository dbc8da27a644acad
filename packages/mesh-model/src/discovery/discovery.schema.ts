// What an agent reports about its cluster: services, workloads and endpoints,
// as a full snapshot (`resyncDiscovery`) or as deltas on top of the last
// report (`reportDiscovery`). Shared by the agent (to build reports) and the
// manager (to validate them). The cluster is never part of a report: the
// manager takes it from the agent's credentials.
import { z } from "zod";

const NameSchema = z.string().min(1).max(253).describe("Name as the platform spells it.");
const NamespaceSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label (lowercase letters, digits and '-')")
  .describe("Namespace.");
const LabelsSchema = z.record(z.string().max(317), z.string().max(1024)).default({}).describe("Labels of the object.");

export const DiscoveryProtocolSchema = z
  .enum(["http", "http2", "grpc", "tcp"])
  .describe("Application protocol of a port: HTTP/1.1, HTTP/2 (h2c), gRPC, or opaque TCP.");
export type DiscoveryProtocol = z.infer<typeof DiscoveryProtocolSchema>;

const PortNumberSchema = z.number().int().min(1).max(65535);

export const DiscoveredPortSchema = z
  .strictObject({
    name: z.string().min(1).max(63).optional().describe("Port name, if the platform names ports."),
    port: PortNumberSchema.describe("Port clients connect to."),
    protocol: DiscoveryProtocolSchema,
  })
  .describe("One port of a service.");
export type DiscoveredPort = z.infer<typeof DiscoveredPortSchema>;

export const ReportedServiceSchema = z
  .strictObject({
    namespace: NamespaceSchema.describe("Namespace of the service."),
    name: NameSchema.describe("Service name."),
    ports: z.array(DiscoveredPortSchema).max(256).default([]).describe("Ports the service exposes."),
    labels: LabelsSchema,
  })
  .describe("A service: a stable name in front of a set of endpoints.");
export type ReportedService = z.infer<typeof ReportedServiceSchema>;

export const ReportedWorkloadSchema = z
  .strictObject({
    namespace: NamespaceSchema.describe("Namespace of the workload."),
    name: NameSchema.describe("Pod name (Kubernetes) or instance name (universal)."),
    serviceAccount: NameSchema.describe("Service account: the workload's SPIFFE identity is spiffe://<trust-domain>/ns/<namespace>/sa/<serviceAccount>."),
    version: z.string().min(1).max(63).optional().describe("The `version` label, if set: the subset canaries and routes pick."),
    zone: z.string().min(1).max(128).optional().describe("Availability zone, if known."),
    labels: LabelsSchema,
  })
  .describe("A running instance of an application.");
export type ReportedWorkload = z.infer<typeof ReportedWorkloadSchema>;

export const ReportedEndpointSchema = z
  .strictObject({
    namespace: NamespaceSchema.describe("Namespace of the service the endpoint belongs to."),
    service: NameSchema.describe("Service the endpoint belongs to (reported in this report or an earlier one)."),
    address: z.string().min(1).max(253).describe("IP address or hostname."),
    port: PortNumberSchema.describe("Target port."),
    protocol: DiscoveryProtocolSchema,
    ready: z.boolean().describe("Whether the endpoint should receive traffic."),
    workload: NameSchema.optional().describe("Workload (same namespace) behind the endpoint, when known."),
    version: z.string().min(1).max(63).optional().describe("Version of the backend; the workload's version when omitted."),
    zone: z.string().min(1).max(128).optional().describe("Availability zone of the endpoint; the workload's zone when omitted."),
    sidecar: z
      .boolean()
      .optional()
      .describe("Whether a Weft proxy fronts the endpoint (true when omitted, as agents before issue 12 reported only meshed workloads' proxies). `false`: outside the mesh; other clusters cannot reach it through the east-west gateway, which only passes mTLS through to a proxy."),
  })
  .describe("One address:port of a service.");
export type ReportedEndpoint = z.infer<typeof ReportedEndpointSchema>;

export const EastWestGatewaySchema = z
  .strictObject({
    address: z.string().min(1).max(253).describe("Address other clusters reach this cluster's east-west gateway at."),
    port: PortNumberSchema.describe("mTLS port of the east-west gateway."),
  })
  .describe("The east-west gateway through which other clusters reach this cluster's services.");
export type EastWestGateway = z.infer<typeof EastWestGatewaySchema>;

/** Identity of a service in a report: what "the same service, changed" means. */
export const ReportedServiceRefSchema = z.strictObject({ namespace: NamespaceSchema, name: NameSchema }).describe("A service by namespace and name.");
export const ReportedWorkloadRefSchema = z.strictObject({ namespace: NamespaceSchema, name: NameSchema }).describe("A workload by namespace and name.");
export const ReportedEndpointRefSchema = z
  .strictObject({ namespace: NamespaceSchema, service: NameSchema, address: z.string().min(1).max(253), port: PortNumberSchema })
  .describe("An endpoint by its service, address and port.");

const MAX_ITEMS = 100_000;
const SeqSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const DiscoverySnapshotSchema = z
  .strictObject({
    seq: SeqSchema.describe("Report number; deltas that follow name it as their baseSeq."),
    services: z.array(ReportedServiceSchema).max(MAX_ITEMS).describe("Every service of the cluster in mesh-enabled namespaces."),
    workloads: z.array(ReportedWorkloadSchema).max(MAX_ITEMS).describe("Every workload."),
    endpoints: z.array(ReportedEndpointSchema).max(MAX_ITEMS).describe("Every endpoint; each names a service of this snapshot."),
    gateway: EastWestGatewaySchema.nullable().default(null).describe("The cluster's east-west gateway; null when it has none."),
  })
  .describe("Everything discovery sees in the cluster. The manager removes whatever the cluster had that is absent.");
export type DiscoverySnapshot = z.input<typeof DiscoverySnapshotSchema>;
export type ParsedDiscoverySnapshot = z.output<typeof DiscoverySnapshotSchema>;

function kindDelta<T extends z.ZodType, R extends z.ZodType>(item: T, ref: R, what: string) {
  return z
    .strictObject({
      added: z.array(item).max(MAX_ITEMS).default([]).describe(`New ${what}.`),
      updated: z.array(item).max(MAX_ITEMS).default([]).describe(`Changed ${what} (full new content).`),
      removed: z.array(ref).max(MAX_ITEMS).default([]).describe(`${what[0]?.toUpperCase()}${what.slice(1)} gone, by identity.`),
    })
    .default({ added: [], updated: [], removed: [] })
    .describe(`Changes to ${what}.`);
}

export const DiscoveryDeltaSchema = z
  .strictObject({
    seq: SeqSchema.describe("Report number of this delta."),
    baseSeq: SeqSchema.describe("The report this delta applies on top of; the manager refuses the delta (resync required) when it did not apply that one last."),
    services: kindDelta(ReportedServiceSchema, ReportedServiceRefSchema, "services"),
    workloads: kindDelta(ReportedWorkloadSchema, ReportedWorkloadRefSchema, "workloads"),
    endpoints: kindDelta(ReportedEndpointSchema, ReportedEndpointRefSchema, "endpoints"),
    gateway: EastWestGatewaySchema.nullable().optional().describe("New east-west gateway (null: none any more); omitted: unchanged."),
  })
  .refine((d) => d.seq > d.baseSeq, { message: "must be greater than baseSeq", path: ["seq"] })
  .describe("Changes since the report numbered baseSeq. Removing a service or workload removes its endpoints.");
export type DiscoveryDelta = z.input<typeof DiscoveryDeltaSchema>;
export type ParsedDiscoveryDelta = z.output<typeof DiscoveryDeltaSchema>;

/** Identity keys, shared by the agent and the manager. */
export const discoveryKey = {
  service: (s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`,
  workload: (w: { namespace: string; name: string }) => `${w.namespace}/${w.name}`,
  endpoint: (e: { namespace: string; service: string; address: string; port: number }) => `${e.namespace}/${e.service}/${e.address}:${e.port}`,
};
