// Test PKI: mesh roots, cluster intermediates and workload SVIDs issued by
// @weft/identity exactly as the manager and agent do, plus one deliberately
// broken leaf (two URI SANs) that the real issuer refuses to make.
import { randomBytes, webcrypto } from "node:crypto";
import {
  clusterAuthority,
  createIntermediateCsr,
  createTrustBundle,
  generateMeshRoot,
  generateP256Key,
  issueWorkloadSvid,
  issuedChain,
  signIntermediate,
  svidTlsCredentials,
  HOUR,
  type CertificateAuthority,
  type TrustBundle,
  type WorkloadSvid,
} from "@weft/identity";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const TRUST_DOMAIN = "mesh.test";
export const id = (ns: string, sa: string) => `spiffe://${TRUST_DOMAIN}/ns/${ns}/sa/${sa}`;

/** One root and one cluster intermediate under it. */
export interface Pki {
  root: CertificateAuthority;
  intermediate: CertificateAuthority;
  bundle: TrustBundle;
}

export async function createPki(cluster = "eu-1"): Promise<Pki> {
  const root = await generateMeshRoot({ trustDomain: TRUST_DOMAIN });
  const csr = await createIntermediateCsr({ cluster, trustDomain: TRUST_DOMAIN });
  const issued = await signIntermediate(csr.csrPem, { root, cluster, trustDomain: TRUST_DOMAIN });
  const intermediate = clusterAuthority({ issued, key: csr.key, trustDomain: TRUST_DOMAIN });
  return { root, intermediate, bundle: createTrustBundle(TRUST_DOMAIN, root.certificatePem) };
}

/** A second cluster under the same root: a new intermediate, the same trust bundle. */
export async function addCluster(pki: Pki, cluster: string): Promise<Pki> {
  const csr = await createIntermediateCsr({ cluster, trustDomain: TRUST_DOMAIN });
  const issued = await signIntermediate(csr.csrPem, { root: pki.root, cluster, trustDomain: TRUST_DOMAIN });
  return { ...pki, intermediate: clusterAuthority({ issued, key: csr.key, trustDomain: TRUST_DOMAIN }) };
}

export function issue(pki: Pki, spiffeId: string, options: { ttl?: number; now?: Date } = {}): Promise<WorkloadSvid> {
  return issueWorkloadSvid({ intermediate: pki.intermediate, spiffeId, ...options });
}

/** An SVID that expired an hour ago. */
export function issueExpired(pki: Pki, spiffeId: string): Promise<WorkloadSvid> {
  return issue(pki, spiffeId, { ttl: HOUR, now: new Date(Date.now() - 2 * HOUR) });
}

/** TLS credentials (leaf + chain, key) of a leaf that carries two URI SANs, signed by the real intermediate. */
export async function forgeTwoUriLeaf(pki: Pki, uris: [string, string]): Promise<{ cert: string; key: string }> {
  // The issuer name is copied as encoded, so OpenSSL's chain check passes and only the SPIFFE rules refuse it.
  const issuer = new x509.X509Certificate(pki.intermediate.certificatePem);
  const signerKeys = await pki.intermediate.key.cryptoKeyPair();
  const key = generateP256Key();
  const keys = await key.cryptoKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${randomBytes(15).toString("hex")}`,
    subject: "O=Weft",
    issuer: issuer.subjectName,
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(Date.now() + HOUR),
    publicKey: keys.publicKey,
    signingKey: signerKeys.privateKey,
    signingAlgorithm: pki.intermediate.key.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]),
      new x509.SubjectAlternativeNameExtension(uris.map((value) => ({ type: "url" as const, value }))),
    ],
  });
  return { cert: [cert.toString("pem"), ...issuedChain(pki.intermediate)].join("\n"), key: key.exportPem() };
}

/** The ProxyConfig identity section for an SVID and a set of roots (inline). */
export function inlineIdentity(svid: WorkloadSvid, roots: readonly Pki[]) {
  const { cert, key } = svidTlsCredentials(svid);
  return {
    trustDomain: TRUST_DOMAIN,
    svid: { source: "inline" as const, certChainPem: cert, keyPem: key },
    trustBundle: { source: "inline" as const, rootsPem: roots.map((p) => p.root.certificatePem) },
  };
}

export { svidTlsCredentials };
