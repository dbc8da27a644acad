// What the compiler reads: the mesh's resources, the federated service catalog,
// the workload the proxy runs beside, and the ports the proxy binds. One zod
// schema serves the agent (which builds it from discovery) and the golden-file
// tests (which read it from YAML).
import { z } from "zod";
import { ResourceSchema } from "../resource/resource.schema.ts";
import { MtlsModeSchema } from "../mesh/mesh.schema.ts";
import { LimitsSchema, TelemetrySchema } from "../proxy-config/proxy-limits.schema.ts";
import { WorkloadIdentitySchema } from "../proxy-config/proxy-security.schema.ts";

const PortNumber = z.number().int().min(1).max(65535);
/** 0 lets the operating system pick (tests, local runs). */
const ListenPort = z.number().int().min(0).max(65535);
const Name = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lowercase DNS-style name");

/** Application protocol of a port, as discovery reports it (Kubernetes appProtocol / universal file). */
export const PortProtocolSchema = z
  .enum(["HTTP", "HTTP2", "GRPC", "TCP"])
  .describe("HTTP: HTTP/1.1 (routed); HTTP2: HTTP/2 with prior knowledge (routed); GRPC: gRPC over HTTP/2 (routed); TCP: opaque bytes (passthrough only, through a local port).");
export type PortProtocol = z.infer<typeof PortProtocolSchema>;

/** One resource and when it was created (HTTPRoute precedence ties go to the oldest). */
export const ResourceEntrySchema = z
  .object({
    resource: ResourceSchema.describe("A validated Weft resource of any kind."),
    createdAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("When the resource was first created (the manager's first revision). Older HTTPRoutes win precedence ties; treated as 1970-01-01T00:00:00Z when omitted, so namespace/name decides."),
  })
  .describe("A resource with its creation time.");
export type ResourceEntry = z.infer<typeof ResourceEntrySchema>;
export type ResourceEntryInput = z.input<typeof ResourceEntrySchema>;

export const CatalogEndpointSchema = z
  .object({
    address: z.string().min(1).describe("IP address or host name the caller's proxy connects to (the destination's inbound proxy, or the app itself when it has no proxy)."),
    port: PortNumber.describe("Port to connect to for the service's primary port (the first HTTP-family port, or the only port)."),
    ports: z
      .record(z.string(), PortNumber)
      .optional()
      .describe("Ports to connect to for the other service ports, keyed by service port name (or number as text when unnamed)."),
    version: z.string().min(1).optional().describe("The workload's version label; version subsets (canaries) select on it."),
    zone: z.string().min(1).optional().describe("Availability zone of the endpoint."),
    cluster: z.string().min(1).describe("Weft cluster the endpoint runs in."),
    ready: z.boolean().describe("Ready to serve (readiness probe, active health checks run by the agent). Endpoints that are not ready are kept as unhealthy, so they get no traffic."),
    weight: z.number().int().min(1).optional().describe("Relative load-balancing weight (1 when omitted; clamped to 1000)."),
    serviceAccount: z.string().min(1).optional().describe("Service account of the workload (its identity; used once upstream mTLS is verified)."),
    sidecar: z
      .boolean()
      .optional()
      .describe("Whether a Weft proxy fronts the endpoint (true when omitted). `false`: a workload outside the mesh (no proxy), which callers reach in plaintext; a service whose endpoints all lack a proxy gets no mTLS, and in a mixed service those endpoints are left out (mTLS cannot reach them)."),
    viaGateway: z
      .boolean()
      .optional()
      .describe(
        "The endpoint is another cluster's east-west gateway (address:port) standing for the instances of `version` there: every service port is reached at that one port, with mTLS and the east-west server name of the port and version. Needs options.identity.",
      ),
  })
  .describe("One instance of a service.");
export type CatalogEndpoint = z.infer<typeof CatalogEndpointSchema>;

export const CatalogServiceSchema = z
  .object({
    name: Name.describe("Service name."),
    namespace: Name.describe("Service namespace."),
    cluster: z.string().min(1).describe("Cluster this entry was discovered in; entries of the same name and namespace in several clusters are one service."),
    ports: z
      .array(
        z
          .object({
            name: z.string().min(1).optional().describe("Port name."),
            port: PortNumber.describe("Service port (what callers dial)."),
            protocol: PortProtocolSchema.default("HTTP"),
          })
          .describe("A port of the service."),
      )
      .min(1)
      .describe("Ports of the service."),
    endpoints: z.array(CatalogEndpointSchema).default([]).describe("Instances of the service in this cluster."),
    exported: z
      .boolean()
      .optional()
      .describe("false: the service runs in this (other) cluster, but that cluster does not export it (Mesh spec.multicluster.export), so it lists no endpoints; true or omitted: exported."),
  })
  .describe("A service found by discovery in one cluster.");
export type CatalogService = z.infer<typeof CatalogServiceSchema>;

export const CatalogSchema = z
  .object({
    services: z.array(CatalogServiceSchema).default([]).describe("Local and federated services together."),
  })
  .describe("The federated service catalog.");
export type Catalog = z.infer<typeof CatalogSchema>;

export const WorkloadSchema = z
  .object({
    name: z.string().min(1).describe("Workload name (pod or process), for diagnostics."),
    namespace: Name.describe("Namespace of the workload; short host names resolve in it and consumer HTTPRoutes of this namespace apply."),
    service: Name.describe("Service the workload belongs to (its metrics' source_service)."),
    version: z.string().min(1).optional().describe("Version label of the workload."),
    cluster: z.string().min(1).describe("Cluster the workload runs in (locality)."),
    zone: z.string().min(1).optional().describe("Availability zone (locality)."),
    serviceAccount: z.string().min(1).describe("Service account (identity) of the workload."),
    appPorts: z
      .array(
        z
          .object({
            port: PortNumber.describe("Port the local application listens on (the target port the inbound listener forwards to)."),
            servicePort: PortNumber.optional().describe(
              "Port of the workload's service this app port serves (what callers, routes and policies name); `port` when omitted. Differs when the service port maps onto another target port (a Kubernetes targetPort, a universal instance's servicePort).",
            ),
            protocol: PortProtocolSchema.default("HTTP"),
            inboundPort: ListenPort.optional().describe("Port of the inbound listener in front of it; options.inboundPort for the first app port, required for the others."),
          })
          .describe("A port of the local application."),
      )
      .default([])
      .describe("Ports of the local application; each gets an inbound listener. None: an outbound-only workload (a client or a job)."),
  })
  .describe("The workload whose proxy is being configured.");
export type Workload = z.infer<typeof WorkloadSchema>;

export const CompileOptionsSchema = z
  .object({
    outboundPort: ListenPort.describe("Port of the outbound listener (the app's HTTP_PROXY)."),
    outboundAddress: z.string().min(1).default("127.0.0.1").describe("Address of the outbound listener. Default loopback."),
    inboundPort: ListenPort.describe("Port of the inbound listener in front of the first app port."),
    inboundAddress: z.string().min(1).default("0.0.0.0").describe("Address the inbound listeners bind (reachable by other proxies). Default 0.0.0.0."),
    appAddress: z.string().min(1).default("127.0.0.1").describe("Address of the local application. Default loopback."),
    adminPort: ListenPort.describe("Port of the admin listener (always loopback)."),
    localPorts: z
      .array(
        z
          .object({
            service: Name.describe("Destination service."),
            namespace: Name.optional().describe("Its namespace; the workload's when omitted."),
            port: PortNumber.describe("The service port."),
            localPort: ListenPort.describe("Loopback port the app dials instead."),
          })
          .describe("A per-upstream local port."),
      )
      .default([])
      .describe("Per-upstream loopback ports: an HTTP port gets an outbound listener bound to its virtual host, a TCP port a passthrough listener."),
    certificates: z
      .record(z.string(), z.object({ caPem: z.string().min(1).optional().describe("CA bundle (PEM).") }).describe("A resolved certificate secret."))
      .default({})
      .describe("Certificate secrets resolved by the agent, keyed by `<namespace>/<name>` (ExternalService caCertificateRef)."),
    limits: LimitsSchema.optional().describe("Parsing and buffering limits; the proxy defaults when omitted."),
    telemetry: TelemetrySchema.optional().describe("Access log and tracing; the proxy defaults when omitted."),
    identity: WorkloadIdentitySchema.optional().describe(
      "The workload's identity as the proxy loads it (file sources keep the config unchanged across certificate rotations) and the revoked intermediates. Without it the proxy speaks plaintext only: no inbound mTLS, no mTLS origination.",
    ),
    mtlsMode: MtlsModeSchema.optional().describe("The mesh-wide mTLS mode the manager sends (ClusterConfig.mesh.mtlsMode); a Mesh resource and PeerAuthentication overrides take precedence; STRICT when nothing says."),
  })
  .describe("What the agent decides per proxy: ports and local settings.");
export type CompileOptions = z.infer<typeof CompileOptionsSchema>;

/** Everything one compilation reads. */
export const CompileInputSchema = z
  .object({
    resources: z.array(ResourceEntrySchema).default([]).describe("Resources of every kind; the Mesh resource (at most one) supplies mesh-wide defaults."),
    catalog: CatalogSchema.prefault({}),
    workload: WorkloadSchema,
    options: CompileOptionsSchema,
  })
  .describe("Input of compileProxyConfig.");
export type CompileInput = z.infer<typeof CompileInputSchema>;
export type CompileInputRaw = z.input<typeof CompileInputSchema>;
