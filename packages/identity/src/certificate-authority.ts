import { createPrivateKey, randomBytes } from "node:crypto";
import { hasKeyUsage, isIssuedBy, parseCertificate, splitPemCertificates, type ParsedCertificate } from "./certificate.ts";
import { IdentityError } from "./errors.ts";
import { generateP256Key, SecretKey } from "./secret-key.ts";
import { assertTrustDomain, parseSpiffeId, trustDomainId } from "./spiffe-id.ts";
import { x509 } from "./x509.ts";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const YEAR = 365 * DAY;

/**
 * Issued certificates start this far in the past so peers whose clocks are
 * behind the issuer's accept them. Each agent issues its cluster's SVIDs on its
 * own clock, so this is the clock difference between clusters that
 * cross-cluster mTLS tolerates: with one minute, an agent two minutes ahead
 * issued SVIDs another cluster's proxies refused for a minute after every
 * issuance (the fault suite's clock-skew case, measured). Five minutes, as
 * Kubernetes' CSR signer backdates.
 */
export const BACKDATE_MS = 5 * MINUTE;

/**
 * A CA that can sign: the mesh root (or imported operator CA) in the manager,
 * or a cluster intermediate in the agent. The key is a SecretKey, so the whole
 * object can be logged or serialised without leaking it.
 */
export interface CertificateAuthority {
  trustDomain: string;
  certificatePem: string;
  /** Certificates above this CA, nearest first, without the self-signed root (what peers need besides the bundle). */
  chainPem: readonly string[];
  key: SecretKey;
  /** True when this CA is itself a self-signed root. */
  isRoot: boolean;
  /** What belongs in the trust bundle: the self-signed root when known, else the top-most certificate given. */
  trustAnchorPem: string;
}

/** The chain a certificate issued by `ca` is presented with (intermediates only, nearest first). */
export function issuedChain(ca: CertificateAuthority): string[] {
  return ca.isRoot ? [...ca.chainPem] : [ca.certificatePem, ...ca.chainPem];
}

/** Throws unless `ttl` is a positive finite number of milliseconds. */
export function assertTtl(ttl: number, path = "ttl"): void {
  if (!Number.isFinite(ttl) || ttl <= 0) throw new IdentityError("invalid-ttl", `ttl must be a positive number of milliseconds, got ${ttl}`, path);
}

/** A random positive 128-bit serial number in hex (RFC 5280 allows up to 20 octets). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString("hex");
}

/** notBefore/notAfter for a certificate issued at `now`, never outliving its issuer. */
export function validityWindow(now: Date, ttl: number, issuerNotAfter?: Date): { notBefore: Date; notAfter: Date } {
  assertTtl(ttl);
  const notAfter = new Date(Math.min(now.getTime() + ttl, issuerNotAfter?.getTime() ?? Number.POSITIVE_INFINITY));
  return { notBefore: new Date(now.getTime() - BACKDATE_MS), notAfter };
}

/** Options for generating a mesh root. */
export interface GenerateRootOptions {
  trustDomain: string;
  /** Lifetime in milliseconds; default 10 years. */
  ttl?: number;
  now?: Date;
}

/**
 * Generates a self-signed mesh root: ECDSA P-256, CA=true with pathLen 1
 * (root → cluster intermediate → workload), keyCertSign + cRLSign (critical),
 * and the trust domain's SPIFFE ID `spiffe://<td>` as its only URI SAN.
 */
export async function generateMeshRoot(options: GenerateRootOptions): Promise<CertificateAuthority> {
  assertTrustDomain(options.trustDomain);
  const now = options.now ?? new Date();
  const key = generateP256Key();
  const keys = await key.cryptoKeyPair();
  const { notBefore, notAfter } = validityWindow(now, options.ttl ?? 10 * YEAR);
  // A per-root suffix keeps subject names distinct across rotations, so path
  // builders that look issuers up by name never confuse the old and new root.
  const generation = `${now.toISOString().slice(0, 10)}-${randomBytes(3).toString("hex")}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `O=Weft, OU=${options.trustDomain}, CN=Weft mesh root ${generation}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: key.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: trustDomainId(options.trustDomain) }], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pem = cert.toString("pem");
  return { trustDomain: options.trustDomain, certificatePem: pem, chainPem: [], key, isRoot: true, trustAnchorPem: pem };
}

/** What an imported CA will sign: further CAs (the mesh CA) or only workload leaves (a cluster intermediate). */
export type CaRole = "mesh" | "workload-issuer";

/** Input for importing an operator-provided root or intermediate. */
export interface ImportCaOptions {
  certificatePem: string;
  /** The private key: a SecretKey or PEM (PKCS#8, SEC1 or PKCS#1). */
  key: SecretKey | string;
  /** Certificates above it, nearest first, optionally ending with the self-signed root (PEM text or list). */
  chainPem?: string | readonly string[];
  /** Required when the certificate carries no `spiffe://<td>` URI SAN; must match it otherwise. */
  trustDomain?: string;
  role?: CaRole;
  now?: Date;
}

function checkSigner(cert: ParsedCertificate, path: string, now: Date): void {
  if (!cert.isCa) throw new IdentityError("not-a-ca", `${cert.subject} is not a CA certificate (basicConstraints cA is not true)`, path);
  if (!hasKeyUsage(cert, x509.KeyUsageFlags.keyCertSign)) {
    throw new IdentityError("missing-key-cert-sign", `${cert.subject} may not sign certificates (keyUsage lacks keyCertSign)`, path);
  }
  if (now > cert.notAfter) throw new IdentityError("expired", `${cert.subject} expired at ${cert.notAfter.toISOString()}`, path);
  if (now < cert.notBefore) throw new IdentityError("not-yet-valid", `${cert.subject} is not valid before ${cert.notBefore.toISOString()}`, path);
}

function trustDomainOf(cert: ParsedCertificate, path: string): string | undefined {
  const spiffe = cert.uris.filter((uri) => uri.startsWith("spiffe://"));
  if (spiffe.length === 0) return undefined;
  if (spiffe.length > 1) throw new IdentityError("invalid-certificate", "a CA certificate may carry at most one SPIFFE ID", path);
  const id = parseSpiffeId(spiffe[0] as string, path);
  if (id.path) throw new IdentityError("invalid-certificate", `a CA's SPIFFE ID must not have a path (X509-SVID §3.2), got ${id.id}`, path);
  return id.trustDomain;
}

/**
 * Validates and loads a CA with its private key: the key must match the
 * certificate, the certificate must be a CA with keyCertSign and valid now,
 * each chain certificate must have signed the one before, and path length
 * constraints must leave room for what this CA will issue.
 */
export function importCertificateAuthority(options: ImportCaOptions): CertificateAuthority {
  const now = options.now ?? new Date();
  const role = options.role ?? "mesh";
  const cert = parseCertificate(options.certificatePem, "certificatePem");
  const key = typeof options.key === "string" ? SecretKey.fromPem(options.key) : options.key;
  if (!cert.native.checkPrivateKey(createPrivateKey(key.exportPem()))) {
    throw new IdentityError("key-mismatch", "the private key does not belong to this certificate", "key");
  }
  checkSigner(cert, "certificatePem", now);

  const chainTexts = typeof options.chainPem === "string" ? splitPemCertificates(options.chainPem) : [...(options.chainPem ?? [])];
  const chain = chainTexts.map((pem, i) => parseCertificate(pem, `chainPem[${i}]`));
  if (cert.selfIssued && chain.length > 0 && isIssuedBy(cert, cert)) {
    throw new IdentityError("broken-chain", "a self-signed root has no chain above it", "chainPem");
  }
  const path = [cert, ...chain];
  path.forEach((current, i) => {
    const where = i === 0 ? "certificatePem" : `chainPem[${i - 1}]`;
    if (i > 0) checkSigner(current, where, now);
    const next = path[i + 1];
    if (next && !isIssuedBy(current, next)) {
      throw new IdentityError("broken-chain", `${current.subject} was not signed by ${next.subject}`, `chainPem[${i}]`);
    }
    // pathLen counts the CA certificates that may follow: the mesh CA still has
    // to sign cluster intermediates, a workload issuer signs only leaves.
    const needed = i + (role === "mesh" ? 1 : 0);
    if (current.pathLength !== undefined && current.pathLength < needed) {
      throw new IdentityError("path-length", `${current.subject} has pathLen ${current.pathLength}; ${needed} CA level(s) must fit below it`, where);
    }
  });

  let trustDomain = options.trustDomain;
  if (trustDomain !== undefined) assertTrustDomain(trustDomain);
  const certTrustDomain = trustDomainOf(cert, "certificatePem");
  if (certTrustDomain && trustDomain && certTrustDomain !== trustDomain) {
    throw new IdentityError("trust-domain-mismatch", `the certificate names trust domain ${certTrustDomain}, expected ${trustDomain}`, "certificatePem");
  }
  trustDomain ??= certTrustDomain;
  if (!trustDomain) throw new IdentityError("invalid-trust-domain", "the certificate carries no spiffe:// URI SAN: give the trust domain explicitly", "trustDomain");

  const top = path[path.length - 1] as ParsedCertificate;
  const topIsRoot = top.selfIssued && isIssuedBy(top, top);
  const isRoot = chain.length === 0 && topIsRoot;
  const chainPem = (topIsRoot && chain.length > 0 ? chain.slice(0, -1) : chain).map((c) => c.pem);
  return { trustDomain, certificatePem: cert.pem, chainPem, key, isRoot, trustAnchorPem: top.pem };
}
