import { createHash } from "node:crypto";
import { hasKeyUsage, parseCertificate, splitPemCertificates, type ParsedCertificate } from "./certificate.ts";
import { IdentityError } from "./errors.ts";
import { assertTrustDomain, parseSpiffeId } from "./spiffe-id.ts";
import { x509 } from "./x509.ts";

/**
 * The roots a trust domain's peers are validated against. Several roots at
 * once is the normal state during a staged root rotation. Plain, frozen data:
 * safe to store, compare and ship to agents.
 */
export interface TrustBundle {
  readonly trustDomain: string;
  /** Root certificates in PEM, in the order they were added. */
  readonly roots: readonly string[];
}

const parsedRoots = new WeakMap<TrustBundle, readonly ParsedCertificate[]>();

/** The bundle's roots, parsed (cached per bundle object). */
export function bundleAnchors(bundle: TrustBundle): readonly ParsedCertificate[] {
  let parsed = parsedRoots.get(bundle);
  if (!parsed) {
    parsed = bundle.roots.map((pem, i) => parseCertificate(pem, `roots[${i}]`));
    parsedRoots.set(bundle, parsed);
  }
  return parsed;
}

function checkAnchor(cert: ParsedCertificate, trustDomain: string, path: string): void {
  if (!cert.isCa || !hasKeyUsage(cert, x509.KeyUsageFlags.keyCertSign)) {
    throw new IdentityError("invalid-bundle", `${cert.subject} cannot be a trust anchor: it is not a CA with keyCertSign`, path);
  }
  for (const uri of cert.uris.filter((u) => u.startsWith("spiffe://"))) {
    const id = parseSpiffeId(uri, path);
    if (id.trustDomain !== trustDomain) {
      throw new IdentityError("trust-domain-mismatch", `${cert.subject} belongs to trust domain ${id.trustDomain}, not ${trustDomain}`, path);
    }
  }
}

/** Builds a bundle from root certificates; refuses an empty bundle, non-CA roots and roots of another trust domain. Duplicates are dropped. */
export function createTrustBundle(trustDomain: string, roots: string | readonly string[]): TrustBundle {
  assertTrustDomain(trustDomain);
  const texts = typeof roots === "string" ? splitPemCertificates(roots) : roots.flatMap((r) => splitPemCertificates(r));
  if (texts.length === 0) throw new IdentityError("invalid-bundle", "a trust bundle needs at least one root certificate", "roots");
  const seen = new Set<string>();
  const parsed: ParsedCertificate[] = [];
  texts.forEach((pem, i) => {
    const cert = parseCertificate(pem, `roots[${i}]`);
    checkAnchor(cert, trustDomain, `roots[${i}]`);
    if (seen.has(cert.fingerprintSha256)) return;
    seen.add(cert.fingerprintSha256);
    parsed.push(cert);
  });
  const bundle: TrustBundle = Object.freeze({ trustDomain, roots: Object.freeze(parsed.map((c) => c.pem)) });
  parsedRoots.set(bundle, parsed);
  return bundle;
}

/** Parses a PEM bundle (one or more concatenated root certificates). */
export function parseTrustBundle(pem: string, trustDomain: string): TrustBundle {
  return createTrustBundle(trustDomain, pem);
}

/** The bundle as concatenated PEM, the format node:tls takes as `ca`. */
export function serializeTrustBundle(bundle: TrustBundle): string {
  return bundle.roots.map((pem) => pem.trim()).join("\n") + "\n";
}

/** Lowercase hex SHA-256 fingerprints of the bundle's roots, in bundle order. */
export function rootFingerprints(bundle: TrustBundle): string[] {
  return bundleAnchors(bundle).map((c) => c.fingerprintSha256);
}

/** A new bundle with `root` added (unchanged if already present). */
export function addRoot(bundle: TrustBundle, root: string): TrustBundle {
  return createTrustBundle(bundle.trustDomain, [...bundle.roots, root]);
}

/** A new bundle without the root given by PEM or SHA-256 fingerprint; refuses to remove the last root. */
export function removeRoot(bundle: TrustBundle, root: string): TrustBundle {
  const fingerprint = root.includes("-----BEGIN") ? parseCertificate(root).fingerprintSha256 : root.toLowerCase().replaceAll(":", "");
  const kept = bundleAnchors(bundle).filter((c) => c.fingerprintSha256 !== fingerprint);
  if (kept.length === bundle.roots.length) throw new IdentityError("invalid-bundle", `the bundle has no root with fingerprint ${fingerprint}`, "root");
  if (kept.length === 0) throw new IdentityError("invalid-bundle", "refusing to remove the last root of a trust bundle", "root");
  return createTrustBundle(bundle.trustDomain, kept.map((c) => c.pem));
}

/**
 * A stable fingerprint of the bundle's content: SHA-256 over the trust domain
 * and the sorted root fingerprints, so the order roots were added in does not
 * matter. Agents acknowledge bundles by this value.
 */
export function bundleFingerprint(bundle: TrustBundle): string {
  const material = [bundle.trustDomain, ...rootFingerprints(bundle).sort()].join("\n");
  return createHash("sha256").update(material).digest("hex");
}
