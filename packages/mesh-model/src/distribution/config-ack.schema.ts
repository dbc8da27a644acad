// What an agent tells the manager it did with a config version (agent.ackConfig):
// applied by every proxy, or rejected with the reason and per-proxy detail.
// One schema for both ends: the manager validates with it, the agent sends its type.
import { z } from "zod";

/** One proxy's outcome for a config version. */
export const ProxyAckSchema = z.strictObject({
  proxy: z.string().min(1).max(253).describe("Proxy id, `<namespace>/<workload>`."),
  status: z.enum(["applied", "rejected"]).describe("What this proxy did with the version."),
  reason: z.string().max(4000).optional().describe("Why it refused."),
});

/** Cap of one acknowledgement's diagnostics: errors and warnings come first, so only the least serious are cut. */
export const MAX_ACK_DIAGNOSTICS = 500;
/** How many proxy ids one diagnostic names (its `proxyCount` says how many reported it). */
export const MAX_DIAGNOSTIC_PROXIES = 20;

/**
 * A compile diagnostic of the cluster's proxies (packages/mesh-model/src/compiler/diagnostics.ts),
 * once for every proxy that reported the same finding: a warning about a service every caller
 * compiles is one entry, not one per caller.
 */
export const AckDiagnosticSchema = z
  .strictObject({
    severity: z.enum(["error", "warning", "info"]).describe("error: part of the config fails closed; warning: a setting has no effect, or endpoints were left out; info: a decision worth knowing."),
    code: z.string().min(1).max(100).describe("Stable machine code, e.g. `unreachable_endpoint`, `not_exported`, `unsupported_field`."),
    message: z.string().min(1).max(2000).describe("The reason, in words."),
    resource: z.string().min(1).max(400).optional().describe("`Kind/namespace/name` of the resource it is about; absent for catalog findings."),
    path: z.string().max(400).describe("Field path inside the resource, or `catalog` / an input path."),
    service: z.string().min(1).max(400).optional().describe("`namespace/name` of the service a catalog finding is about."),
    proxies: z.array(z.string().min(1).max(253)).min(1).max(MAX_DIAGNOSTIC_PROXIES).describe("Proxies that reported it (the first, sorted)."),
    proxyCount: z.number().int().min(1).max(1_000_000).describe("How many proxies reported it."),
  })
  .describe("A compile diagnostic and the proxies that reported it.");
export type AckDiagnostic = z.infer<typeof AckDiagnosticSchema>;

export const ConfigAckSchema = z
  .strictObject({
    configVersion: z.string().regex(/^\d{1,19}$/, "must be a config version as the stream sent it").describe("The config version acknowledged (ClusterConfig.configVersion)."),
    status: z.enum(["applied", "rejected"]).describe("applied: every proxy runs it; rejected: at least one proxy refused it and keeps the previous version."),
    reason: z.string().min(1).max(4000).optional().describe("Why it was rejected (required then)."),
    proxies: z.array(ProxyAckSchema).max(50_000).default([]).describe("Per-proxy outcome."),
    diagnostics: z
      .array(AckDiagnosticSchema)
      .max(MAX_ACK_DIAGNOSTICS)
      .default([])
      .describe("What the compiler said while compiling the proxies' configs for this version, one entry per distinct finding (absent from older agents: none)."),
  })
  .refine((a) => a.status === "applied" || a.reason !== undefined, { message: "a rejection needs a reason", path: ["reason"] })
  .describe("What the agent did with a config version.");

export type ConfigAck = z.infer<typeof ConfigAckSchema>;
