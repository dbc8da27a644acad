import { type CertificateInput, parseCertificate } from "./certificate.ts";
import { CLUSTER_OU } from "./cluster-intermediate.ts";
import { isSpiffeId } from "./spiffe-id.ts";

/** What the manager's certificate inventory stores about one certificate (public data only). */
export interface CertificateRecord {
  /** The SPIFFE ID when the certificate carries exactly one valid spiffe:// URI SAN. */
  spiffeId?: string;
  /** For cluster intermediates, the cluster they were issued to. */
  cluster?: string;
  subject: string;
  issuer: string;
  /** Lowercase hex. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  /** Lowercase hex SHA-256 of the DER encoding. */
  fingerprintSha256: string;
}

/** Describes a certificate for the inventory (and for expiry warnings on the dashboard). */
export function describeCertificate(pem: CertificateInput): CertificateRecord {
  const cert = parseCertificate(pem);
  const spiffe = cert.uris.filter((uri) => uri.startsWith("spiffe://"));
  const record: CertificateRecord = {
    subject: cert.subject,
    issuer: cert.issuer,
    serial: cert.serial,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: cert.isCa,
    fingerprintSha256: cert.fingerprintSha256,
  };
  if (spiffe.length === 1 && isSpiffeId(spiffe[0] as string)) record.spiffeId = spiffe[0] as string;
  const subject = cert.cert.subjectName;
  const cluster = subject.getField("CN")[0];
  if (cert.isCa && subject.getField("OU")[0] === CLUSTER_OU && cluster) record.cluster = cluster;
  return record;
}
