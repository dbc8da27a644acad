// Workload CSRs: a Kubernetes sidecar makes its own key and asks its cluster's
// agent for an X.509-SVID with a PKCS#10 request, so the key never leaves the
// pod. The agent decides which SPIFFE ID the caller may have (from its
// authenticated service account) and signs only a CSR asking for exactly that.
import { createPublicKey } from "node:crypto";
import { OID } from "./certificate.ts";
import { IdentityError } from "./errors.ts";
import { generateP256Key, type SecretKey } from "./secret-key.ts";
import { parseSpiffeId } from "./spiffe-id.ts";
import { signWorkloadLeaf, type IssueSvidOptions, type WorkloadSvid } from "./workload-svid.ts";
import { x509 } from "./x509.ts";

/** A workload CSR and the key it was made with. Only `csrPem` is sent. */
export interface WorkloadCsr {
  csrPem: string;
  key: SecretKey;
}

/** Workload side: a fresh P-256 key and a CSR whose only name is the SPIFFE ID (URI SAN). */
export async function createWorkloadCsr(input: { spiffeId: string }): Promise<WorkloadCsr> {
  const id = parseSpiffeId(input.spiffeId);
  if (!id.path) throw new IdentityError("invalid-spiffe-id", "a workload SPIFFE ID needs a path (X509-SVID §3.1)", "spiffeId");
  const key = generateP256Key();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "O=Weft",
    keys: await key.cryptoKeyPair(),
    signingAlgorithm: key.signingAlgorithm,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: id.id }])],
  });
  return { csrPem: csr.toString("pem"), key };
}

/**
 * Issuer side: verifies the CSR's signature (proof that the caller holds the
 * key), refuses a CSR naming anything but `options.spiffeId`, and issues the
 * leaf SVID for the CSR's public key. The returned SVID has no key: it stays
 * with the workload.
 */
export async function signWorkloadCsr(csrPem: string, options: IssueSvidOptions): Promise<Omit<WorkloadSvid, "key">> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (error) {
    throw new IdentityError("invalid-csr", `not a PKCS#10 certificate request: ${(error as Error).message}`, "csr");
  }
  if (!(await csr.verify())) throw new IdentityError("csr-signature", "the CSR's signature does not verify: it was altered or not made with its key", "csr");
  const expected = parseSpiffeId(options.spiffeId).id;
  const sanExtension = csr.getExtension(OID.subjectAltName);
  const names = sanExtension ? new x509.SubjectAlternativeNameExtension(sanExtension.rawData).names.items : [];
  if (names.length !== 1 || names[0]!.type !== "url" || names[0]!.value !== expected) {
    const asked = names.map((n) => `${n.type}:${n.value}`).join(", ") || "no name";
    throw new IdentityError("invalid-csr", `the CSR must name exactly ${expected} (the caller's identity), it names ${asked}`, "csr.subjectAltName");
  }
  try {
    const details = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
    const curve = details.asymmetricKeyDetails?.namedCurve;
    if (details.asymmetricKeyType !== "ec" || (curve !== "prime256v1" && curve !== "secp384r1")) throw new Error("unsupported");
  } catch {
    throw new IdentityError("invalid-csr", "a workload key must be ECDSA P-256 or P-384", "csr.publicKey");
  }
  return signWorkloadLeaf(options, await csr.publicKey.export());
}
