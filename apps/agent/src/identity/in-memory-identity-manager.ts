// An in-memory stand-in for the manager's identity procedures
// (agent.signIntermediate, agent.reportCertificates, agent.ackTrustBundle),
// built on the same @weft/identity functions the manager uses. For tests of
// the agent's identity loop, and for the agent run without a manager.
import { generateMeshRoot, parseCertificate, signIntermediate, type CertificateAuthority } from "@weft/identity";
import type { AckTrustBundleInput, ClusterTrust, ReportCertificatesInput, ReportedCertificate, SignIntermediateInput } from "@weft/mesh-model";
import type { ManagerIdentityApi } from "./identity-controller.ts";

export class InMemoryIdentityManager implements ManagerIdentityApi {
  /** Every root in the bundle; the last one signs. */
  roots: CertificateAuthority[] = [];
  revokedFingerprints: string[] = [];
  bundleVersion = 1;
  /** Make calls fail, as an unreachable manager would. */
  down = false;
  /** Lifetime of signed intermediates (ms); the library default when undefined. */
  intermediateTtlMs: number | undefined;
  readonly signed: { certificatePem: string; rootFingerprint: string }[] = [];
  readonly reports: ReportedCertificate[][] = [];
  readonly acks: AckTrustBundleInput[] = [];

  constructor(
    readonly trustDomain: string,
    readonly cluster: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A manager whose mesh has a CA. */
  static async withCa(trustDomain: string, cluster: string, now?: () => Date): Promise<InMemoryIdentityManager> {
    const manager = new InMemoryIdentityManager(trustDomain, cluster, now);
    await manager.addRoot();
    return manager;
  }

  get issuing(): CertificateAuthority {
    const root = this.roots.at(-1);
    if (!root) throw new Error("the mesh has no CA");
    return root;
  }

  /** A new root in the bundle that signs from now on (the first step of a root rotation). */
  async addRoot(): Promise<CertificateAuthority> {
    const root = await generateMeshRoot({ trustDomain: this.trustDomain, now: new Date(this.now().getTime() - 3_600_000) });
    this.roots.push(root);
    if (this.roots.length > 1) this.bundleVersion++;
    return root;
  }

  /** What ClusterConfig.trust carries. */
  trust(): ClusterTrust {
    const roots = this.roots.map((r) => ({ pem: r.certificatePem, fingerprint: parseCertificate(r.certificatePem).fingerprintSha256 }));
    return {
      bundleVersion: String(this.bundleVersion),
      rootsPem: roots.sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1)).map((r) => r.pem),
      issuingRootFingerprint: parseCertificate(this.issuing.certificatePem).fingerprintSha256,
      revokedFingerprints: [...this.revokedFingerprints].sort(),
    };
  }

  async signIntermediate(input: SignIntermediateInput) {
    this.#reachable();
    const root = this.issuing;
    const issued = await signIntermediate(input.csrPem, {
      root,
      cluster: this.cluster,
      trustDomain: this.trustDomain,
      now: this.now(),
      ...(this.intermediateTtlMs !== undefined && { ttl: this.intermediateTtlMs }),
    });
    const rootFingerprint = parseCertificate(root.certificatePem).fingerprintSha256;
    this.signed.push({ certificatePem: issued.certificatePem, rootFingerprint });
    return { ...issued, rootFingerprint, notAfter: parseCertificate(issued.certificatePem).notAfter.toISOString() };
  }

  async reportCertificates(input: ReportCertificatesInput) {
    this.#reachable();
    this.reports.push(input.certificates);
    return { stored: input.certificates.length };
  }

  async ackTrustBundle(input: AckTrustBundleInput) {
    this.#reachable();
    this.acks.push(input);
    return { ok: true as const };
  }

  #reachable(): void {
    if (this.down) throw new Error("fetch failed: the manager is unreachable");
  }
}
