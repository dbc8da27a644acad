import { type CertificateInput, hasKeyUsage, isIssuedBy, OID, parseCertificate, splitPemCertificates, type ParsedCertificate } from "./certificate.ts";
import type { IdentityError } from "./errors.ts";
import { uriNameConstraintViolation } from "./name-constraints.ts";
import { parseSpiffeId } from "./spiffe-id.ts";
import { bundleAnchors, type TrustBundle } from "./trust-bundle.ts";
import { x509 } from "./x509.ts";

/** Why a peer's X.509-SVID was refused. */
export type SvidFailureCode =
  | "malformed-certificate"
  | "uri-san-count"
  | "invalid-spiffe-id"
  | "trust-domain-mismatch"
  | "leaf-is-ca"
  | "leaf-key-usage"
  | "leaf-extended-key-usage"
  | "unsupported-critical-extension"
  | "untrusted"
  | "chain-too-long"
  | "signer-not-ca"
  | "signer-key-usage"
  | "path-length"
  | "name-constraints"
  | "expired"
  | "not-yet-valid"
  | "revoked";

/** Outcome of validating a peer: its SPIFFE ID, or a code and a sentence saying why not. */
export type SvidValidation =
  | { ok: true; spiffeId: string; trustDomain: string; /** SHA-256 of each certificate from leaf to root. */ chainFingerprints: string[] }
  | { ok: false; code: SvidFailureCode; reason: string };

/** Optional tightening of the checks. */
export interface SvidValidationOptions {
  /** The role the peer plays: when the leaf has extKeyUsage it must allow serverAuth ("server") or clientAuth ("client"). */
  purpose?: "server" | "client";
  /** SHA-256 fingerprints (lowercase hex) of revoked certificates, e.g. the intermediate of a removed cluster. */
  revoked?: ReadonlySet<string> | readonly string[];
  /** Most certificates a path may hold, leaf and root included (default 6). */
  maxPathLength?: number;
}

const UNDERSTOOD_EXTENSIONS = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
]);
const ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";

class Refusal {
  constructor(
    readonly code: SvidFailureCode,
    readonly reason: string,
  ) {}
}

function refuse(code: SvidFailureCode, reason: string): never {
  throw new Refusal(code, reason);
}

function parseAll(input: CertificateInput, what: string): ParsedCertificate[] {
  try {
    if (typeof input === "string") {
      const blocks = splitPemCertificates(input);
      if (blocks.length === 0) refuse("malformed-certificate", `${what} holds no PEM certificate`);
      return blocks.map((pem) => parseCertificate(pem, what));
    }
    return [parseCertificate(input, what)];
  } catch (error) {
    if (error instanceof Refusal) throw error;
    return refuse("malformed-certificate", `${what} is not a valid certificate: ${(error as IdentityError).message}`);
  }
}

function checkCriticalExtensions(cert: ParsedCertificate, what: string): void {
  const unknown = cert.criticalExtensions.find((oid) => !UNDERSTOOD_EXTENSIONS.has(oid));
  if (unknown) refuse("unsupported-critical-extension", `${what} has a critical extension this validator does not process (${unknown})`);
}

function checkLeaf(leaf: ParsedCertificate, bundle: TrustBundle, options: SvidValidationOptions): string {
  if (leaf.uris.length !== 1) refuse("uri-san-count", `the leaf has ${leaf.uris.length} URI SANs; an X.509-SVID has exactly one`);
  const uri = leaf.uris[0] as string;
  let trustDomain: string;
  let path: string;
  try {
    ({ trustDomain, path } = parseSpiffeId(uri));
  } catch (error) {
    return refuse("invalid-spiffe-id", (error as IdentityError).message);
  }
  if (!path) refuse("invalid-spiffe-id", `the leaf's SPIFFE ID ${uri} has no path; only signing certificates carry a bare trust domain ID`);
  if (trustDomain !== bundle.trustDomain) refuse("trust-domain-mismatch", `${uri} belongs to trust domain ${trustDomain}, but the bundle is for ${bundle.trustDomain}`);
  if (leaf.isCa) refuse("leaf-is-ca", `the leaf ${uri} is a CA certificate (cA=true); signing certificates cannot authenticate`);
  if (leaf.keyUsage === undefined) refuse("leaf-key-usage", `the leaf ${uri} has no keyUsage extension`);
  if (!hasKeyUsage(leaf, x509.KeyUsageFlags.digitalSignature)) refuse("leaf-key-usage", `the leaf ${uri} lacks digitalSignature`);
  if (hasKeyUsage(leaf, x509.KeyUsageFlags.keyCertSign) || hasKeyUsage(leaf, x509.KeyUsageFlags.cRLSign)) {
    refuse("leaf-key-usage", `the leaf ${uri} sets keyCertSign or cRLSign`);
  }
  if (options.purpose && leaf.extKeyUsage) {
    const needed = options.purpose === "server" ? OID.serverAuth : OID.clientAuth;
    if (!leaf.extKeyUsage.includes(needed) && !leaf.extKeyUsage.includes(ANY_EXTENDED_KEY_USAGE)) {
      refuse("leaf-extended-key-usage", `the leaf ${uri} may not be used for TLS ${options.purpose} authentication (extKeyUsage)`);
    }
  }
  checkCriticalExtensions(leaf, `the leaf ${uri}`);
  return uri;
}

/** Depth-first search for a signature-valid path from `cert` to an anchor of the bundle. */
function buildPath(
  cert: ParsedCertificate,
  anchors: readonly ParsedCertificate[],
  intermediates: readonly ParsedCertificate[],
  path: ParsedCertificate[],
  maxLength: number,
): ParsedCertificate[] | "too-long" | undefined {
  if (path.length >= maxLength) return "too-long";
  const anchor = anchors.find((a) => isIssuedBy(cert, a));
  if (anchor) return [...path, anchor];
  let tooLong = false;
  for (const candidate of intermediates) {
    if (path.some((c) => c.fingerprintSha256 === candidate.fingerprintSha256) || !isIssuedBy(cert, candidate)) continue;
    const found = buildPath(candidate, anchors, intermediates, [...path, candidate], maxLength);
    if (found === "too-long") tooLong = true;
    else if (found) return found;
  }
  return tooLong ? "too-long" : undefined;
}

function describe(cert: ParsedCertificate, index: number): string {
  return index === 0 ? `the leaf (${cert.uris[0] ?? cert.subject})` : `${cert.subject}`;
}

/**
 * Validates a peer certificate by the SPIFFE X.509-SVID rules: exactly one URI
 * SAN holding a SPIFFE ID with a path in the bundle's trust domain; leaf CA=false
 * with digitalSignature and without keyCertSign/cRLSign; a signature path from
 * the leaf through `intermediates` (any order, extras ignored) to one of the
 * bundle's roots (several roots may be present during rotation); every signer
 * CA=true with keyCertSign and within its pathLen and URI name constraints;
 * every certificate valid at `now`; none revoked. Pure and synchronous, so it
 * can run inside a TLS `checkServerIdentity` hook.
 */
export function validateSvidChain(
  leafInput: CertificateInput,
  intermediatesInput: readonly CertificateInput[],
  bundle: TrustBundle,
  now: Date = new Date(),
  options: SvidValidationOptions = {},
): SvidValidation {
  try {
    const [leaf] = parseAll(leafInput, "the leaf");
    if (!leaf) return refuse("malformed-certificate", "no leaf certificate");
    const intermediates = intermediatesInput.flatMap((input, i) => parseAll(input, `intermediate ${i}`));
    const spiffeId = checkLeaf(leaf, bundle, options);

    let anchors: readonly ParsedCertificate[];
    try {
      anchors = bundleAnchors(bundle);
    } catch (error) {
      return refuse("malformed-certificate", `the trust bundle is unreadable: ${(error as Error).message}`);
    }
    const maxLength = options.maxPathLength ?? 6;
    const path = buildPath(leaf, anchors, intermediates, [leaf], maxLength);
    if (path === "too-long") refuse("chain-too-long", `no path to a root within ${maxLength} certificates`);
    if (!path) {
      refuse("untrusted", `${spiffeId} does not chain to any of the ${anchors.length} root(s) trusted for ${bundle.trustDomain}`);
    }

    path.slice(1).forEach((signer, offset) => {
      const index = offset + 1;
      const what = describe(signer, index);
      if (!signer.isCa) refuse("signer-not-ca", `${what} signed a certificate but is not a CA (cA is not true)`);
      if (!hasKeyUsage(signer, x509.KeyUsageFlags.keyCertSign)) refuse("signer-key-usage", `${what} signed a certificate but lacks keyCertSign`);
      // pathLen bounds the non-self-issued intermediates between this CA and the leaf.
      const below = path.slice(1, index).filter((c) => !c.selfIssued).length;
      if (signer.pathLength !== undefined && below > signer.pathLength) {
        refuse("path-length", `${what} allows ${signer.pathLength} intermediate(s) below it, the path has ${below}`);
      }
      checkCriticalExtensions(signer, what);
      const violation = uriNameConstraintViolation(signer, spiffeId);
      if (violation) refuse("name-constraints", violation);
    });

    path.forEach((cert, index) => {
      if (now.getTime() > cert.notAfter.getTime()) refuse("expired", `${describe(cert, index)} expired at ${cert.notAfter.toISOString()}`);
      if (now.getTime() < cert.notBefore.getTime()) refuse("not-yet-valid", `${describe(cert, index)} is not valid before ${cert.notBefore.toISOString()}`);
    });

    const revoked = options.revoked ? new Set(options.revoked) : undefined;
    const revokedCert = revoked && path.find((cert) => revoked.has(cert.fingerprintSha256));
    if (revokedCert) refuse("revoked", `${describe(revokedCert, path.indexOf(revokedCert))} has been revoked`);

    const { trustDomain } = parseSpiffeId(spiffeId);
    return { ok: true, spiffeId, trustDomain, chainFingerprints: path.map((c) => c.fingerprintSha256) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, code: error.code, reason: error.reason };
    throw error;
  }
}
