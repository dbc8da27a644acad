// A simulated cluster agent for the identity tests: it does what the real
// agent does with ClusterConfig.trust, with the real identity library (CSR,
// intermediate, workload SVIDs) and the real agent procedures.
import { randomBytes } from "node:crypto";
import { clusterAuthority, createIntermediateCsr, describeCertificate, issueWorkloadSvid, type CertificateAuthority, type WorkloadSvid } from "@weft/identity";
import type { ClusterTrust } from "@weft/mesh-model";
import { TEST_SERVICE_SETTINGS, type ApiClient } from "../src/testing.ts";
import type { ServiceSettings } from "../src/services.ts";

/** Service settings with a fresh CA key (what WEFT_CA_KEY would hold). */
export function identitySettings(caKey: Buffer = randomBytes(32)): ServiceSettings {
  return { ...TEST_SERVICE_SETTINGS, identity: { caKey } };
}

/** What a caught tRPC error tells a client. */
export interface Refusal {
  code: string | undefined;
  message: string;
  fieldErrors: { path: string; message: string }[] | null;
}

/** Resolves with the refusal of a call that must fail (or "accepted"). */
export function refusal(promise: Promise<unknown>): Promise<Refusal | "accepted"> {
  return promise.then(
    () => "accepted" as const,
    (e: { message: string; data?: { code?: string; fieldErrors?: Refusal["fieldErrors"] } }) => ({ code: e.data?.code, message: e.message, fieldErrors: e.data?.fieldErrors ?? null }),
  );
}

/** One cluster's agent: its intermediate, its workloads' SVIDs, and the bundle it runs. */
export class SimulatedAgent {
  intermediate: CertificateAuthority | null = null;
  intermediateRoot: string | null = null;
  svids: { svid: WorkloadSvid; rootFingerprint: string }[] = [];

  constructor(
    readonly cluster: string,
    readonly client: ApiClient,
    readonly trustDomain = "weft.local",
    readonly workloads = ["shop/sa/frontend", "shop/sa/catalog"],
  ) {}

  /** A new intermediate through the real CSR flow. */
  async renewIntermediate(): Promise<{ certificatePem: string; chainPem: string[]; rootFingerprint: string; notAfter: string }> {
    const csr = await createIntermediateCsr({ cluster: this.cluster, trustDomain: this.trustDomain });
    const signed = await this.client.agent.signIntermediate.mutate({ csrPem: csr.csrPem });
    this.intermediate = clusterAuthority({ issued: { certificatePem: signed.certificatePem, chainPem: signed.chainPem }, key: csr.key, trustDomain: this.trustDomain });
    this.intermediateRoot = signed.rootFingerprint;
    return signed;
  }

  /** Re-issues the SVIDs of the first `count` workloads (all by default) under the current intermediate. */
  async reissue(count = this.workloads.length): Promise<void> {
    if (!this.intermediate || !this.intermediateRoot) throw new Error("no intermediate yet");
    for (let i = 0; i < count; i++) {
      const spiffeId = `spiffe://${this.trustDomain}/ns/${this.workloads[i]}`;
      const svid = await issueWorkloadSvid({ intermediate: this.intermediate, spiffeId });
      this.svids = this.svids.filter((s) => s.svid.spiffeId !== spiffeId);
      this.svids.push({ svid, rootFingerprint: this.intermediateRoot });
    }
  }

  /** Reports the SVIDs it holds (the inventory is replaced). */
  async report(): Promise<number> {
    const certificates = this.svids.map(({ svid, rootFingerprint }) => {
      const d = describeCertificate(svid.certificatePem);
      return { spiffeId: svid.spiffeId, subject: d.subject, issuer: d.issuer, serial: d.serial, notBefore: d.notBefore.toISOString(), notAfter: d.notAfter.toISOString(), rootFingerprint };
    });
    return (await this.client.agent.reportCertificates.mutate({ certificates })).stored;
  }

  /** Every proxy runs the bundle. */
  async ack(trust: ClusterTrust): Promise<void> {
    await this.client.agent.ackTrustBundle.mutate({ bundleVersion: trust.bundleVersion, proxies: { total: 3, current: 3 } });
  }

  /**
   * What the agent does on a new ClusterConfig.trust: run (and acknowledge)
   * the bundle; when it has no intermediate or its intermediate chains to
   * another root than the issuing one, get a new one, re-issue every SVID
   * and report the inventory.
   */
  async sync(trust: ClusterTrust): Promise<void> {
    await this.ack(trust);
    if (!this.intermediate || this.intermediateRoot !== trust.issuingRootFingerprint) {
      await this.renewIntermediate();
      await this.reissue();
      await this.report();
    }
  }
}
