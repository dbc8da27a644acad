// The east-west gateway's ProxyConfig: how other clusters reach this
// cluster's services. One route per local service port and version subset
// (plus "any version"), keyed by the east-west server name callers send, to
// the instances' inbound proxies. The gateway never terminates TLS, so it
// needs no identity: the destination's own proxy enforces mTLS and
// authorization. Of the mesh's resources it reads only the TrafficPolicies'
// locality settings, resolved for its own cluster and zone, as a sidecar of
// that cluster would get them. Pure and deterministic, like the sidecar compiler.
import { z } from "zod";
import { issuesFromZod } from "../common/issues.ts";
import { formatEastWestSni } from "../proxy-config/east-west-sni.ts";
import { type Backend } from "../proxy-config/proxy-backends.schema.ts";
import { type ProxyConfig, ProxyConfigSchema } from "../proxy-config/proxy-config.schema.ts";
import { LimitsSchema, TelemetrySchema } from "../proxy-config/proxy-limits.schema.ts";
import { type GatewayRoute } from "../proxy-config/proxy-listeners.schema.ts";
import { indexResources } from "./compile-context.ts";
import { CatalogSchema, type CatalogEndpoint, ResourceEntrySchema } from "./compile-input.ts";
import { COMPILER_REVISION, CompileInputError, type CompileResult } from "./compile.ts";
import { canonicalJson, fnv1a64 } from "./config-hash.ts";
import { DiagnosticSink, compareText } from "./diagnostics.ts";
import { localityPreference } from "./locality-mapping.ts";
import { PolicyResolver, type PolicyLookup } from "./policy-mapping.ts";
import { endpointPort, indexCatalog, isHttpFamily, serviceKey } from "./service-catalog.ts";

const ListenPort = z.number().int().min(0).max(65535);
const Name = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lowercase DNS-style name");

export const GatewayCompileInputSchema = z
  .object({
    cluster: z.string().min(1).describe("The cluster the gateway serves: only endpoints of this cluster are routed to."),
    gateway: z
      .object({
        name: Name.default("east-west-gateway").describe("The gateway's service name (its metrics' source_service)."),
        namespace: Name.default("weft-system").describe("The gateway's namespace."),
        address: z.string().min(1).default("0.0.0.0").describe("Address the gateway listener binds (reachable from the other clusters)."),
        port: ListenPort.describe("Port of the gateway listener: the port other clusters dial."),
        adminPort: ListenPort.describe("Port of the admin listener (always loopback)."),
        zone: z.string().min(1).optional().describe("Zone of the gateway: it prefers instances of its own zone."),
      })
      .describe("Where the gateway listens."),
    catalog: CatalogSchema.prefault({}).describe(
      "This cluster's services. Each endpoint's address and ports must be the instance's inbound proxy (which terminates the callers' mTLS), never the bare app.",
    ),
    resources: z
      .array(ResourceEntrySchema)
      .default([])
      .describe(
        "The mesh's resources as the agent received them. Only TrafficPolicies' spec.loadBalancer.locality is read: its failover entry for this cluster (and distribute entry for this cluster or zone) applies to the gateway's backends, as it would to a sidecar of this cluster; `enabled: false` turns the gateway's zone preference off.",
      ),
    limits: LimitsSchema.optional().describe("Parsing limits; the proxy defaults when omitted."),
    telemetry: TelemetrySchema.optional().describe("Access log (one line per routed connection); the proxy defaults when omitted."),
  })
  .describe("Input of compileGatewayConfig.");
export type GatewayCompileInput = z.infer<typeof GatewayCompileInputSchema>;
export type GatewayCompileInputRaw = z.input<typeof GatewayCompileInputSchema>;

/** Name of the gateway listener in the compiled config. */
export const GATEWAY_LISTENER = "gateway";

/**
 * Compiles the east-west gateway of `input.cluster`. Throws
 * {@link CompileInputError} for a malformed input; services or versions that
 * cannot be routed are diagnostics.
 */
export function compileGatewayConfig(raw: GatewayCompileInputRaw): CompileResult {
  const parsed = GatewayCompileInputSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new CompileInputError(issuesFromZod(parsed.error.issues));
  const input = parsed.data;
  const sink = new DiagnosticSink();
  const services = [...indexCatalog(input.catalog, sink).values()].sort((a, b) => compareText(serviceKey(a.name, a.namespace), serviceKey(b.name, b.namespace)));
  const routes: GatewayRoute[] = [];
  const backends: Backend[] = [];
  const local = (e: CatalogEndpoint) => e.cluster === input.cluster && !e.viaGateway;
  const policies = gatewayPolicies(input);
  const here = { cluster: input.cluster, zone: input.gateway.zone };

  for (const service of services) {
    const key = serviceKey(service.name, service.namespace);
    const endpoints = service.endpoints.filter(local);
    // The gateway passes callers' mTLS through unopened: only a proxy can terminate it.
    const meshed = endpoints.filter((e) => e.sidecar !== false);
    if (meshed.length < endpoints.length)
      sink.add({ severity: "info", code: "unreachable_endpoint", path: "catalog", service: key, message: `${key}: ${endpoints.length - meshed.length} endpoint(s) without a proxy are not routed by the east-west gateway (it passes mTLS through, only a proxy can terminate it)` });
    if (meshed.length === 0) continue;
    const versions = [...new Set(meshed.flatMap((e) => (e.version !== undefined ? [e.version] : [])))].sort(compareText);
    for (const port of service.ports) {
      if (!isHttpFamily(port.protocol)) {
        sink.add({ severity: "info", code: "unsupported_port", path: "catalog", service: key, message: `${key} port ${port.port} is TCP: callers do not originate mTLS for TCP, so the gateway does not route it` });
        continue;
      }
      for (const version of [undefined, ...versions]) {
        const sni = formatEastWestSni({ service: service.name, namespace: service.namespace, port: port.port, version });
        if (sni === undefined) {
          sink.add({ severity: "warning", code: "unnamed_east_west_target", path: "catalog", service: key, message: `${key} port ${port.port} version ${version ?? "(any)"} has no east-west server name (a name too long to encode); not routed` });
          continue;
        }
        const name = `${service.name}.${service.namespace}:${port.port}${version !== undefined ? `/${version}` : ""}`;
        const targets = meshed.flatMap((e) => {
          if (version !== undefined && e.version !== version) return [];
          const target = endpointPort(service, e, port);
          if (target === undefined) {
            sink.add({ severity: "warning", code: "unknown_endpoint_port", path: "catalog", service: key, message: `endpoint ${e.address} of ${key} does not say which port serves port ${port.port} (endpoint.ports); it is left out` });
            return [];
          }
          return [
            {
              address: e.address,
              port: target,
              health: e.ready ? ("healthy" as const) : ("unhealthy" as const),
              locality: { ...(e.zone !== undefined ? { zone: e.zone } : {}), cluster: e.cluster },
              weight: Math.min(1000, e.weight ?? 1),
              ...(e.version !== undefined ? { version: e.version } : {}),
            },
          ];
        });
        routes.push({ sni, backend: name });
        const policy = policies.resolve({ service: service.name, namespace: service.namespace, port: port.port, ...(version !== undefined ? { version } : {}) });
        backends.push({
          name,
          service: service.name,
          namespace: service.namespace,
          ...(version !== undefined ? { version } : {}),
          endpoints: targets,
          // Nothing is parsed: the protocol only matters to HTTP backends.
          protocol: "http1",
          // Connections are long-lived (callers pool them): spread them by how many are open.
          loadBalancer: { algorithm: "least-request" },
          policy: {
            connectTimeoutMs: 1000,
            // A pooled caller connection may sit idle between requests; the callers' pools close theirs first.
            idleTimeoutMs: 300_000,
            localityFailover: policy.localityFailover,
            retryBudget: { ratio: 0.2, minRetriesPerSecond: 10, windowMs: 10_000 },
            healthChecks: [],
            // The calling cluster here is the gateway's own: a request that entered cluster X follows X's entry.
            ...localityPreference(policy, here),
          },
        });
      }
    }
  }

  const { gateway } = input;
  const draft = {
    version: "pending",
    node: { service: gateway.name, namespace: gateway.namespace, locality: { ...(gateway.zone !== undefined ? { zone: gateway.zone } : {}), cluster: input.cluster } },
    listeners: [
      { kind: "gateway", name: GATEWAY_LISTENER, address: gateway.address, port: gateway.port, routes, clientHelloTimeoutMs: 10_000 },
      { kind: "admin", name: "admin", address: "127.0.0.1", port: gateway.adminPort },
    ],
    virtualHosts: [],
    backends: backends.sort((a, b) => compareText(a.name, b.name)),
    ...(input.limits ? { limits: input.limits } : {}),
    ...(input.telemetry ? { telemetry: input.telemetry } : {}),
  };
  const result = ProxyConfigSchema.safeParse(draft);
  if (!result.success) throw new Error(`compiled gateway config is invalid: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const { version: _pending, ...content } = result.data;
  const config: ProxyConfig = { ...result.data, version: `g${COMPILER_REVISION}-${fnv1a64(canonicalJson(content))}` };
  return { config, diagnostics: sink.list() };
}

/**
 * The TrafficPolicies (and Mesh defaults) in force, for their locality
 * settings only. Their other findings are the sidecars' to report (every
 * sidecar compiles the same policies), so they go to a sink nobody reads.
 */
function gatewayPolicies(input: GatewayCompileInput): PolicyLookup {
  const byKind = indexResources(input.resources);
  const mesh = byKind.Mesh[0];
  return new PolicyResolver(
    byKind.TrafficPolicy.map((p) => ({ policy: p.resource, key: p.key, createdAt: p.createdAt })),
    mesh ? { resource: mesh.resource, key: mesh.key } : undefined,
  ).bind(new DiagnosticSink());
}
