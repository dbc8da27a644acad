import { createHash, X509Certificate as NodeX509Certificate } from "node:crypto";
import { IdentityError } from "./errors.ts";
import { x509 } from "./x509.ts";

/** A certificate as PEM text or DER bytes. */
export type CertificateInput = string | Uint8Array;

/** The facts the identity core reads from one certificate. */
export interface ParsedCertificate {
  der: Buffer;
  pem: string;
  /** Parsed by @peculiar/x509 (extensions, names). */
  cert: x509.X509Certificate;
  /** Parsed by Node/OpenSSL (signature checks, key matching). */
  native: NodeX509Certificate;
  /** Lowercase hex SHA-256 of the DER encoding. */
  fingerprintSha256: string;
  subject: string;
  issuer: string;
  /** Lowercase hex serial number. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints cA; false when the extension is absent. */
  isCa: boolean;
  pathLength: number | undefined;
  /** keyUsage bit flags (x509.KeyUsageFlags), undefined when the extension is absent. */
  keyUsage: number | undefined;
  /** extKeyUsage OIDs, undefined when the extension is absent. */
  extKeyUsage: string[] | undefined;
  /** Every URI SAN, in order. */
  uris: string[];
  /** OIDs of extensions marked critical. */
  criticalExtensions: string[];
  /** Subject and issuer names are byte-for-byte equal. */
  selfIssued: boolean;
}

/** OIDs of the extensions this package reads. */
export const OID = {
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  nameConstraints: "2.5.29.30",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The PEM blocks of every certificate in `text`, in order. */
export function splitPemCertificates(text: string): string[] {
  return [...text.matchAll(PEM_CERTIFICATE)].map((m) => m[0]);
}

function bytesEqual(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Parses one certificate (PEM or DER); throws IdentityError("invalid-certificate") otherwise. */
export function parseCertificate(input: CertificateInput, path = "certificate"): ParsedCertificate {
  let cert: x509.X509Certificate;
  let native: NodeX509Certificate;
  try {
    if (typeof input === "string") {
      const blocks = splitPemCertificates(input);
      if (blocks.length !== 1) throw new Error(`expected one PEM certificate, found ${blocks.length}`);
      cert = new x509.X509Certificate(blocks[0] as string);
    } else {
      cert = new x509.X509Certificate(Buffer.from(input));
    }
    native = new NodeX509Certificate(Buffer.from(cert.rawData));
  } catch (error) {
    throw new IdentityError("invalid-certificate", `not a valid X.509 certificate: ${(error as Error).message}`, path);
  }
  const der = Buffer.from(cert.rawData);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const sans = cert.getExtensions(x509.SubjectAlternativeNameExtension);
  return {
    der,
    pem: cert.toString("pem"),
    cert,
    native,
    fingerprintSha256: createHash("sha256").update(der).digest("hex"),
    subject: cert.subject,
    issuer: cert.issuer,
    serial: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: basic?.ca ?? false,
    pathLength: basic?.pathLength,
    keyUsage: usage?.usages,
    extKeyUsage: eku?.usages.map(String),
    uris: sans.flatMap((san) => san.names.items.filter((n) => n.type === "url").map((n) => n.value)),
    criticalExtensions: cert.extensions.filter((e) => e.critical).map((e) => e.type),
    selfIssued: bytesEqual(cert.subjectName.toArrayBuffer(), cert.issuerName.toArrayBuffer()),
  };
}

/** True when `issuer`'s subject name equals `cert`'s issuer name and its key verifies `cert`'s signature. */
export function isIssuedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!bytesEqual(cert.cert.issuerName.toArrayBuffer(), issuer.cert.subjectName.toArrayBuffer())) return false;
  try {
    return cert.native.verify(issuer.native.publicKey);
  } catch {
    return false;
  }
}

/** True when the keyUsage extension is present and sets `flag`. */
export function hasKeyUsage(cert: ParsedCertificate, flag: x509.KeyUsageFlags): boolean {
  return cert.keyUsage !== undefined && (cert.keyUsage & flag) !== 0;
}
