// The ProxyConfig: the compiled, proxy-facing form of the mesh config. The
// agent compiles user resources (HTTPRoute, TrafficPolicy, ...) into one of
// these per proxy; the proxy validates it with this schema before swapping it
// in. Its areas live beside it: proxy-listeners, proxy-routes (virtual hosts,
// matches, filters, rules), proxy-backends, proxy-limits (limits, telemetry,
// rate limits) and proxy-security; proxy-config.checks holds the cross-field
// checks.
import { z } from "zod";
import { BackendSchema } from "./proxy-backends.schema.ts";
import { PROXY_CONFIG_CHECKS } from "./proxy-config.checks.ts";
import { LimitsSchema, RateLimitsSchema, TelemetrySchema } from "./proxy-limits.schema.ts";
import { ListenerSchema } from "./proxy-listeners.schema.ts";
import { LocalitySchema, NameSchema } from "./proxy-primitives.schema.ts";
import { VirtualHostSchema } from "./proxy-routes.schema.ts";
import { AuthorizationConfigSchema, RequestAuthenticationConfigSchema, WorkloadIdentitySchema } from "./proxy-security.schema.ts";

export const NodeSchema = z
  .object({
    service: NameSchema.describe("Service of the workload this proxy serves (the `source_service` metric label)."),
    namespace: NameSchema.describe("Namespace of that workload; short hostnames resolve in it."),
    version: z.string().min(1).optional().describe("Version label of the workload (e.g. v2)."),
    locality: LocalitySchema.prefault({}).describe("Locality of the workload, for locality-aware load balancing."),
  })
  .describe("Identity and placement of the workload this proxy runs beside.");
export type ProxyNode = z.infer<typeof NodeSchema>;

/** The ProxyConfig's fields without the cross-field checks (the compiler validates its shared parts once and runs the checks per config). */
export const ProxyConfigObjectSchema = z.object({
  version: z.string().min(1).max(256).describe("Opaque config version, echoed by /config and acknowledged to the agent."),
  node: NodeSchema,
  listeners: z.array(ListenerSchema).default([]).describe("Listeners to bind."),
  virtualHosts: z.array(VirtualHostSchema).default([]).describe("Destination services reachable through the outbound listeners."),
  backends: z.array(BackendSchema).default([]).describe("Upstream clusters referenced by rules."),
  limits: LimitsSchema.prefault({}),
  telemetry: TelemetrySchema.prefault({}),
  identity: WorkloadIdentitySchema.optional().describe("The workload's X.509-SVID and trust bundle; needed by mTLS listeners and backends."),
  authorization: AuthorizationConfigSchema.optional().describe("AuthorizationPolicies of the local service, enforced on inbound listeners."),
  requestAuthentication: RequestAuthenticationConfigSchema.optional().describe("JWT verification on inbound (and named gateway) listeners."),
  rateLimits: RateLimitsSchema.optional().describe("Rate limits on inbound (and named gateway) listeners."),
});

export const ProxyConfigSchema = ProxyConfigObjectSchema.superRefine((config, ctx) => {
  for (const check of PROXY_CONFIG_CHECKS) check(config, ctx);
}).describe("The complete configuration of one Weft proxy.");

/** A validated ProxyConfig (defaults applied). */
export type ProxyConfig = z.infer<typeof ProxyConfigSchema>;
/** A ProxyConfig as authored, before defaults. */
export type ProxyConfigInput = z.input<typeof ProxyConfigSchema>;
