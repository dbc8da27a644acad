// What the manager asks a cluster's agent besides config (agent.pending) and
// how the agent answers: questions about its proxies (weft proxy-status,
// weft proxy-config, agent.answerQuery) and open taps whose request
// summaries it relays from its proxies (weft tap, agent.reportTap). One
// schema for both ends.
import { z } from "zod";

const ProxyId = z.string().min(1).max(253).describe("Proxy id, `<namespace>/<workload>`.");

/** An open tap: which requests the agent relays. */
export const TapFilterSchema = z.strictObject({
  id: z.uuid().describe("Tap session id."),
  namespace: z.string().min(1).max(63).describe("Namespace of the tapped service."),
  service: z.string().min(1).max(253).describe("The tapped service: requests to it, seen by its callers' proxies and its own."),
  path: z.string().max(2048).nullable().describe("Only paths starting with this."),
  method: z.string().max(32).nullable().describe("Only this HTTP method."),
});
export type TapFilter = z.infer<typeof TapFilterSchema>;

export const AgentQueryKindSchema = z.enum(["proxy-status", "proxy-config"]).describe("proxy-status: every proxy's state and config version; proxy-config: one proxy's running config, secrets redacted.");
export type AgentQueryKind = z.infer<typeof AgentQueryKindSchema>;

export const AgentQuerySchema = z.strictObject({ id: z.uuid(), kind: AgentQueryKindSchema, proxy: ProxyId.nullable() });
export type AgentQuery = z.infer<typeof AgentQuerySchema>;

/** agent.pending output. */
export const AgentPendingSchema = z.strictObject({ taps: z.array(TapFilterSchema), queries: z.array(AgentQuerySchema) });
export type AgentPending = z.infer<typeof AgentPendingSchema>;

/** One proxy as `weft proxy-status` shows it. */
export const ProxyStatusSchema = z.strictObject({
  proxy: ProxyId,
  service: z.string().describe("Service of the workload."),
  version: z.string().describe("The workload's version label; empty when none."),
  state: z.string().max(32).describe("Supervisor state: starting, running, backoff, stopped."),
  activeVersion: z.string().nullable().describe("Compiled config version the proxy runs (a hash of its content)."),
  meshConfigVersion: z.string().nullable().describe("The mesh config version the agent compiled the proxy's config from."),
  sync: z.enum(["synced", "rejected", "pending"]).describe("synced: it runs what the agent compiled from meshConfigVersion; rejected: it refused that and runs an older one; pending: not applied yet."),
  restarts: z.number().int().min(0).describe("Restarts since the agent started it."),
  lastError: z.string().max(2000).nullable().describe("Its last refusal or exit, when any."),
});
export type ProxyStatus = z.infer<typeof ProxyStatusSchema>;

/** agent.answerQuery input. */
export const QueryAnswerSchema = z
  .strictObject({
    id: z.uuid().describe("The query answered."),
    error: z.string().max(2000).optional().describe("Why it cannot be answered (unknown proxy, proxy unreachable)."),
    statuses: z.array(ProxyStatusSchema).max(50_000).optional().describe("For proxy-status."),
    config: z.unknown().optional().describe("For proxy-config: the proxy's config dump ({ version, config }), secrets redacted."),
  })
  .describe("An agent's answer to one query.");
export type QueryAnswer = z.infer<typeof QueryAnswerSchema>;

/** One request summary from a proxy's GET /tap, with the proxy that saw it. */
export const TapEventSchema = z.strictObject({
  proxy: ProxyId,
  time: z.string().max(40),
  direction: z.enum(["inbound", "outbound"]).describe("inbound: seen by the service's own proxy; outbound: by its caller's."),
  method: z.string().max(32),
  authority: z.string().max(512),
  path: z.string().max(2048).describe("Without the query string."),
  status: z.number().int().min(0).max(999),
  durationMs: z.number().min(0),
  flags: z.string().max(128),
  sourceService: z.string().max(253),
  sourceIdentity: z.string().max(2048),
  destinationService: z.string().max(253),
  destinationVersion: z.string().max(253),
  destinationCluster: z.string().max(253),
  mtls: z.boolean(),
  traceId: z.string().max(64).nullable(),
});
export type TapEvent = z.infer<typeof TapEventSchema>;

/** agent.reportTap input. */
export const TapReportSchema = z.strictObject({
  attached: z.array(z.uuid()).max(100).describe("Taps the agent relays now (the manager shows their clusters as attached)."),
  events: z.array(z.strictObject({ tap: z.uuid(), event: TapEventSchema })).max(1000).describe("Matching request summaries since the last report."),
});
export type TapReport = z.infer<typeof TapReportSchema>;

const SECRET_KEY = /(secret|password|passwd|token|private_?key|privatekey|credential|api_?key)$/i;

/**
 * A config dump with every value under a secret-looking key replaced by
 * "[redacted]": what `weft proxy-config` may show. (Proxies hold their keys
 * in identity files, not in the config; this is the second line.)
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null && v !== undefined && v !== "" ? "[redacted]" : redactSecrets(v)]));
  }
  return value;
}
