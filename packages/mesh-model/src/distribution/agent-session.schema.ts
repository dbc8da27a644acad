// The agent↔manager session: joining with a one-time token (agent.join),
// liveness (agent.heartbeat) and the config stream (agent.configStream,
// whose events are ClusterConfig snapshots, acknowledged with ConfigAck).
import { z } from "zod";

export const AgentVersionSchema = z.string().min(1).max(64).describe("Version of the agent binary.");

/** agent.join input: the token is the proof; the cluster is the token's. */
export const AgentJoinInputSchema = z.strictObject({
  joinToken: z.string().min(1).max(256).describe("The token clusters.create returned."),
  agentVersion: AgentVersionSchema.optional(),
});
export type AgentJoinInput = z.infer<typeof AgentJoinInputSchema>;

/** agent.heartbeat input. */
export const HeartbeatInputSchema = z
  .strictObject({
    agentVersion: AgentVersionSchema.optional(),
    agentTime: z.date().optional().describe("The agent's clock when it sent the heartbeat; the manager keeps the difference from its own as the cluster's clock skew (weft check reports it)."),
  })
  .default({});

/** agent.configStream input. */
export const ConfigStreamInputSchema = z
  .strictObject({ lastEventId: z.string().max(200).nullish().describe("Id of the last snapshot the agent holds (set by the SSE client on reconnect).") })
  .default({});
