import { Prisma, type ClusterStatus as StoredClusterStatus } from "@weft/db";
import { AckDiagnosticSchema, type AckDiagnostic } from "@weft/mesh-model";
import type { AgentPrincipal } from "../../access.ts";
import type { DbClient, SameValues } from "../../db-client.ts";

/** Whether a cluster's agent is talking to the manager. */
export type ClusterStatus = "PENDING" | "CONNECTED" | "DISCONNECTED";
const _sameStatus: SameValues<StoredClusterStatus, ClusterStatus> = true;

/** Counts of the proxies in an agent's last acknowledgement. */
export interface ProxyCounts {
  total: number;
  applied: number;
  rejected: number;
}

/** A proxy that refused a config version, and why. */
export interface ProxyRejection {
  proxy: string;
  reason: string;
}

/** The compile diagnostics a cluster's agent last acknowledged. */
export interface ClusterDiagnostics {
  cluster: string;
  /** The config version they are for; null before the agent's first acknowledgement. */
  configVersion: bigint | null;
  reportedAt: Date | null;
  diagnostics: AckDiagnostic[];
}

const StoredDiagnostics = AckDiagnosticSchema.array();

/** A cluster row as the clusters service reads it. */
export interface ClusterRecord {
  id: string;
  meshId: string;
  name: string;
  region: string | null;
  status: ClusterStatus;
  lastSeenAt: Date | null;
  agentVersion: string | null;
  /** The agent's clock minus the manager's at its last heartbeat, in ms; null until it reports its time. */
  clockSkewMs: number | null;
  appliedConfigVersion: bigint | null;
  joinTokenExpiresAt: Date | null;
  joinTokenPending: boolean;
  gateway: { address: string; port: number } | null;
  lastAckAt: Date | null;
  proxyCounts: ProxyCounts;
  lastRejection: { version: bigint; reason: string; at: Date; proxies: ProxyRejection[] } | null;
  activeCredentials: number;
  counts: { services: number; workloads: number; endpoints: number };
  createdAt: Date;
}

const select = {
  id: true,
  meshId: true,
  name: true,
  region: true,
  status: true,
  lastSeenAt: true,
  agentVersion: true,
  clockSkewMs: true,
  appliedConfigVersion: true,
  joinTokenHash: true,
  joinTokenExpiresAt: true,
  gatewayAddress: true,
  gatewayPort: true,
  lastAckAt: true,
  proxyCounts: true,
  lastRejectedVersion: true,
  lastRejectionReason: true,
  lastRejectedAt: true,
  lastRejectionDetail: true,
  createdAt: true,
  _count: { select: { services: true, workloads: true, credentials: { where: { revokedAt: null } } } },
} as const;

type Row = Prisma.ClusterGetPayload<{ select: typeof select }>;

function toRecord(row: Row, endpoints: number): ClusterRecord {
  const counts = (row.proxyCounts ?? {}) as Partial<ProxyCounts>;
  return {
    id: row.id,
    meshId: row.meshId,
    name: row.name,
    region: row.region,
    status: row.status,
    lastSeenAt: row.lastSeenAt,
    agentVersion: row.agentVersion,
    clockSkewMs: row.clockSkewMs,
    appliedConfigVersion: row.appliedConfigVersion,
    joinTokenExpiresAt: row.joinTokenHash ? row.joinTokenExpiresAt : null,
    joinTokenPending: row.joinTokenHash !== null,
    gateway: row.gatewayAddress !== null && row.gatewayPort !== null ? { address: row.gatewayAddress, port: row.gatewayPort } : null,
    lastAckAt: row.lastAckAt,
    proxyCounts: { total: counts.total ?? 0, applied: counts.applied ?? 0, rejected: counts.rejected ?? 0 },
    lastRejection:
      row.lastRejectedVersion !== null && row.lastRejectedAt !== null
        ? { version: row.lastRejectedVersion, reason: row.lastRejectionReason ?? "", at: row.lastRejectedAt, proxies: (row.lastRejectionDetail ?? []) as unknown as ProxyRejection[] }
        : null,
    activeCredentials: row._count.credentials,
    counts: { services: row._count.services, workloads: row._count.workloads, endpoints },
    createdAt: row.createdAt,
  };
}

/** Clusters, their join tokens, agent credentials and agent state. The only Prisma code of the feature. */
export class ClustersRepository {
  constructor(private readonly db: DbClient) {}

  private async endpointCounts(clusterIds: string[]): Promise<Map<string, number>> {
    if (clusterIds.length === 0) return new Map();
    const rows = await this.db.$queryRaw<{ clusterId: string; n: bigint }[]>`
      SELECT s."clusterId"::text AS "clusterId", count(e.id) AS n FROM "Endpoint" e JOIN "Service" s ON s.id = e."serviceId"
      WHERE s."clusterId"::text = ANY(${clusterIds}) GROUP BY s."clusterId"`;
    return new Map(rows.map((r) => [r.clusterId, Number(r.n)]));
  }

  async list(meshId: string): Promise<ClusterRecord[]> {
    const rows = await this.db.cluster.findMany({ where: { meshId }, select, orderBy: { name: "asc" } });
    const endpoints = await this.endpointCounts(rows.map((r) => r.id));
    return rows.map((r) => toRecord(r, endpoints.get(r.id) ?? 0));
  }

  async byId(id: string): Promise<ClusterRecord | null> {
    const row = await this.db.cluster.findUnique({ where: { id }, select });
    if (!row) return null;
    return toRecord(row, (await this.endpointCounts([row.id])).get(row.id) ?? 0);
  }

  /** Creates a cluster with an outstanding join token; null when the name is taken. */
  async create(data: { meshId: string; name: string; region: string | null; joinTokenHash: string; joinTokenExpiresAt: Date }): Promise<string | null> {
    try {
      return (await this.db.cluster.create({ data, select: { id: true } })).id;
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") return null;
      throw err;
    }
  }

  /** Replaces the cluster's join token (null revokes it); false when the cluster does not exist. */
  async setJoinToken(id: string, token: { hash: string; expiresAt: Date } | null): Promise<boolean> {
    const { count } = await this.db.cluster.updateMany({ where: { id }, data: { joinTokenHash: token?.hash ?? null, joinTokenExpiresAt: token?.expiresAt ?? null } });
    return count === 1;
  }

  /**
   * Exchanges a join token for a credential (inside the caller's unit of
   * work, so it is atomic): the token is consumed (a second exchange finds
   * nothing) and the cluster's earlier credentials are revoked (one agent
   * identity per cluster).
   */
  async exchangeJoinToken(tokenHash: string, credential: { prefix: string; secretHash: string }, agentVersion: string | null, now: Date): Promise<{ clusterId: string; cluster: string; meshId: string } | null> {
    const cluster = await this.db.cluster.findUnique({ where: { joinTokenHash: tokenHash }, select: { id: true, name: true, meshId: true, joinTokenExpiresAt: true } });
    if (!cluster || !cluster.joinTokenExpiresAt || cluster.joinTokenExpiresAt <= now) return null;
    const { count } = await this.db.cluster.updateMany({ where: { id: cluster.id, joinTokenHash: tokenHash }, data: { joinTokenHash: null, joinTokenExpiresAt: null, agentVersion } });
    if (count !== 1) return null;
    await this.db.agentCredential.updateMany({ where: { clusterId: cluster.id, revokedAt: null }, data: { revokedAt: now } });
    await this.db.agentCredential.create({ data: { clusterId: cluster.id, prefix: credential.prefix, secretHash: credential.secretHash } });
    return { clusterId: cluster.id, cluster: cluster.name, meshId: cluster.meshId };
  }

  /** Revokes every active credential of the cluster; returns how many. */
  async revokeCredentials(clusterId: string, now: Date): Promise<number> {
    const { count } = await this.db.agentCredential.updateMany({ where: { clusterId, revokedAt: null }, data: { revokedAt: now } });
    await this.db.cluster.updateMany({ where: { id: clusterId }, data: { status: "DISCONNECTED" } });
    return count;
  }

  /** The cluster's name; null when it does not exist. */
  async nameOf(id: string): Promise<string | null> {
    return (await this.db.cluster.findUnique({ where: { id }, select: { name: true } }))?.name ?? null;
  }

  /**
   * Deletes the cluster with everything it reported and its credentials
   * (cascade), and bumps the catalog version (inside the caller's unit of work).
   */
  async delete(id: string): Promise<void> {
    await this.db.cluster.delete({ where: { id } });
    // Other clusters' catalogs lose this cluster's services.
    await this.db.$executeRaw`UPDATE "Mesh" SET "catalogVersion" = "catalogVersion" + 1`;
    await this.db.$executeRaw`SELECT pg_notify('weft_config', 'catalog')`;
  }

  /** The agent a credential authenticates; null when unknown or revoked. */
  async agentByCredential(secretHash: string, now: Date): Promise<AgentPrincipal | null> {
    const found = await this.db.agentCredential.findUnique({ where: { secretHash }, select: { id: true, revokedAt: true, lastUsedAt: true, cluster: { select: { id: true, name: true, meshId: true } } } });
    if (!found || found.revokedAt) return null;
    // Write at most once a minute: agents call every few seconds.
    if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() > 60_000) await this.db.agentCredential.updateMany({ where: { id: found.id }, data: { lastUsedAt: now } });
    return { kind: "agent", credentialId: found.id, clusterId: found.cluster.id, cluster: found.cluster.name, meshId: found.cluster.meshId };
  }

  /** True while the credential is active (an open config stream re-checks it). */
  async credentialActive(credentialId: string): Promise<boolean> {
    return (await this.db.agentCredential.count({ where: { id: credentialId, revokedAt: null } })) === 1;
  }

  async markSeen(clusterId: string, data: { status?: ClusterStatus; agentVersion?: string | undefined; clockSkewMs?: number | undefined; at: Date }): Promise<void> {
    await this.db.cluster.updateMany({
      where: { id: clusterId },
      data: {
        lastSeenAt: data.at,
        ...(data.status ? { status: data.status } : {}),
        ...(data.agentVersion !== undefined ? { agentVersion: data.agentVersion } : {}),
        ...(data.clockSkewMs !== undefined ? { clockSkewMs: data.clockSkewMs } : {}),
      },
    });
  }

  async markDisconnected(clusterId: string): Promise<void> {
    await this.db.cluster.updateMany({ where: { id: clusterId }, data: { status: "DISCONNECTED" } });
  }

  /** Records an acknowledgement on the cluster: the applied version, or the rejection with its reason. */
  async recordAck(
    clusterId: string,
    ack: { version: bigint; applied: boolean; reason: string | null; proxies: ProxyCounts; rejections: ProxyRejection[]; diagnostics: AckDiagnostic[]; at: Date },
  ): Promise<{ appliedConfigVersion: bigint | null; lastRejectedVersion: bigint | null } | null> {
    // updateMany + one read would be two round trips; update with a select is one (and null when the cluster is gone).
    const rows = await this.db.cluster.updateManyAndReturn({
      where: { id: clusterId },
      select: { appliedConfigVersion: true, lastRejectedVersion: true },
      data: {
        lastAckAt: ack.at,
        lastSeenAt: ack.at,
        status: "CONNECTED",
        proxyCounts: ack.proxies as unknown as Prisma.InputJsonObject,
        compileDiagnostics: ack.diagnostics as unknown as Prisma.InputJsonArray,
        diagnosticsVersion: ack.version,
        diagnosticsAt: ack.at,
        ...(ack.applied
          ? { appliedConfigVersion: ack.version }
          : { lastRejectedVersion: ack.version, lastRejectionReason: ack.reason ?? "", lastRejectedAt: ack.at, lastRejectionDetail: ack.rejections as unknown as Prisma.InputJsonArray }),
      },
    });
    return rows[0] ?? null;
  }

  /** Each cluster's last acknowledged compile diagnostics, clusters by name. */
  async compileDiagnostics(meshId: string): Promise<ClusterDiagnostics[]> {
    const rows = await this.db.cluster.findMany({ where: { meshId }, select: { name: true, compileDiagnostics: true, diagnosticsVersion: true, diagnosticsAt: true }, orderBy: { name: "asc" } });
    return rows.map((r) => {
      // Stored as the agent sent them (validated then); a row that no longer parses shows nothing rather than failing the list.
      const parsed = StoredDiagnostics.safeParse(r.compileDiagnostics);
      return { cluster: r.name, configVersion: r.diagnosticsVersion, reportedAt: r.diagnosticsAt, diagnostics: parsed.success ? parsed.data : [] };
    });
  }
}
