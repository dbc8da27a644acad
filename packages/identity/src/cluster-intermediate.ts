import { createPublicKey } from "node:crypto";
import { type CertificateAuthority, DAY, importCertificateAuthority, issuedChain, randomSerial, validityWindow } from "./certificate-authority.ts";
import { OID, parseCertificate } from "./certificate.ts";
import { IdentityError } from "./errors.ts";
import { trustDomainNameConstraints } from "./name-constraints.ts";
import { generateP256Key, type SecretKey } from "./secret-key.ts";
import { assertClusterName, assertTrustDomain, isSpiffeId, parseSpiffeId, trustDomainId } from "./spiffe-id.ts";
import { x509 } from "./x509.ts";

/**
 * Naming convention for cluster intermediates. X509-SVID §3.2 forbids a path
 * in a signing certificate's SPIFFE ID, so the cluster is named in the
 * subject, and the only URI SAN is the trust domain ID:
 *
 *   subject  O=Weft, OU=weft-cluster, CN=<cluster>
 *   URI SAN  spiffe://<trust-domain>
 *
 * The CSR must carry exactly this subject CN/OU (and, if it has a SAN, exactly
 * that URI); the manager builds the issued certificate from the cluster it
 * authenticated, never from fields copied out of the CSR.
 */
export const CLUSTER_OU = "weft-cluster";

/** Default cluster intermediate lifetime: 90 days (renewed at half-life, so a 45-day manager outage is survivable). */
export const DEFAULT_INTERMEDIATE_TTL = 90 * DAY;

function clusterSubject(cluster: string): string {
  return `O=Weft, OU=${CLUSTER_OU}, CN=${cluster}`;
}

/** A CSR and the key it was made with. The key stays in the cluster; only `csrPem` is sent. */
export interface IntermediateCsr {
  csrPem: string;
  key: SecretKey;
}

/** Agent side: generates the cluster's intermediate key (P-256) and a CSR naming the cluster. */
export async function createIntermediateCsr(input: { cluster: string; trustDomain: string }): Promise<IntermediateCsr> {
  assertClusterName(input.cluster);
  assertTrustDomain(input.trustDomain);
  const key = generateP256Key();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: clusterSubject(input.cluster),
    keys: await key.cryptoKeyPair(),
    signingAlgorithm: key.signingAlgorithm,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: trustDomainId(input.trustDomain) }])],
  });
  return { csrPem: csr.toString("pem"), key };
}

/** Manager-side options for signing a cluster intermediate. */
export interface SignIntermediateOptions {
  /** The mesh CA (root or imported intermediate) that signs. */
  root: CertificateAuthority;
  /** The cluster the caller authenticated as; the CSR must name exactly this cluster. */
  cluster: string;
  trustDomain: string;
  /** Lifetime in milliseconds; default 90 days, never beyond the signer's own expiry. */
  ttl?: number;
  now?: Date;
  /** Add a critical URI name constraint limiting the intermediate to the trust domain (default true). */
  nameConstraints?: boolean;
}

/** A signed cluster intermediate: its certificate and the chain above it (without the root). */
export interface IssuedIntermediate {
  certificatePem: string;
  chainPem: string[];
}

function parseCsr(csrPem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(csrPem);
  } catch (error) {
    throw new IdentityError("invalid-csr", `not a PKCS#10 certificate request: ${(error as Error).message}`, "csr");
  }
}

/**
 * Manager side: verifies the CSR's signature, refuses a CSR naming another
 * cluster or trust domain, and issues CA=true pathLen 0 with keyCertSign +
 * cRLSign under `root`.
 */
export async function signIntermediate(csrPem: string, options: SignIntermediateOptions): Promise<IssuedIntermediate> {
  const { root, cluster, trustDomain } = options;
  assertClusterName(cluster);
  assertTrustDomain(trustDomain);
  if (root.trustDomain !== trustDomain) {
    throw new IdentityError("trust-domain-mismatch", `the signing CA belongs to ${root.trustDomain}, not ${trustDomain}`, "trustDomain");
  }
  const csr = parseCsr(csrPem);
  if (!(await csr.verify())) throw new IdentityError("csr-signature", "the CSR's signature does not verify: it was altered or not made with its key", "csr");

  const commonNames = csr.subjectName.getField("CN");
  if (commonNames.length !== 1 || commonNames[0] !== cluster) {
    throw new IdentityError("csr-cluster-mismatch", `the CSR names cluster ${JSON.stringify(commonNames.join(","))}, but the requester is cluster "${cluster}"`, "csr.subject.CN");
  }
  const units = csr.subjectName.getField("OU");
  if (units.length !== 1 || units[0] !== CLUSTER_OU) {
    throw new IdentityError("invalid-csr", `a cluster CSR's subject must have OU=${CLUSTER_OU}`, "csr.subject.OU");
  }
  const sanExtension = csr.getExtension(OID.subjectAltName);
  if (sanExtension) {
    const names = new x509.SubjectAlternativeNameExtension(sanExtension.rawData).names.items;
    const expected = trustDomainId(trustDomain);
    const foreign = names.find((n) => n.type !== "url" || n.value !== expected);
    if (foreign) {
      const otherDomain = foreign.type === "url" && isSpiffeId(foreign.value) && parseSpiffeId(foreign.value).trustDomain !== trustDomain;
      const code = otherDomain ? "csr-trust-domain-mismatch" : "invalid-csr";
      throw new IdentityError(code, `a cluster CSR may name only ${expected}, found ${foreign.type}:${foreign.value}`, "csr.subjectAltName");
    }
  }
  try {
    const details = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
    const curve = details.asymmetricKeyDetails?.namedCurve;
    if (details.asymmetricKeyType !== "ec" || (curve !== "prime256v1" && curve !== "secp384r1")) throw new Error("unsupported");
  } catch {
    throw new IdentityError("invalid-csr", "a cluster intermediate key must be ECDSA P-256 or P-384", "csr.publicKey");
  }

  const signer = parseCertificate(root.certificatePem, "root.certificatePem");
  const signerKeys = await root.key.cryptoKeyPair();
  const { notBefore, notAfter } = validityWindow(options.now ?? new Date(), options.ttl ?? DEFAULT_INTERMEDIATE_TTL, signer.notAfter);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    new x509.SubjectAlternativeNameExtension([{ type: "url", value: trustDomainId(trustDomain) }], false),
    await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(signerKeys.publicKey),
  ];
  if (options.nameConstraints ?? true) extensions.push(trustDomainNameConstraints(trustDomain));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: clusterSubject(cluster),
    issuer: signer.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: csr.publicKey,
    signingKey: signerKeys.privateKey,
    signingAlgorithm: root.key.signingAlgorithm,
    extensions,
  });
  return { certificatePem: cert.toString("pem"), chainPem: issuedChain(root) };
}

/** Agent side: loads the signed intermediate with its local key as the CA that issues workload SVIDs. */
export function clusterAuthority(input: { issued: IssuedIntermediate; key: SecretKey; trustDomain: string; now?: Date }): CertificateAuthority {
  return importCertificateAuthority({
    certificatePem: input.issued.certificatePem,
    chainPem: input.issued.chainPem,
    key: input.key,
    trustDomain: input.trustDomain,
    role: "workload-issuer",
    ...(input.now ? { now: input.now } : {}),
  });
}

/** The cluster a cluster intermediate was issued to (its subject CN), or undefined for other certificates. */
export function clusterOf(certificatePem: string): string | undefined {
  const cert = parseCertificate(certificatePem);
  if (!cert.isCa || cert.cert.subjectName.getField("OU")[0] !== CLUSTER_OU) return undefined;
  return cert.cert.subjectName.getField("CN")[0];
}
