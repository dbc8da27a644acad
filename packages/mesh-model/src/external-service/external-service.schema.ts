import { z } from "zod";
import { reportDuplicates, reportIssue } from "../common/issues.ts";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema, HostnameSchema, PortNumberSchema } from "../common/names.ts";
import { CertificateRefSchema } from "../common/references.ts";

export const ExternalPortSchema = z
  .strictObject({
    name: DnsLabelSchema.optional().describe("Name of the port, unique in the resource."),
    number: PortNumberSchema.describe("Port number on the external hosts."),
    protocol: z
      .enum(["HTTP", "HTTP2", "GRPC", "HTTPS", "TLS", "TCP"])
      .describe("What the application sends: HTTP, HTTP2 and GRPC are seen (and can be routed) by the proxy; HTTPS and TLS are already encrypted and are forwarded by SNI; TCP as is."),
  })
  .describe("A port of the external service.");

export const TlsOriginationSchema = z
  .strictObject({
    mode: z
      .enum(["DISABLE", "SIMPLE", "MUTUAL"])
      .describe("DISABLE: send as the application did; SIMPLE: the proxy opens TLS to the external host (the application sends plaintext); MUTUAL: the same, presenting a client certificate."),
    sni: HostnameSchema.refine((h) => !h.startsWith("*"), { message: "must not be a wildcard", params: { code: "invalid_hostname" } })
      .optional()
      .describe("Server name sent in the TLS handshake; the request's host when omitted."),
    caCertificateRef: CertificateRefSchema.optional().describe("CA bundle to verify the server with; the system trust store when omitted."),
    clientCertificateRef: CertificateRefSchema.optional().describe("Client certificate and key; required with MUTUAL."),
    verifyHostname: z.boolean().default(true).describe("Check that the server certificate matches the host. Default true."),
  })
  .superRefine((tls, ctx) => {
    if (tls.mode === "MUTUAL" && !tls.clientCertificateRef) reportIssue(ctx, ["clientCertificateRef"], "is required with mode MUTUAL", "required");
    if (tls.mode !== "MUTUAL" && tls.clientCertificateRef) reportIssue(ctx, ["clientCertificateRef"], "is only used with mode MUTUAL", "unused_setting");
    if (tls.mode === "DISABLE" && (tls.sni || tls.caCertificateRef)) reportIssue(ctx, [tls.sni ? "sni" : "caCertificateRef"], "has no effect with mode DISABLE", "unused_setting");
  })
  .describe("TLS origination: the proxy encrypts plaintext application traffic (HTTP, HTTP2, GRPC and TCP ports) to the external hosts.");

export const ExternalServiceSpecSchema = z
  .strictObject({
    hosts: z.array(HostnameSchema.describe("A host name, optionally *.-prefixed.")).min(1, { message: "must name at least one host" }).max(64, { message: "must have at most 64 entries" }).describe("Host names of the destination."),
    ports: z.array(ExternalPortSchema).min(1, { message: "must have at least one port" }).max(32, { message: "must have at most 32 entries" }).describe("Ports the mesh may call."),
    tls: TlsOriginationSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    reportDuplicates(ctx, spec.hosts, (h) => h, (i) => ["hosts", i], "host");
    reportDuplicates(ctx, spec.ports, (p) => String(p.number), (i) => ["ports", i, "number"], "port");
    reportDuplicates(ctx, spec.ports, (p) => p.name, (i) => ["ports", i, "name"], "port name");
    if (spec.tls && spec.tls.mode !== "DISABLE" && spec.ports.every((p) => p.protocol === "HTTPS" || p.protocol === "TLS"))
      reportIssue(ctx, ["tls", "mode"], "no port carries plaintext to originate TLS on (all are HTTPS or TLS)", "unused_setting");
  })
  .describe("A destination outside the mesh that workloads may call.");

/** A destination outside the mesh (hosts, ports, TLS origination). */
export const ExternalServiceSchema = defineResource({
  kind: "ExternalService",
  metadata: MetadataSchema,
  spec: ExternalServiceSpecSchema,
  description: "A service outside the mesh: its hosts, ports and how the proxy reaches it.",
});
export type ExternalService = z.infer<typeof ExternalServiceSchema>;
export type ExternalServiceInput = z.input<typeof ExternalServiceSchema>;
