// Test-only PKI builders. `forge*` deliberately produce certificates that
// break the X.509-SVID rules, which the real issuers refuse to make.
import { type CertificateAuthority, HOUR, generateMeshRoot, issuedChain, randomSerial } from "../certificate-authority.ts";
import { OID, parseCertificate } from "../certificate.ts";
import { clusterAuthority, createIntermediateCsr, signIntermediate } from "../cluster-intermediate.ts";
import { generateP256Key } from "../secret-key.ts";
import { createTrustBundle, type TrustBundle } from "../trust-bundle.ts";
import { x509 } from "../x509.ts";

export interface MeshFixture {
  trustDomain: string;
  root: CertificateAuthority;
  intermediate: CertificateAuthority;
  bundle: TrustBundle;
}

/** A root, one cluster intermediate signed through the real CSR flow, and a bundle with the root. */
export async function meshFixture(trustDomain = "mesh.test", cluster = "eu-1"): Promise<MeshFixture> {
  const root = await generateMeshRoot({ trustDomain });
  const csr = await createIntermediateCsr({ cluster, trustDomain });
  const issued = await signIntermediate(csr.csrPem, { root, cluster, trustDomain });
  const intermediate = clusterAuthority({ issued, key: csr.key, trustDomain });
  return { trustDomain, root, intermediate, bundle: createTrustBundle(trustDomain, root.certificatePem) };
}

export interface ForgeOptions {
  uris?: string[];
  ca?: boolean;
  pathLength?: number;
  keyUsage?: number;
  notBefore?: Date;
  notAfter?: Date;
  subject?: string;
  extKeyUsage?: string[];
}

async function forge(issuer: CertificateAuthority, options: ForgeOptions) {
  const signer = parseCertificate(issuer.certificatePem);
  const signerKeys = await issuer.key.cryptoKeyPair();
  const key = generateP256Key();
  const keys = await key.cryptoKeyPair();
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(options.ca ?? false, options.pathLength, true)];
  if (options.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(options.keyUsage, true));
  if (options.uris?.length) extensions.push(new x509.SubjectAlternativeNameExtension(options.uris.map((value) => ({ type: "url" as const, value }))));
  if (!options.ca) extensions.push(new x509.ExtendedKeyUsageExtension(options.extKeyUsage ?? [OID.serverAuth, OID.clientAuth]));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: options.subject ?? "O=Weft, CN=forged",
    issuer: signer.cert.subjectName,
    notBefore: options.notBefore ?? new Date(now - HOUR),
    notAfter: options.notAfter ?? new Date(now + HOUR),
    publicKey: keys.publicKey,
    signingKey: signerKeys.privateKey,
    signingAlgorithm: issuer.key.signingAlgorithm,
    extensions,
  });
  return { certificatePem: cert.toString("pem"), chainPem: issuedChain(issuer), key };
}

/** A leaf signed by `issuer` with whatever properties the test needs (defaults: a valid SVID shape). */
export function forgeLeaf(issuer: CertificateAuthority, options: ForgeOptions = {}) {
  return forge(issuer, { keyUsage: x509.KeyUsageFlags.digitalSignature, ...options });
}

/** A CA signed by `issuer`, usable as an issuer for further forging. */
export async function forgeCa(issuer: CertificateAuthority, options: ForgeOptions = {}): Promise<CertificateAuthority> {
  const forged = await forge(issuer, { ca: true, keyUsage: x509.KeyUsageFlags.keyCertSign, subject: "O=Weft, CN=forged CA", ...options });
  return { trustDomain: issuer.trustDomain, certificatePem: forged.certificatePem, chainPem: forged.chainPem, key: forged.key, isRoot: false, trustAnchorPem: issuer.trustAnchorPem };
}

/** A self-signed operator root without a pathLen constraint (as many enterprise PKIs have). */
export async function forgeRoot(options: { uris?: string[]; notAfter?: Date } = {}): Promise<CertificateAuthority & { key: ReturnType<typeof generateP256Key> }> {
  const key = generateP256Key();
  const keys = await key.cryptoKeyPair();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (options.uris?.length) extensions.push(new x509.SubjectAlternativeNameExtension(options.uris.map((value) => ({ type: "url" as const, value }))));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `O=Operator, CN=Operator root ${randomSerial().slice(0, 6)}`,
    notBefore: new Date(Date.now() - HOUR),
    notAfter: options.notAfter ?? new Date(Date.now() + 1000 * HOUR),
    keys,
    signingAlgorithm: key.signingAlgorithm,
    extensions,
  });
  const pem = cert.toString("pem");
  return { trustDomain: "operator.invalid", certificatePem: pem, chainPem: [], key, isRoot: true, trustAnchorPem: pem };
}
