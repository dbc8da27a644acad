import { z } from "zod";
import { reportDuplicates, reportIssue } from "../common/issues.ts";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema, HostnameSchema, PortNumberSchema } from "../common/names.ts";
import { CertificateRefSchema } from "../common/references.ts";

export const GatewayModeSchema = z
  .enum(["ingress", "egress", "east-west"])
  .describe("ingress: traffic entering the mesh; egress: traffic leaving it; east-west: mesh traffic between clusters.");
export type GatewayMode = z.infer<typeof GatewayModeSchema>;

export const ListenerProtocolSchema = z.enum(["HTTP", "HTTPS", "TLS", "TCP"]).describe("HTTP and HTTPS are routed by HTTPRoutes; TLS by SNI; TCP is forwarded as is.");
export type ListenerProtocol = z.infer<typeof ListenerProtocolSchema>;

export const ListenerTlsSchema = z
  .strictObject({
    mode: z.enum(["Terminate", "Passthrough"]).default("Terminate").describe("Terminate: the gateway decrypts; Passthrough: it forwards encrypted traffic by SNI. Default Terminate."),
    certificateRefs: z.array(CertificateRefSchema).max(8, { message: "must have at most 8 entries" }).optional().describe("Server certificates, picked by SNI; required with Terminate."),
    minVersion: z.enum(["1.2", "1.3"]).default("1.2").describe("Lowest TLS version accepted. Default 1.2."),
  })
  .describe("TLS settings of the listener.");

export const ListenerSchema = z
  .strictObject({
    name: DnsLabelSchema.describe("Name of the listener, unique in the Gateway; routes attach by it (sectionName)."),
    port: PortNumberSchema.describe("Port the gateway listens on."),
    protocol: ListenerProtocolSchema,
    hosts: z.array(HostnameSchema.describe("A host name, optionally *.-prefixed.")).max(64, { message: "must have at most 64 entries" }).optional().describe("Host names (Host header or SNI) this listener serves; all when omitted."),
    tls: ListenerTlsSchema.optional(),
  })
  .superRefine((l, ctx) => {
    if ((l.protocol === "HTTPS" || l.protocol === "TLS") && !l.tls) reportIssue(ctx, ["tls"], `is required for protocol ${l.protocol}`, "required");
    if ((l.protocol === "HTTP" || l.protocol === "TCP") && l.tls) reportIssue(ctx, ["tls"], `must not be set for protocol ${l.protocol}`, "unused_setting");
    if (l.protocol === "HTTPS" && l.tls?.mode === "Passthrough") reportIssue(ctx, ["tls", "mode"], "must be Terminate for HTTPS (use protocol TLS to pass encrypted traffic through)", "invalid_tls");
    if (l.tls?.mode === "Terminate" && !l.tls.certificateRefs?.length) reportIssue(ctx, ["tls", "certificateRefs"], "must name at least one certificate to terminate TLS", "required");
    if (l.tls?.mode === "Passthrough" && l.tls.certificateRefs?.length) reportIssue(ctx, ["tls", "certificateRefs"], "has no effect with Passthrough", "unused_setting");
    if (l.protocol === "TCP" && l.hosts?.length) reportIssue(ctx, ["hosts"], "has no effect on TCP listeners (no Host header or SNI is read)", "unused_setting");
    reportDuplicates(ctx, l.hosts, (h) => h, (i) => ["hosts", i], "host");
  })
  .describe("A port the gateway serves, with its protocol and hosts.");
export type Listener = z.infer<typeof ListenerSchema>;

// Listeners sharing a port must agree on the protocol; HTTPS and TLS can share one (SNI decides).
function protocolFamily(protocol: ListenerProtocol): string {
  return protocol === "HTTPS" || protocol === "TLS" ? "tls" : protocol;
}

export const GatewaySpecSchema = z
  .strictObject({
    mode: GatewayModeSchema,
    clusters: z.array(DnsLabelSchema.describe("A cluster name.")).optional().describe("Clusters this gateway runs in; every cluster when omitted."),
    listeners: z.array(ListenerSchema).min(1, { message: "must have at least one listener" }).max(64, { message: "must have at most 64 entries" }).describe("What the gateway listens on."),
  })
  .superRefine((spec, ctx) => {
    reportDuplicates(ctx, spec.listeners, (l) => l.name, (i) => ["listeners", i, "name"], "listener name");
    const byPort = new Map<number, number>();
    const claims = new Map<string, number>();
    spec.listeners.forEach((l, i) => {
      const first = byPort.get(l.port);
      const firstListener = first !== undefined ? spec.listeners[first] : undefined;
      if (firstListener && protocolFamily(firstListener.protocol) !== protocolFamily(l.protocol))
        reportIssue(ctx, ["listeners", i, "protocol"], `port ${l.port} is already used by listener "${firstListener.name}" with protocol ${firstListener.protocol}`, "port_conflict");
      if (first === undefined) byPort.set(l.port, i);
      for (const [h, host] of (l.hosts?.length ? l.hosts : ["*"]).entries()) {
        const key = `${l.port}/${host}`;
        const owner = claims.get(key);
        const ownerListener = owner !== undefined ? spec.listeners[owner] : undefined;
        if (ownerListener && owner !== i)
          reportIssue(
            ctx,
            l.hosts?.length ? ["listeners", i, "hosts", h] : ["listeners", i],
            `${host === "*" ? "all hosts" : `host "${host}"`} on port ${l.port} already claimed by listener "${ownerListener.name}"`,
            "duplicate_host",
          );
        else claims.set(key, i);
      }
    });
  })
  .describe("A gateway: the mesh proxy at the edge of the mesh or of a cluster.");

/** An ingress, egress or east-west gateway and its listeners. */
export const GatewaySchema = defineResource({
  kind: "Gateway",
  metadata: MetadataSchema,
  spec: GatewaySpecSchema,
  description: "An ingress, egress or east-west gateway with its listeners.",
});
export type Gateway = z.infer<typeof GatewaySchema>;
export type GatewayInput = z.input<typeof GatewaySchema>;
