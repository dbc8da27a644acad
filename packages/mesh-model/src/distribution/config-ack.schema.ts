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

export const ConfigAckSchema = z
  .strictObject({
    configVersion: z.string().regex(/^\d{1,19}$/, "must be a config version as the stream sent it").describe("The config version acknowledged (ClusterConfig.configVersion)."),
    status: z.enum(["applied", "rejected"]).describe("applied: every proxy runs it; rejected: at least one proxy refused it and keeps the previous version."),
    reason: z.string().min(1).max(4000).optional().describe("Why it was rejected (required then)."),
    proxies: z.array(ProxyAckSchema).max(50_000).default([]).describe("Per-proxy outcome."),
  })
  .refine((a) => a.status === "applied" || a.reason !== undefined, { message: "a rejection needs a reason", path: ["reason"] })
  .describe("What the agent did with a config version.");

export type ConfigAck = z.infer<typeof ConfigAckSchema>;
