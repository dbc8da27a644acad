import { describeCertificate, signIntermediate } from "@weft/identity";
import type { ClusterTrust, ReportedCertificate, SignedIntermediate } from "@weft/mesh-model";
import type { AgentPrincipal } from "../../access.ts";
import { conflict, invalid, notFound, preconditionFailed } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import { withAuditFacts, type Audited } from "../audit/audit-facts.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { IntermediateRevoker } from "../clusters/clusters.service.ts";
import type { AuthorityRecord, IdentityRepository, IntermediateRecord } from "./identity.repository.ts";
import type { AuthoritiesView, CertificateItem, CertificatesView, ImportAuthorityInput, IntermediateView } from "./identity.schema.ts";
import { asDomainError, generateSealedRoot, importSealedAuthority, isRootAuthority, openAuthority, requireCaKey } from "./mesh-authority.ts";

export interface IdentitySettings {
  /** Seals the mesh CA's key (WEFT_CA_KEY / WEFT_CA_KEY_FILE / $WEFT_HOME/ca.key); null: nothing can be signed. */
  caKey: Buffer | null;
  /**
   * expiryWarning is set when less than this share of a certificate's
   * lifetime is left (default 0.2). Agents renew at half-life, so a
   * certificate below 20 % missed its renewal: for a 24 h SVID that is
   * under 4.8 h left, for a 90-day intermediate under 18 days.
   */
  expiryWarningFraction?: number;
  /** How often the rotation controller ticks (default 5 s). */
  rotationTickMs?: number;
}

export const DEFAULT_EXPIRY_WARNING_FRACTION = 0.2;

const HOUR = 3_600_000;

/**
 * The mesh CA: the root generated or imported at the manager, cluster
 * intermediates signed from agents' CSRs, revocation, the workload
 * certificate inventory and the trust every cluster gets. The CA's key is
 * opened only to sign, and never returned, logged or put in an error.
 */
export class IdentityService implements IntermediateRevoker {
  constructor(
    private readonly repo: IdentityRepository,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly log: Logger,
    readonly settings: IdentitySettings,
    /** Called after a commit that changed what clusters trust: wakes this replica's config streams. */
    private readonly onTrustChanged: () => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * At manager start: when the mesh has no authority yet and a CA key is
   * configured, generates its root. Serialized on the mesh row, so replicas
   * starting together create one root.
   */
  async ensureAuthority(): Promise<AuthorityRecord | null> {
    if (!this.settings.caKey) {
      this.log.warn("no CA key configured (WEFT_CA_KEY or WEFT_CA_KEY_FILE): the mesh CA cannot sign until one is set");
      return null;
    }
    const mesh = await this.repo.mesh();
    if ((await this.repo.authorityCount(mesh.id)) > 0) return null;
    // Key generation and signing happen outside the transaction: it only checks and inserts.
    const root = await generateSealedRoot(mesh.trustDomain, this.settings.caKey);
    const created = await this.uow.run(async ({ identity: repo }) => {
      const locked = await repo.lockMesh();
      if ((await repo.authorityCount(locked.id)) > 0) return null;
      await repo.insertAuthority({ ...root, meshId: locked.id, state: "ACTIVE" });
      await repo.bumpTrustBundle(locked.id);
      return repo.authority(root.id);
    });
    if (!created) return null;
    this.onTrustChanged();
    this.log.info({ subject: created.subject, anchorFingerprint: created.anchorFingerprint, notAfter: created.notAfter }, "generated the mesh root CA");
    await this.audit.record({ actor: null, actorName: "system", action: "identity.generateRoot", outcome: "SUCCESS", target: `MeshAuthority/${created.anchorFingerprint}`, details: { subject: created.subject } });
    return created;
  }

  /**
   * Replaces the mesh's CA with an operator's root or intermediate. Only
   * before any cluster holds an intermediate: afterwards clusters trust the
   * current root, and only a staged rotation (rotation.start with `import`)
   * can move them without an outage.
   */
  async importAuthority(input: ImportAuthorityInput): Promise<Audited<AuthorityRecord>> {
    const caKey = requireCaKey(this.settings.caKey);
    const mesh = await this.repo.mesh();
    const sealed = importSealedAuthority(input, mesh.trustDomain, caKey);
    const target = `MeshAuthority/${sealed.anchorFingerprint}`;
    const created = await this.uow.run(async ({ identity: repo }) => {
      const locked = await repo.lockMesh();
      if ((await repo.intermediateCount(locked.id)) > 0)
        throw conflict("clusters already hold intermediates from the current CA: import the new CA with identity.rotation.start instead, so clusters move to it without an outage", "certificatePem");
      if (await repo.openRotation(locked.id)) throw conflict("a root rotation is in progress", "certificatePem");
      const now = this.now();
      for (const a of await repo.authorities(locked.id)) if (a.state !== "RETIRED") await repo.setAuthorityState(a.id, "RETIRED", now);
      await repo.insertAuthority({ ...sealed, meshId: locked.id, state: "ACTIVE" });
      await repo.bumpTrustBundle(locked.id);
      return repo.authority(sealed.id);
    }).catch((err: unknown) => Promise.reject(withAuditFacts(err, { target })));
    this.onTrustChanged();
    const record = created as AuthorityRecord;
    this.log.info({ subject: record.subject, anchorFingerprint: record.anchorFingerprint }, "imported the mesh CA");
    return { value: record, audit: { target, details: { subject: record.subject, serial: record.serial, anchorFingerprint: record.anchorFingerprint } } };
  }

  /**
   * Signs the calling cluster's intermediate under the ACTIVE authority. The
   * cluster comes from the agent's credential; a CSR naming another one is
   * refused (FORBIDDEN, `csr.subject.CN`) and nothing is stored.
   */
  async signIntermediate(agent: AgentPrincipal, csrPem: string): Promise<Audited<SignedIntermediate>> {
    const caKey = requireCaKey(this.settings.caKey);
    const mesh = await this.repo.mesh();
    const row = await this.repo.activeAuthorityWithKey(mesh.id);
    if (!row) throw preconditionFailed("the mesh has no CA yet");
    const signer = openAuthority(row, mesh.trustDomain, caKey);
    let issued;
    try {
      issued = await signIntermediate(csrPem, { root: signer, cluster: agent.cluster, trustDomain: mesh.trustDomain, now: this.now() });
    } catch (err) {
      throw asDomainError(err);
    }
    const cert = describeCertificate(issued.certificatePem);
    await this.repo.insertIntermediate({
      clusterId: agent.clusterId,
      clusterName: agent.cluster,
      authorityId: row.id,
      certificatePem: issued.certificatePem,
      subject: cert.subject,
      serial: cert.serial,
      fingerprint: cert.fingerprintSha256,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
    });
    this.log.info({ cluster: agent.cluster, serial: cert.serial, fingerprint: cert.fingerprintSha256, rootFingerprint: row.anchorFingerprint }, "signed a cluster intermediate");
    return {
      value: { certificatePem: issued.certificatePem, chainPem: issued.chainPem, rootFingerprint: row.anchorFingerprint, notAfter: cert.notAfter.toISOString() },
      audit: { target: `ClusterIntermediate/${cert.serial}`, details: { fingerprint: cert.fingerprintSha256, rootFingerprint: row.anchorFingerprint, notAfter: cert.notAfter.toISOString() } },
    };
  }

  /** Replaces the cluster's workload certificate inventory with the report, in one transaction. */
  async reportCertificates(agent: AgentPrincipal, certificates: ReportedCertificate[]): Promise<{ stored: number }> {
    const now = this.now();
    const rows = certificates.map((c) => ({ ...c, notBefore: new Date(c.notBefore), notAfter: new Date(c.notAfter) }));
    const stored = await this.uow.run((tx) => tx.identity.replaceCertificates(agent.clusterId, rows, now));
    return { stored };
  }

  /** Records the bundle version once every proxy of the cluster runs it. */
  async ackTrustBundle(agent: AgentPrincipal, input: { bundleVersion: string; proxies: { total: number; current: number } }): Promise<{ ok: true }> {
    const version = BigInt(input.bundleVersion);
    const mesh = await this.repo.mesh();
    if (version > mesh.trustBundleVersion) throw invalid(`the mesh's trust bundle is at version ${mesh.trustBundleVersion}; version ${version} was never sent`, "bundleVersion");
    if (input.proxies.current === input.proxies.total) await this.repo.acknowledgeTrust(agent.clusterId, version, this.now());
    return { ok: true };
  }

  /** What every cluster trusts now; null while the mesh has no CA. */
  trustBundle(): Promise<ClusterTrust | null> {
    return this.repo.trust(this.now());
  }

  /** The CA hierarchy: every authority, and per cluster its current and past intermediates. */
  async authorities(): Promise<AuthoritiesView> {
    const mesh = await this.repo.mesh();
    const [authorities, intermediates] = await Promise.all([this.repo.authorities(mesh.id), this.repo.intermediates(mesh.id)]);
    const now = this.now();
    const byCluster = new Map<string, IntermediateRecord[]>();
    for (const i of intermediates) byCluster.set(i.cluster, [...(byCluster.get(i.cluster) ?? []), i]);
    const clusters = [...byCluster.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([cluster, list]) => {
        // Newest first (the repository's order): the first valid one is current.
        const current = list.find((i) => i.revokedAt === null && i.notAfter > now) ?? null;
        const view = (i: IntermediateRecord): IntermediateView => ({
          ...i,
          status: i.revokedAt ? "revoked" : i.notAfter <= now ? "expired" : i === current ? "current" : "superseded",
        });
        return { cluster, current: current && view(current), past: list.filter((i) => i !== current).map(view) };
      });
    return {
      trustDomain: mesh.trustDomain,
      caKeyConfigured: this.settings.caKey !== null,
      bundleVersion: mesh.trustBundleVersion.toString(),
      authorities: authorities.map((a) => ({ ...a, origin: a.origin === "imported" ? "imported" : "generated", isRoot: isRootAuthority(a) })),
      clusters,
    };
  }

  /** Workload certificates and cluster intermediates, soonest expiry first, with expiry warnings. */
  async certificates(filter: { cluster?: string | undefined; expiringWithinHours?: number | undefined; limit: number }): Promise<CertificatesView> {
    const mesh = await this.repo.mesh();
    const now = this.now();
    const fraction = this.settings.expiryWarningFraction ?? DEFAULT_EXPIRY_WARNING_FRACTION;
    const before = filter.expiringWithinHours !== undefined ? new Date(now.getTime() + filter.expiringWithinHours * HOUR) : undefined;
    const item = (c: Omit<CertificateItem, "remainingHours" | "expiryWarning">): CertificateItem => {
      const lifetime = c.notAfter.getTime() - c.notBefore.getTime();
      const left = c.notAfter.getTime() - now.getTime();
      return { ...c, remainingHours: Math.round((left / HOUR) * 100) / 100, expiryWarning: !c.revoked && (left <= 0 || left < lifetime * fraction) };
    };
    const workloads = (await this.repo.workloadCertificates(mesh.id, { cluster: filter.cluster, notAfterBefore: before })).map((c) => item({ kind: "workload", ...c, revoked: false }));
    const intermediates = (await this.repo.intermediates(mesh.id))
      .filter((i) => (!filter.cluster || i.cluster === filter.cluster) && (!before || i.notAfter <= before))
      .map((i) => item({ kind: "intermediate", cluster: i.cluster, spiffeId: null, subject: i.subject, issuer: null, serial: i.serial, notBefore: i.notBefore, notAfter: i.notAfter, rootFingerprint: i.rootFingerprint, revoked: i.revokedAt !== null }));
    const all = [...workloads, ...intermediates].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime() || (a.serial < b.serial ? -1 : 1));
    return { items: all.slice(0, filter.limit), total: all.length, warning: { fraction } };
  }

  /**
   * Revokes every intermediate of the cluster and bumps the trust bundle in
   * one transaction: every other cluster's next config lists their
   * fingerprints in `trust.revokedFingerprints`.
   */
  async revokeCluster(name: string): Promise<Audited<{ cluster: string; revoked: number; bundleVersion: string }>> {
    const mesh = await this.repo.mesh();
    const cluster = await this.repo.clusterByName(mesh.id, name);
    if (!cluster) throw notFound(`cluster "${name}"`, "cluster");
    const result = await this.uow.run((tx) => tx.identity.revokeClusterIntermediates(mesh.id, cluster.id, "identity.revokeCluster", this.now()));
    this.onTrustChanged();
    this.log.info({ cluster: name, revoked: result.revoked.length }, "revoked the cluster's intermediates");
    return { value: { cluster: name, revoked: result.revoked.length, bundleVersion: result.bundleVersion.toString() }, audit: { details: { revoked: result.revoked.map((r) => r.fingerprint) } } };
  }

  /**
   * For the clusters feature: revokes the cluster's intermediates because its
   * credentials were revoked or it is being deleted. Inside the caller's
   * unit of work when `tx` is given (the cluster's deletion), else in its own.
   */
  async revokeIntermediatesOf(clusterId: string, reason: string, tx?: TransactionRepositories): Promise<void> {
    const revoke = (repos: TransactionRepositories) => repos.identity.revokeClusterIntermediates(null, clusterId, reason, this.now());
    const result = tx ? await revoke(tx) : await this.uow.run(revoke);
    if (result.revoked.length > 0) this.log.info({ cluster: result.cluster, revoked: result.revoked.length, reason }, "revoked the cluster's intermediates");
    if (!tx) this.onTrustChanged();
  }
}
