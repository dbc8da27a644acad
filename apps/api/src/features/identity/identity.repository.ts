import type { AuthorityState as StoredAuthorityState, Prisma, RotationStep as StoredRotationStep } from "@weft/db";
import type { ClusterTrust } from "@weft/mesh-model";
import type { DbClient, SameValues } from "../../db-client.ts";
import { DEFAULT_MESH_NAME } from "../mesh/mesh.repository.ts";
import type { AuthorityState, RotationProgress, RotationStep } from "./identity.schema.ts";
import type { ClusterObservation } from "./rotation-plan.ts";

const _sameStates: SameValues<StoredAuthorityState, AuthorityState> = true;
const _sameSteps: SameValues<StoredRotationStep, RotationStep> = true;

/** A mesh CA row without its sealed key. */
export interface AuthorityRecord {
  id: string;
  meshId: string;
  state: AuthorityState;
  origin: string;
  certificatePem: string;
  chainPem: string[];
  trustAnchorPem: string;
  anchorFingerprint: string;
  subject: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
  retiredAt: Date | null;
}

export interface IntermediateRecord {
  id: string;
  cluster: string;
  authorityId: string;
  rootFingerprint: string;
  subject: string;
  serial: string;
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface WorkloadCertificateRecord {
  cluster: string;
  spiffeId: string;
  subject: string;
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  rootFingerprint: string;
}

/** One step taken or operator action on a rotation. */
export interface RotationHistoryEntry {
  step: RotationStep;
  at: string;
  by: string;
  action: string;
}

export interface RotationRecord {
  id: string;
  meshId: string;
  fromAuthorityId: string;
  toAuthorityId: string;
  step: RotationStep;
  paused: boolean;
  progress: RotationProgress;
  awaitBundleVersion: bigint | null;
  startedBy: string;
  history: RotationHistoryEntry[];
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  reversedAt: Date | null;
}

/** What a rotation step or operator action changes. */
export interface RotationUpdate {
  step?: RotationStep;
  paused?: boolean;
  progress?: RotationProgress;
  awaitBundleVersion?: bigint | null;
  history?: RotationHistoryEntry[];
  completedAt?: Date | null;
  reversedAt?: Date | null;
  fromAuthorityId?: string;
  toAuthorityId?: string;
}

const EMPTY_PROGRESS: RotationProgress = { computedAt: null, clusters: [], waitingFor: [] };

function toRotation(row: Prisma.RootRotationGetPayload<object>): RotationRecord {
  const progress = row.progress as Partial<RotationProgress> | null;
  return {
    ...row,
    progress: progress && Array.isArray(progress.clusters) ? { ...EMPTY_PROGRESS, ...progress } : EMPTY_PROGRESS,
    history: Array.isArray(row.history) ? (row.history as unknown as RotationHistoryEntry[]) : [],
  };
}

function rotationData(update: RotationUpdate): Prisma.RootRotationUpdateInput {
  const { progress, history, ...rest } = update;
  return {
    ...rest,
    ...(progress !== undefined ? { progress: progress as unknown as Prisma.InputJsonObject } : {}),
    ...(history !== undefined ? { history: history as unknown as Prisma.InputJsonArray } : {}),
  };
}

export interface MeshTrustHead {
  id: string;
  trustDomain: string;
  trustBundleVersion: bigint;
}

/** The audit action recording which intermediates a revocation covered (their rows outlive a deleted cluster too). */
export const REVOCATION_RECORD_ACTION = "identity.intermediatesRevoked";

const authoritySelect = {
  id: true,
  meshId: true,
  state: true,
  origin: true,
  certificatePem: true,
  chainPem: true,
  trustAnchorPem: true,
  anchorFingerprint: true,
  subject: true,
  serial: true,
  notBefore: true,
  notAfter: true,
  createdAt: true,
  retiredAt: true,
} as const;

const intermediateSelect = {
  id: true,
  authorityId: true,
  subject: true,
  serial: true,
  fingerprint: true,
  notBefore: true,
  notAfter: true,
  createdAt: true,
  revokedAt: true,
  clusterName: true,
  authority: { select: { anchorFingerprint: true } },
} as const;

type IntermediateRow = Prisma.ClusterIntermediateGetPayload<{ select: typeof intermediateSelect }>;

function toIntermediate(row: IntermediateRow): IntermediateRecord {
  const { clusterName, authority, ...rest } = row;
  return { ...rest, cluster: clusterName, rootFingerprint: authority.anchorFingerprint };
}

/** Roots trusted in each authority state (RETIRED is out of every bundle). */
const TRUSTED_STATES: AuthorityState[] = ["ACTIVE", "STAGED", "DRAINING"];

/**
 * The mesh CA, cluster intermediates, the certificate inventory and
 * rotations. The only Prisma code of the feature; methods that change
 * several rows run inside the caller's unit of work.
 */
export class IdentityRepository {
  constructor(private readonly db: DbClient) {}

  async mesh(): Promise<MeshTrustHead> {
    return this.db.mesh.findUniqueOrThrow({ where: { name: DEFAULT_MESH_NAME }, select: { id: true, trustDomain: true, trustBundleVersion: true } });
  }

  /** Locks the mesh row until the transaction ends: CA changes and rotation steps are serialized. */
  async lockMesh(): Promise<MeshTrustHead> {
    await this.db.$queryRaw`SELECT id FROM "Mesh" WHERE name = ${DEFAULT_MESH_NAME} FOR UPDATE`;
    return this.mesh();
  }

  /** Bumps Mesh.trustBundleVersion and notifies every replica's config bus (delivered at commit). */
  async bumpTrustBundle(meshId: string): Promise<bigint> {
    const { trustBundleVersion } = await this.db.mesh.update({ where: { id: meshId }, data: { trustBundleVersion: { increment: 1 } }, select: { trustBundleVersion: true } });
    await this.db.$executeRaw`SELECT pg_notify('weft_config', 'trust')`;
    return trustBundleVersion;
  }

  async authorities(meshId: string): Promise<AuthorityRecord[]> {
    return this.db.meshAuthority.findMany({ where: { meshId }, select: authoritySelect, orderBy: { createdAt: "desc" } });
  }

  async authority(id: string): Promise<AuthorityRecord | null> {
    return this.db.meshAuthority.findUnique({ where: { id }, select: authoritySelect });
  }

  async authorityCount(meshId: string): Promise<number> {
    return this.db.meshAuthority.count({ where: { meshId } });
  }

  /** The signing authority with its sealed key (the only read of the key column). */
  async activeAuthorityWithKey(meshId: string): Promise<(AuthorityRecord & { sealedKey: string }) | null> {
    return this.db.meshAuthority.findFirst({ where: { meshId, state: "ACTIVE" }, select: { ...authoritySelect, sealedKey: true }, orderBy: { createdAt: "desc" } });
  }

  async insertAuthority(data: Omit<AuthorityRecord, "createdAt" | "retiredAt"> & { sealedKey: string }): Promise<void> {
    await this.db.meshAuthority.create({ data });
  }

  async setAuthorityState(id: string, state: AuthorityState, now: Date): Promise<void> {
    await this.db.meshAuthority.update({ where: { id }, data: { state, retiredAt: state === "RETIRED" ? now : null } });
  }

  async intermediateCount(meshId: string): Promise<number> {
    return this.db.clusterIntermediate.count({ where: { authority: { meshId } } });
  }

  async insertIntermediate(data: { clusterId: string; clusterName: string; authorityId: string; certificatePem: string; subject: string; serial: string; fingerprint: string; notBefore: Date; notAfter: Date }): Promise<void> {
    await this.db.clusterIntermediate.create({ data });
  }

  async intermediates(meshId: string): Promise<IntermediateRecord[]> {
    const rows = await this.db.clusterIntermediate.findMany({ where: { authority: { meshId } }, select: intermediateSelect, orderBy: [{ createdAt: "desc" }, { id: "asc" }] });
    return rows.map(toIntermediate);
  }

  async clusterByName(meshId: string, name: string): Promise<{ id: string; name: string } | null> {
    return this.db.cluster.findUnique({ where: { meshId_name: { meshId, name } }, select: { id: true, name: true } });
  }

  /**
   * Revokes the cluster's intermediates, records their fingerprints in an
   * audit event (REVOCATION_RECORD_ACTION), and bumps the trust bundle:
   * inside the caller's transaction. The rows outlive a deleted cluster
   * (clusterId is set null), so the revocation stays in every bundle until
   * the intermediates expire.
   */
  async revokeClusterIntermediates(meshId: string | null, clusterId: string, reason: string, now: Date): Promise<{ cluster: string; revoked: { fingerprint: string; notAfter: Date }[]; bundleVersion: bigint }> {
    const cluster = await this.db.cluster.findUniqueOrThrow({ where: { id: clusterId }, select: { name: true, meshId: true } });
    const rows = await this.db.clusterIntermediate.findMany({ where: { clusterId, revokedAt: null }, select: { id: true, fingerprint: true, notAfter: true } });
    if (rows.length > 0) await this.db.clusterIntermediate.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { revokedAt: now } });
    const revoked = rows.map((r) => ({ fingerprint: r.fingerprint, notAfter: r.notAfter }));
    if (revoked.length > 0) {
      await this.db.auditEvent.create({
        data: {
          actorType: "SYSTEM",
          actorName: "system",
          action: REVOCATION_RECORD_ACTION,
          target: `Cluster/${cluster.name}`,
          cluster: cluster.name,
          outcome: "SUCCESS",
          details: { reason, intermediates: revoked.map((r) => ({ fingerprint: r.fingerprint, notAfter: r.notAfter.toISOString() })) },
        },
      });
    }
    // Nothing revoked, nothing for clusters to learn: no new bundle.
    const bundleVersion =
      revoked.length > 0 ? await this.bumpTrustBundle(meshId ?? cluster.meshId) : (await this.db.mesh.findUniqueOrThrow({ where: { id: meshId ?? cluster.meshId }, select: { trustBundleVersion: true } })).trustBundleVersion;
    return { cluster: cluster.name, revoked, bundleVersion };
  }

  /** What every cluster must trust now; null while the mesh has no signing authority. */
  async trust(now: Date): Promise<ClusterTrust | null> {
    const mesh = await this.db.mesh.findUnique({ where: { name: DEFAULT_MESH_NAME }, select: { id: true, trustBundleVersion: true } });
    if (!mesh) return null;
    const authorities = await this.db.meshAuthority.findMany({ where: { meshId: mesh.id, state: { in: TRUSTED_STATES } }, select: { state: true, trustAnchorPem: true, anchorFingerprint: true, createdAt: true }, orderBy: { createdAt: "desc" } });
    const active = authorities.find((a) => a.state === "ACTIVE");
    if (!active) return null;
    const roots = new Map<string, string>();
    for (const a of authorities) roots.set(a.anchorFingerprint, a.trustAnchorPem);
    const revoked = new Set<string>();
    // Deleted clusters included: their intermediates' rows outlive them.
    const rows = await this.db.clusterIntermediate.findMany({ where: { authority: { meshId: mesh.id }, revokedAt: { not: null }, notAfter: { gt: now } }, select: { fingerprint: true } });
    for (const r of rows) revoked.add(r.fingerprint);
    const sorted = [...roots.keys()].sort();
    return {
      bundleVersion: mesh.trustBundleVersion.toString(),
      rootsPem: sorted.map((fp) => roots.get(fp) as string),
      issuingRootFingerprint: active.anchorFingerprint,
      revokedFingerprints: [...revoked].sort(),
    };
  }

  /** Replaces the cluster's workload certificate inventory (inside the caller's transaction). */
  async replaceCertificates(clusterId: string, certificates: Omit<WorkloadCertificateRecord, "cluster">[], now: Date): Promise<number> {
    await this.db.workloadCertificate.deleteMany({ where: { clusterId } });
    if (certificates.length === 0) return 0;
    const { count } = await this.db.workloadCertificate.createMany({ data: certificates.map((c) => ({ ...c, clusterId, reportedAt: now })) });
    return count;
  }

  /** Records that every proxy of the cluster runs `version` (never moves backwards). */
  async acknowledgeTrust(clusterId: string, version: bigint, now: Date): Promise<void> {
    await this.db.$executeRaw`UPDATE "Cluster" SET "trustBundleVersion" = GREATEST(COALESCE("trustBundleVersion", 0), ${version}), "trustBundleAckAt" = ${now}, "lastSeenAt" = ${now} WHERE id = ${clusterId}::uuid`;
  }

  async workloadCertificates(meshId: string, filter: { cluster?: string | undefined; notAfterBefore?: Date | undefined }): Promise<WorkloadCertificateRecord[]> {
    const rows = await this.db.workloadCertificate.findMany({
      where: { cluster: { meshId, ...(filter.cluster ? { name: filter.cluster } : {}) }, ...(filter.notAfterBefore ? { notAfter: { lte: filter.notAfterBefore } } : {}) },
      select: { spiffeId: true, subject: true, issuer: true, serial: true, notBefore: true, notAfter: true, rootFingerprint: true, cluster: { select: { name: true } } },
      orderBy: [{ notAfter: "asc" }, { serial: "asc" }],
    });
    return rows.map(({ cluster, ...rest }) => ({ ...rest, cluster: cluster.name }));
  }

  /**
   * Active clusters (a non-revoked agent credential that has been used at
   * least once) with what the rotation waits for: the bundle they
   * acknowledged, an intermediate under the new authority, and how many of
   * their workload certificates chain to the new root.
   */
  async observeClusters(meshId: string, to: { id: string; anchorFingerprint: string }, now: Date): Promise<ClusterObservation[]> {
    const clusters = await this.db.cluster.findMany({
      where: { meshId, credentials: { some: { revokedAt: null, lastUsedAt: { not: null } } } },
      select: {
        id: true,
        name: true,
        trustBundleVersion: true,
        intermediates: { where: { authorityId: to.id, revokedAt: null, notAfter: { gt: now } }, select: { id: true }, take: 1 },
        _count: { select: { certificates: true } },
      },
    });
    if (clusters.length === 0) return [];
    const migrated = await this.db.workloadCertificate.groupBy({ by: ["clusterId"], where: { clusterId: { in: clusters.map((c) => c.id) }, rootFingerprint: to.anchorFingerprint }, _count: { _all: true } });
    const migratedBy = new Map(migrated.map((m) => [m.clusterId, m._count._all]));
    return clusters.map((c) => ({
      cluster: c.name,
      bundleVersion: c.trustBundleVersion,
      hasNewIntermediate: c.intermediates.length > 0,
      certificates: { total: c._count.certificates, migrated: migratedBy.get(c.id) ?? 0 },
    }));
  }

  async openRotation(meshId: string): Promise<RotationRecord | null> {
    const row = await this.db.rootRotation.findFirst({ where: { meshId, completedAt: null }, orderBy: { createdAt: "desc" } });
    return row && toRotation(row);
  }

  async rotation(id: string): Promise<RotationRecord | null> {
    const row = await this.db.rootRotation.findUnique({ where: { id } });
    return row && toRotation(row);
  }

  async latestRotation(meshId: string): Promise<RotationRecord | null> {
    const row = await this.db.rootRotation.findFirst({ where: { meshId }, orderBy: { createdAt: "desc" } });
    return row && toRotation(row);
  }

  async rotations(meshId: string, limit: number): Promise<RotationRecord[]> {
    return (await this.db.rootRotation.findMany({ where: { meshId }, orderBy: { createdAt: "desc" }, take: limit })).map(toRotation);
  }

  async createRotation(data: { meshId: string; fromAuthorityId: string; toAuthorityId: string; awaitBundleVersion: bigint; startedBy: string; history: RotationHistoryEntry[] }): Promise<RotationRecord> {
    const { history, ...rest } = data;
    return toRotation(await this.db.rootRotation.create({ data: { ...rest, history: history as unknown as Prisma.InputJsonArray, step: "ADD_ROOT" } }));
  }

  async updateRotation(id: string, update: RotationUpdate): Promise<RotationRecord> {
    return toRotation(await this.db.rootRotation.update({ where: { id }, data: rotationData(update) }));
  }
}
