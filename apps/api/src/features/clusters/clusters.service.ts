import type { AgentPrincipal } from "../../access.ts";
import { conflict, DomainError, notFound } from "../../errors.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { Audited } from "../audit/audit-facts.ts";
import type { MeshInfo } from "../mesh/mesh.repository.ts";
import { LoginLimiter } from "../auth/login-limiter.ts";
import { AGENT_CREDENTIAL_PREFIX, hashSecret, JOIN_TOKEN_PREFIX, newAgentCredential, newJoinToken } from "../auth/secret-tokens.ts";
import type { AckDiagnostic } from "@weft/mesh-model";
import type { ClusterRecord, ClustersRepository, ProxyCounts, ProxyRejection } from "./clusters.repository.ts";

export const DEFAULT_JOIN_TOKEN_TTL_HOURS = 24;
/** A connected agent refreshes lastSeenAt at least this often; older means its manager replica went away. */
export const AGENT_STALE_AFTER_MS = 90_000;

/** How a cluster's agent stands with the current config version. */
export type SyncState = "never" | "in-sync" | "behind" | "rejected";

/** A cluster as the dashboard shows it. */
export interface ClusterView extends Omit<ClusterRecord, "meshId"> {
  sync: { state: SyncState; meshConfigVersion: bigint; appliedConfigVersion: bigint | null };
}

/** A join token, shown once. */
export interface IssuedJoinToken {
  joinToken: string;
  expiresAt: Date;
}

export interface ClustersSettings {
  /** Failed join attempts allowed per client address per window. */
  joinAttempts: { max: number; windowMs: number };
}

export const DEFAULT_CLUSTERS_SETTINGS: ClustersSettings = { joinAttempts: { max: 10, windowMs: 10 * 60_000 } };

/**
 * What clusters need of the identity feature: a cluster that lost its
 * credentials or is deleted must not keep a CA other clusters trust.
 */
export interface IntermediateRevoker {
  /** Revokes the cluster's intermediates: inside `tx` when given (the cluster's deletion), else in a unit of work of its own. */
  revokeIntermediatesOf(clusterId: string, reason: string, tx?: TransactionRepositories): Promise<void>;
}

/** Clusters: creating them with a join token, agents joining, credentials and the agents' state. */
export class ClustersService {
  private readonly joinLimiter: LoginLimiter;

  constructor(
    private readonly repo: ClustersRepository,
    private readonly uow: UnitOfWork,
    private readonly mesh: () => Promise<MeshInfo>,
    private readonly identity: IntermediateRevoker,
    settings: ClustersSettings = DEFAULT_CLUSTERS_SETTINGS,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.joinLimiter = new LoginLimiter({ maxFailuresPerClient: settings.joinAttempts.max, windowMs: settings.joinAttempts.windowMs }, () => this.now().getTime());
  }

  private view(record: ClusterRecord, mesh: MeshInfo): ClusterView {
    const { meshId: _meshId, ...rest } = record;
    const applied = record.appliedConfigVersion;
    const state = syncStateOf(applied, record.lastRejection?.version ?? null, mesh.configVersion);
    const stale = record.status === "CONNECTED" && (!record.lastSeenAt || this.now().getTime() - record.lastSeenAt.getTime() > AGENT_STALE_AFTER_MS);
    return { ...rest, status: stale ? "DISCONNECTED" : record.status, sync: { state, meshConfigVersion: mesh.configVersion, appliedConfigVersion: applied } };
  }

  async list(): Promise<ClusterView[]> {
    const mesh = await this.mesh();
    return (await this.repo.list(mesh.id)).map((r) => this.view(r, mesh));
  }

  async byId(id: string): Promise<ClusterView> {
    const found = await this.repo.byId(id);
    if (!found) throw notFound(`cluster ${id}`, "id");
    return this.view(found, await this.mesh());
  }

  private issueToken(ttlHours: number): IssuedJoinToken & { hash: string } {
    const joinToken = newJoinToken();
    return { joinToken, hash: hashSecret(joinToken), expiresAt: new Date(this.now().getTime() + ttlHours * 3600_000) };
  }

  /** Creates a cluster and its one-time join token (the token is in this response only). */
  async create(input: { name: string; region?: string | undefined; joinTokenTtlHours?: number | undefined }): Promise<Audited<{ cluster: ClusterView } & IssuedJoinToken>> {
    const mesh = await this.mesh();
    const token = this.issueToken(input.joinTokenTtlHours ?? DEFAULT_JOIN_TOKEN_TTL_HOURS);
    const id = await this.repo.create({ meshId: mesh.id, name: input.name, region: input.region ?? null, joinTokenHash: token.hash, joinTokenExpiresAt: token.expiresAt });
    if (!id) throw conflict(`cluster "${input.name}" already exists`, "name");
    return { value: { cluster: await this.byId(id), joinToken: token.joinToken, expiresAt: token.expiresAt }, audit: { details: { joinTokenExpiresAt: token.expiresAt.toISOString() } } };
  }

  /** A new join token for an existing cluster (an agent that lost its credentials re-joins); replaces any outstanding one. */
  async createJoinToken(id: string, ttlHours = DEFAULT_JOIN_TOKEN_TTL_HOURS): Promise<IssuedJoinToken> {
    const token = this.issueToken(ttlHours);
    if (!(await this.repo.setJoinToken(id, { hash: token.hash, expiresAt: token.expiresAt }))) throw notFound(`cluster ${id}`, "id");
    return { joinToken: token.joinToken, expiresAt: token.expiresAt };
  }

  async revokeJoinToken(id: string): Promise<void> {
    if (!(await this.repo.setJoinToken(id, null))) throw notFound(`cluster ${id}`, "id");
  }

  /** Revokes the agent's credentials: its next call (and its open config stream) is refused. */
  async revokeCredentials(id: string): Promise<{ revoked: number }> {
    if (!(await this.repo.byId(id))) throw notFound(`cluster ${id}`, "id");
    const revoked = await this.repo.revokeCredentials(id, this.now());
    await this.identity.revokeIntermediatesOf(id, "clusters.revokeCredentials");
    return { revoked };
  }

  /** Deletes a cluster, what it reported, and its credentials. */
  async delete(id: string): Promise<Audited<{ name: string }>> {
    const name = await this.uow.run(async (tx) => {
      const found = await tx.clusters.nameOf(id);
      if (found === null) return null;
      // In the deletion's unit of work: the cascade removes the intermediates' rows, the revocation record stays.
      await this.identity.revokeIntermediatesOf(id, "clusters.delete", tx);
      await tx.clusters.delete(id);
      return found;
    });
    if (name === null) throw notFound(`cluster ${id}`, "id");
    return { value: { name }, audit: { target: `Cluster/${name}` } };
  }

  /**
   * Exchanges a join token for the agent's long-lived credential (in this
   * response only). Failed attempts are limited per client address.
   */
  async join(joinToken: string, agentVersion: string | undefined, ip: string): Promise<{ credential: string; cluster: { id: string; name: string }; trustDomain: string }> {
    if (!this.joinLimiter.allowed("join", ip)) throw new DomainError("RATE_LIMITED", "too many failed join attempts; try again later");
    const credential = newAgentCredential();
    const exchanged = joinToken.startsWith(JOIN_TOKEN_PREFIX)
      ? await this.uow.run((tx) => tx.clusters.exchangeJoinToken(hashSecret(joinToken), { prefix: credential.slice(0, AGENT_CREDENTIAL_PREFIX.length + 6), secretHash: hashSecret(credential) }, agentVersion ?? null, this.now()))
      : null;
    if (!exchanged) {
      this.joinLimiter.recordFailure("join", ip);
      // One answer for unknown, used, revoked and expired tokens: nothing to learn by probing.
      throw new DomainError("UNAUTHENTICATED", "the join token is invalid, used, revoked or expired; create a new one with clusters.createJoinToken", "joinToken");
    }
    return { credential, cluster: { id: exchanged.clusterId, name: exchanged.cluster }, trustDomain: (await this.mesh()).trustDomain };
  }

  /** The agent behind a credential hash (for authentication). */
  agentByCredential(secretHash: string, now: Date): Promise<AgentPrincipal | null> {
    return this.repo.agentByCredential(secretHash, now);
  }

  credentialActive(agent: AgentPrincipal): Promise<boolean> {
    return this.repo.credentialActive(agent.credentialId);
  }

  /** The agent's own cluster. */
  async ofAgent(agent: AgentPrincipal): Promise<ClusterView> {
    return this.byId(agent.clusterId);
  }

  /**
   * Liveness, with the agent's clock when it sent the heartbeat: the
   * difference is the cluster's clock skew (the request's transit time is
   * in it too, a few ms on a healthy network), which `weft check` reports.
   */
  async heartbeat(agent: AgentPrincipal, agentVersion: string | undefined, agentTime?: Date): Promise<void> {
    const now = this.now();
    // Clamped to the column's int4 range: a clock years off is reported as "very far off", not as an error.
    const clockSkewMs = agentTime ? Math.max(-2_000_000_000, Math.min(2_000_000_000, Math.round(agentTime.getTime() - now.getTime()))) : undefined;
    await this.repo.markSeen(agent.clusterId, { status: "CONNECTED", agentVersion, clockSkewMs, at: now });
  }

  async streamOpened(agent: AgentPrincipal): Promise<void> {
    await this.repo.markSeen(agent.clusterId, { status: "CONNECTED", at: this.now() });
  }

  async streamClosed(agent: AgentPrincipal): Promise<void> {
    await this.repo.markDisconnected(agent.clusterId);
  }

  /** Records an acknowledgement; the cluster's sync state against `meshConfigVersion` afterwards. */
  async recordAck(
    agent: AgentPrincipal,
    ack: { version: bigint; applied: boolean; reason: string | null; proxies: ProxyCounts; rejections: ProxyRejection[]; diagnostics: AckDiagnostic[] },
    meshConfigVersion: bigint,
  ): Promise<SyncState> {
    const after = await this.repo.recordAck(agent.clusterId, { ...ack, at: this.now() });
    if (!after) throw notFound(`cluster ${agent.cluster}`, "cluster");
    return syncStateOf(after.appliedConfigVersion, after.lastRejectedVersion, meshConfigVersion);
  }
}

/** Where a cluster's agent stands against the mesh's config version: a rejection newer than what it applied wins. */
export function syncStateOf(applied: bigint | null, lastRejectedVersion: bigint | null, meshConfigVersion: bigint): SyncState {
  if (lastRejectedVersion !== null && (applied === null || lastRejectedVersion > applied)) return "rejected";
  if (applied === null) return "never";
  return applied >= meshConfigVersion ? "in-sync" : "behind";
}
