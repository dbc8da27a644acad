// Joining: a one-time join token is exchanged for the cluster-scoped agent
// credential, kept in `<state-dir>/credentials.json` (0600). Later starts
// reuse it; the join token is then no longer needed.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import type { Logger } from "../logger.ts";
import { createManagerClient, trpcCode } from "./manager-client.ts";
import { readJsonFile, writeFileAtomically } from "../state-files.ts";

export const AGENT_VERSION = "0.1.0";

export const StoredCredentialsSchema = z.object({
  manager: z.string().describe("Manager URL the credential was issued by."),
  cluster: z.string().min(1).describe("Cluster the credential is scoped to."),
  clusterId: z.string().min(1).describe("Id of that cluster in the manager."),
  credential: z.string().min(1).describe("The long-lived agent credential (a bearer secret)."),
  trustDomain: z.string().optional().describe("Trust domain of the mesh."),
  joinedAt: z.string().describe("When the join happened."),
  joinTokenSha256: z.string().optional().describe("SHA-256 of the join token exchanged for this credential: the same token given again (a restarted container whose environment still holds it) reuses the credential instead of failing a second join."),
});
export type StoredCredentials = z.infer<typeof StoredCredentialsSchema>;

/** Joining failed or no credential is available: the agent cannot talk to the manager. */
export class JoinError extends Error {
  override readonly name = "JoinError";
  constructor(
    message: string,
    readonly code: "NO_CREDENTIALS" | "JOIN_REFUSED" | "CLUSTER_MISMATCH" | "MANAGER_UNREACHABLE",
  ) {
    super(message);
  }
}

export const credentialsPath = (stateDir: string) => join(stateDir, "credentials.json");

export async function loadCredentials(stateDir: string): Promise<StoredCredentials | undefined> {
  const raw = await readJsonFile(credentialsPath(stateDir));
  if (raw === undefined) return undefined;
  const parsed = StoredCredentialsSchema.safeParse(raw);
  if (!parsed.success) throw new JoinError(`${credentialsPath(stateDir)} is not a valid credentials file; delete it and join again with --join-token`, "NO_CREDENTIALS");
  return parsed.data;
}

export interface JoinOptions {
  manager: string;
  stateDir: string;
  joinToken?: string | undefined;
  /** The cluster the operator expects; checked against the credential's. */
  cluster?: string | undefined;
  logger: Logger;
}

/**
 * The credential to use: the stored one, or (with a join token and none
 * stored) a fresh one from `agent.join`. A join token given although a
 * credential is stored joins again (a join replaces the cluster's earlier
 * credential in the manager), which is how an operator re-joins — unless it
 * is the very token this credential came from (a Deployment restarting with
 * the same Secret in its environment): then the stored credential is used.
 */
export async function obtainCredentials(options: JoinOptions): Promise<StoredCredentials> {
  const stored = await loadCredentials(options.stateDir);
  const sameToken = stored?.joinTokenSha256 !== undefined && options.joinToken !== undefined && stored.joinTokenSha256 === tokenSha256(options.joinToken);
  if (stored && (!options.joinToken || sameToken)) {
    if (options.cluster && options.cluster !== stored.cluster) {
      throw new JoinError(`${credentialsPath(options.stateDir)} belongs to cluster "${stored.cluster}", not "${options.cluster}"; use another --state-dir or join again with --join-token`, "CLUSTER_MISMATCH");
    }
    return stored;
  }
  if (!options.joinToken) {
    throw new JoinError(`no credentials in ${credentialsPath(options.stateDir)}: start once with --join-token <token> (clusters.create in the manager prints one)`, "NO_CREDENTIALS");
  }
  let joined;
  try {
    joined = await createManagerClient(options.manager).agent.join.mutate({ joinToken: options.joinToken, agentVersion: AGENT_VERSION });
  } catch (err) {
    const code = trpcCode(err);
    if (code === undefined) throw new JoinError(`cannot reach the manager at ${options.manager} to join: ${(err as Error).message}`, "MANAGER_UNREACHABLE");
    throw new JoinError(`the manager refused the join token (${code}): ${(err as Error).message}; ask an admin for a new one (clusters.createJoinToken)`, "JOIN_REFUSED");
  }
  if (options.cluster && options.cluster !== joined.cluster.name) {
    throw new JoinError(`the join token is for cluster "${joined.cluster.name}", but --cluster says "${options.cluster}"`, "CLUSTER_MISMATCH");
  }
  const credentials: StoredCredentials = {
    manager: options.manager,
    cluster: joined.cluster.name,
    clusterId: joined.cluster.id,
    credential: joined.credential,
    trustDomain: joined.trustDomain,
    joinedAt: new Date().toISOString(),
    joinTokenSha256: tokenSha256(options.joinToken),
  };
  await writeFileAtomically(credentialsPath(options.stateDir), `${JSON.stringify(credentials, null, 2)}\n`);
  options.logger.info("joined the mesh", { cluster: credentials.cluster, credentials: credentialsPath(options.stateDir) });
  return credentials;
}

const tokenSha256 = (token: string) => createHash("sha256").update(token).digest("hex");
