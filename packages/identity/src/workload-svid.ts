import type { webcrypto } from "node:crypto";
import { type CertificateAuthority, HOUR, issuedChain, randomSerial, validityWindow } from "./certificate-authority.ts";
import { OID, parseCertificate } from "./certificate.ts";
import { IdentityError } from "./errors.ts";
import { generateP256Key, type SecretKey } from "./secret-key.ts";
import { parseSpiffeId } from "./spiffe-id.ts";
import { x509 } from "./x509.ts";

/** Default X.509-SVID lifetime (issue 6: 24 h). */
export const DEFAULT_SVID_TTL = 24 * HOUR;

/** A workload's X.509-SVID: leaf, the intermediates to present with it, and its key. */
export interface WorkloadSvid {
  spiffeId: string;
  certificatePem: string;
  /** Intermediates to send after the leaf, nearest first (the root stays in the bundle). */
  chainPem: string[];
  key: SecretKey;
  notBefore: Date;
  notAfter: Date;
}

/** Input for issuing a workload SVID. */
export interface IssueSvidOptions {
  /** The cluster intermediate that signs. */
  intermediate: CertificateAuthority;
  spiffeId: string;
  /** Lifetime in milliseconds; default 24 h, never beyond the intermediate's expiry. */
  ttl?: number;
  now?: Date;
}

/**
 * Agent side: generates a workload key pair (P-256) and a leaf X.509-SVID:
 * CA=false, keyUsage digitalSignature (critical), extKeyUsage serverAuth +
 * clientAuth, exactly one URI SAN (the SPIFFE ID) and no other names.
 */
export async function issueWorkloadSvid(options: IssueSvidOptions): Promise<WorkloadSvid> {
  const key = generateP256Key();
  const keys = await key.cryptoKeyPair();
  return { ...(await signWorkloadLeaf(options, keys.publicKey)), key };
}

/**
 * The leaf X.509-SVID of `options.spiffeId` for `publicKey`, signed by the
 * intermediate: shared by agent-made keys and workload CSRs (whose key never
 * reaches the agent).
 */
export async function signWorkloadLeaf(options: IssueSvidOptions, publicKey: webcrypto.CryptoKey): Promise<Omit<WorkloadSvid, "key">> {
  const { intermediate } = options;
  const id = parseSpiffeId(options.spiffeId);
  if (!id.path) throw new IdentityError("invalid-spiffe-id", "a workload SPIFFE ID needs a path (X509-SVID §3.1)", "spiffeId");
  if (id.trustDomain !== intermediate.trustDomain) {
    throw new IdentityError("trust-domain-mismatch", `${id.id} is outside the issuer's trust domain ${intermediate.trustDomain}`, "spiffeId");
  }
  const issuer = parseCertificate(intermediate.certificatePem, "intermediate.certificatePem");
  const issuerKeys = await intermediate.key.cryptoKeyPair();
  const keys = { publicKey };
  const { notBefore, notAfter } = validityWindow(options.now ?? new Date(), options.ttl ?? DEFAULT_SVID_TTL, issuer.notAfter);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: "O=Weft",
    issuer: issuer.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: issuerKeys.privateKey,
    signingAlgorithm: intermediate.key.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([OID.serverAuth, OID.clientAuth], false),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: id.id }], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuerKeys.publicKey),
    ],
  });
  // Report the validity as encoded (whole seconds), not as requested.
  return { spiffeId: id.id, certificatePem: cert.toString("pem"), chainPem: issuedChain(intermediate), notBefore: cert.notBefore, notAfter: cert.notAfter };
}

/** The `key`/`cert` pair for node:tls (leaf followed by its intermediates). */
export function svidTlsCredentials(svid: WorkloadSvid): { key: string; cert: string } {
  return { key: svid.key.exportPem(), cert: [svid.certificatePem, ...svid.chainPem].join("\n") };
}
