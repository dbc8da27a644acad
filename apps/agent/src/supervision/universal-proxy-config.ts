// The config the agent gives a local proxy in universal mode until the
// manager's mesh config arrives: every declared service reachable through the
// outbound listener, round the healthy instances. Pure.
import { createHash } from "node:crypto";
import type { BackendSchema, ProxyConfigInput, VirtualHostSchema } from "@weft/mesh-model/proxy-config";
import type { z } from "zod";
import { canonicalJson } from "../discovery/catalog.ts";
import type { LocalInstance } from "../universal/universal-catalog.ts";
import type { UniversalFile } from "../universal/universal-file.schema.ts";

type VirtualHostInput = z.input<typeof VirtualHostSchema>;
type BackendInput = z.input<typeof BackendSchema>;

/** Fixed, so the config (and its version hash) depends on the file's content only. */
const EPOCH = "2024-01-01T00:00:00Z";

export function universalProxyConfig(instance: LocalInstance, file: UniversalFile, cluster: string | undefined): ProxyConfigInput {
  const virtualHosts: VirtualHostInput[] = [];
  const backends: BackendInput[] = [];
  for (const s of file.services) {
    if (s.protocol === "tcp") continue; // TCP services need a port each: they come with the manager's config.
    const name = `${s.name}.${s.namespace}`;
    const domains = [name, `${name}.svc.cluster.local`, ...(s.namespace === instance.namespace ? [s.name] : [])];
    virtualHosts.push({ name, domains, routes: [{ name: s.name, namespace: s.namespace, creationTimestamp: EPOCH, rules: [{ backendRefs: [{ backend: name }] }] }] });
    backends.push({
      name,
      service: s.name,
      namespace: s.namespace,
      protocol: s.protocol === "http" ? "http1" : "http2",
      endpoints: s.instances.map((inst) => ({
        // Instances with a local proxy are reached through it, so both sides see the request.
        address: inst.address,
        port: inst.proxy ? inst.proxy.inboundPort : inst.port,
        health: inst.ready ? "healthy" : "unhealthy",
        locality: { ...(inst.zone && { zone: inst.zone }), ...(cluster && { cluster }) },
        ...(inst.version && { version: inst.version }),
      })),
    });
  }
  const body: Omit<ProxyConfigInput, "version"> = {
    node: {
      service: instance.service,
      namespace: instance.namespace,
      ...(instance.version && { version: instance.version }),
      locality: { ...(instance.zone && { zone: instance.zone }), ...(cluster && { cluster }) },
    },
    listeners: [
      { kind: "outbound", name: "outbound", address: "127.0.0.1", port: instance.proxy.outboundPort },
      {
        kind: "inbound",
        name: "inbound",
        address: instance.proxy.inboundAddress,
        port: instance.proxy.inboundPort,
        app: { address: instance.address, port: instance.port, ...((instance.protocol === "http2" || instance.protocol === "grpc") && { protocol: "http2" as const }) },
      },
      { kind: "admin", name: "admin", address: "127.0.0.1", port: instance.proxy.adminPort },
    ],
    virtualHosts,
    backends,
  };
  // The version is the content hash: the same inputs give the same version, and the proxy sees no change.
  return { version: `universal-${createHash("sha256").update(canonicalJson(body)).digest("hex").slice(0, 16)}`, ...body };
}
