// The universal-mode file: services and their instances, for VMs and for
// this machine's demo.
import { z } from "zod";
import { ProtocolSchema } from "../discovery/catalog.schema.ts";

const DnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label: lower-case letters, digits and '-', at most 63 characters");
const Port = (what: string) => z.number({ error: "must be a port number" }).int("must be a whole number").min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535").describe(what);

export const LocalProxySchema = z
  .object({
    inboundPort: Port("Port the proxy's inbound listener binds; other proxies reach this instance through it."),
    outboundPort: Port("Loopback port the instance calls other services through."),
    adminPort: Port("Loopback port of the proxy's admin listener (/ready, /metrics)."),
    inboundAddress: z.string().min(1).default("127.0.0.1").describe("Address the inbound listener binds."),
    localPorts: z
      .array(
        z
          .object({
            service: DnsLabel.describe("Destination service."),
            namespace: DnsLabel.optional().describe("Its namespace; the instance's when omitted."),
            port: Port("The service port."),
            localPort: Port("Loopback port the application dials instead (TCP services need one)."),
          })
          .strict()
          .describe("A per-upstream loopback port."),
      )
      .default([])
      .describe("Per-upstream loopback ports: an HTTP service gets an outbound listener bound to it, a TCP service a passthrough listener."),
  })
  .strict()
  .describe("Present when the instance runs on this machine: the agent starts and supervises its proxy.");
export type LocalProxy = z.infer<typeof LocalProxySchema>;

export const UniversalInstanceSchema = z
  .object({
    name: DnsLabel.optional().describe("Instance name; `<service>-<index>` when omitted."),
    address: z.string().min(1, "must not be empty").describe("IP address or hostname of the instance."),
    port: Port("Port the application listens on: the target port the instance's proxy (or, without one, callers) connect to."),
    servicePort: Port(
      "Port the service is addressed on across the mesh (its declared port: what routes, policies, local ports and other clusters' east-west server names name); `port` when omitted. Set it when instances of one service listen on different ports (several on one machine, or one per cluster) so they still make up one service port.",
    ).optional(),
    protocol: ProtocolSchema.optional().describe("Protocol of the port; the service's when omitted."),
    version: z.string().min(1).optional().describe("Version of the instance (e.g. v2)."),
    serviceAccount: DnsLabel.default("default").describe("Identity of the instance."),
    zone: z.string().min(1).optional().describe("Availability zone."),
    ready: z
      .boolean()
      .default(true)
      .describe(
        "Whether the instance should receive traffic. An instance with a `proxy` is ready only while this is true and its proxy is running and ready (the agent probes its admin /ready: a config applied, not draining); one without a proxy, whenever this is true.",
      ),
    labels: z.record(z.string(), z.string()).default({}).describe("Extra labels."),
    proxy: LocalProxySchema.optional(),
  })
  .strict()
  .describe("One running instance of a service.");
export type UniversalInstance = z.infer<typeof UniversalInstanceSchema>;

export const UniversalServiceSchema = z
  .object({
    name: DnsLabel.describe("Service name."),
    namespace: DnsLabel.default("default").describe("Namespace of the service."),
    protocol: ProtocolSchema.default("http").describe("Default protocol of the instances."),
    labels: z.record(z.string(), z.string()).default({}).describe("Labels of the service."),
    instances: z.array(UniversalInstanceSchema).default([]).describe("Instances of the service."),
  })
  .strict()
  .describe("A service and its instances.");
export type UniversalService = z.infer<typeof UniversalServiceSchema>;

export const UniversalGatewaySchema = z
  .object({
    address: z.string().min(1, "must not be empty").max(253).describe("Address other clusters reach the east-west gateway at (reported to the manager)."),
    port: Port("Port of the gateway listener: the port other clusters dial (mTLS, routed by server name)."),
    adminPort: Port("Loopback port of the gateway proxy's admin listener."),
    bindAddress: z.string().min(1).default("0.0.0.0").describe("Address the gateway listener binds."),
    zone: z.string().min(1).optional().describe("Zone of the gateway: it prefers instances of its own zone."),
  })
  .strict()
  .describe("This cluster's east-west gateway: the agent runs it, routing other clusters' mTLS connections to the local instances' proxies without terminating TLS.");
export type UniversalGateway = z.infer<typeof UniversalGatewaySchema>;

export const UniversalFileSchema = z
  .object({
    services: z.array(UniversalServiceSchema).default([]).describe("Every service of this cluster."),
    gateway: UniversalGatewaySchema.optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    // Cross-entry checks, each with its path; every problem is collected.
    const services = new Map<string, number>();
    const instances = new Map<string, string>();
    const ports = new Map<number, string>();
    // Per service: the protocol each service port was first given, and where.
    const servicePorts = new Map<string, { protocol: string; at: string }>();
    if (file.gateway) {
      ports.set(file.gateway.port, "gateway.port");
      if (file.gateway.adminPort === file.gateway.port) ctx.addIssue({ code: "custom", path: ["gateway", "adminPort"], message: `port ${file.gateway.port} is also used by gateway.port` });
      else ports.set(file.gateway.adminPort, "gateway.adminPort");
    }
    file.services.forEach((s, si) => {
      const key = `${s.namespace}/${s.name}`;
      if (services.has(key)) ctx.addIssue({ code: "custom", path: ["services", si, "name"], message: `duplicate service ${key} (also services[${services.get(key)}])` });
      services.set(key, si);
      s.instances.forEach((inst, ii) => {
        const name = inst.name ?? `${s.name}-${ii}`;
        const ikey = `${s.namespace}/${name}`;
        const here = `services[${si}].instances[${ii}]`;
        if (instances.has(ikey)) ctx.addIssue({ code: "custom", path: ["services", si, "instances", ii, "name"], message: `duplicate instance ${ikey} (also ${instances.get(ikey)})` });
        instances.set(ikey, here);
        // One service port is one protocol: callers pick the protocol per service port, not per instance.
        const servicePort = inst.servicePort ?? inst.port;
        const protocol = inst.protocol ?? s.protocol;
        const field = inst.servicePort !== undefined ? "servicePort" : "port";
        const first = servicePorts.get(`${key}:${servicePort}`);
        if (first && first.protocol !== protocol)
          ctx.addIssue({ code: "custom", path: ["services", si, "instances", ii, field], message: `service port ${servicePort} of ${key} is ${protocol} here but ${first.protocol} in ${first.at}; one service port has one protocol` });
        else if (!first) servicePorts.set(`${key}:${servicePort}`, { protocol, at: here });
        if (!inst.proxy) return;
        for (const field of ["inboundPort", "outboundPort", "adminPort"] as const) {
          const port = inst.proxy[field];
          const owner = ports.get(port);
          if (owner !== undefined) ctx.addIssue({ code: "custom", path: ["services", si, "instances", ii, "proxy", field], message: `port ${port} is also used by ${owner}` });
          else ports.set(port, `${here}.proxy.${field}`);
        }
      });
    });
  })
  .describe("Services and instances declared by hand (universal mode).");
export type UniversalFile = z.infer<typeof UniversalFileSchema>;
