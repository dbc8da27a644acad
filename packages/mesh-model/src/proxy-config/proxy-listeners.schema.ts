// Listeners: what the proxy binds (outbound, inbound, admin, TCP passthrough
// and the east-west gateway's SNI router).
import { z } from "zod";
import { MtlsModeSchema } from "./proxy-security.schema.ts";
import { DurationMsSchema, NameSchema, PemSchema, PortSchema, SniSchema } from "./proxy-primitives.schema.ts";

const listenerBase = {
  name: NameSchema.describe("Unique listener name; listeners are matched by name across config versions."),
  address: z.string().min(1).default("127.0.0.1").describe("Address to bind. Defaults to loopback."),
  port: PortSchema.describe("Port to bind; 0 picks an ephemeral port."),
};

/** Server-side TLS of a listener: ALPN offers h2 (when http2 is on) and http/1.1. */
export const ListenerTlsSchema = z
  .object({
    certPem: PemSchema.describe("Certificate chain (PEM), leaf first."),
    keyPem: PemSchema.describe("Private key (PEM) of the leaf certificate."),
  })
  .describe("TLS termination on the listener; clients choose HTTP/2 or HTTP/1.1 by ALPN.");
export type ListenerTls = z.infer<typeof ListenerTlsSchema>;

const httpListenerBase = {
  ...listenerBase,
  http2: z
    .boolean()
    .default(true)
    .describe("Accept HTTP/2: prior-knowledge h2c on a plain listener (detected by the connection preface), ALPN h2 with TLS."),
  tls: ListenerTlsSchema.optional().describe("Terminate TLS on this listener; plain TCP when absent."),
};

export const OutboundListenerSchema = z
  .object({
    kind: z.literal("outbound").describe("Outbound: the local app calls other services through it (HTTP proxy or Host header)."),
    ...httpListenerBase,
    virtualHost: z
      .string()
      .min(1)
      .optional()
      .describe("Per-upstream port: route every request on this listener through this virtual host, whatever its Host header."),
  })
  .describe("Outbound HTTP listener on loopback.");

export const InboundListenerSchema = z
  .object({
    kind: z.literal("inbound").describe("Inbound: other proxies reach the local app through it."),
    ...httpListenerBase,
    app: z
      .object({
        address: z.string().min(1).default("127.0.0.1").describe("Address of the local application."),
        port: PortSchema.min(1).describe("Port of the local application."),
        protocol: z
          .enum(["http1", "http2"])
          .default("http1")
          .describe("Protocol the app speaks: HTTP/1.1, or HTTP/2 with prior knowledge (h2c, e.g. a gRPC server)."),
      })
      .describe("The local application behind this listener."),
    timeoutMs: DurationMsSchema.optional().describe("Time allowed for the app to send response headers."),
    mtlsMode: MtlsModeSchema.optional().describe("mTLS of this listener (needs `identity`); DISABLE when absent. Changing it needs no new socket."),
  })
  .describe("Inbound listener in front of the local application: plain HTTP, server TLS (`tls`) or mTLS with X.509-SVIDs (`mtlsMode`).");

export const AdminListenerSchema = z
  .object({
    kind: z.literal("admin").describe("Admin: /ready, /config, /stats and /metrics."),
    ...listenerBase,
  })
  .describe("Admin listener.");

export const TcpListenerSchema = z
  .object({
    kind: z.literal("tcp").describe("TCP passthrough: bytes are piped to an endpoint of `backend`, for ports declared as TCP."),
    ...listenerBase,
    backend: z.string().min(1).describe("Name of an entry in `backends`; its load balancer, connect and idle timeouts apply."),
  })
  .describe("Plain TCP passthrough listener.");

export const GatewayRouteSchema = z
  .object({
    sni: SniSchema.describe("Server name to match exactly (compared in lower case)."),
    backend: z.string().min(1).describe("Name of an entry in `backends` (without `tls`/`mtls`: the bytes are piped as they are)."),
  })
  .describe("One server name and where its connections go.");
export type GatewayRoute = z.infer<typeof GatewayRouteSchema>;

export const GatewayListenerSchema = z
  .object({
    kind: z
      .literal("gateway")
      .describe("East-west gateway (AUTO_PASSTHROUGH): reads the server name of each TLS ClientHello and pipes the connection, still encrypted, to an endpoint of the matching backend."),
    ...listenerBase,
    routes: z.array(GatewayRouteSchema).max(10_000).default([]).describe("Routes by server name; a connection with none, an unknown one or a malformed ClientHello is closed and counted."),
    clientHelloTimeoutMs: DurationMsSchema.default(10_000).describe("Time allowed for the whole ClientHello to arrive."),
  })
  .describe("SNI-routing TLS passthrough listener: the destination's own proxy terminates mTLS, so it sees the caller's SPIFFE ID.");

export const ListenerSchema = z
  .discriminatedUnion("kind", [OutboundListenerSchema, InboundListenerSchema, AdminListenerSchema, TcpListenerSchema, GatewayListenerSchema])
  .describe("A listener the proxy binds.");
export type Listener = z.infer<typeof ListenerSchema>;
export type OutboundListener = z.infer<typeof OutboundListenerSchema>;
export type InboundListener = z.infer<typeof InboundListenerSchema>;
export type AdminListener = z.infer<typeof AdminListenerSchema>;
export type TcpListener = z.infer<typeof TcpListenerSchema>;
export type GatewayListener = z.infer<typeof GatewayListenerSchema>;
