// The mesh CA in the manager: turning a stored, sealed authority back into a
// signer (only to sign), sealing a new one, and identity errors as domain errors.
import { randomUUID } from "node:crypto";
import {
  describeCertificate,
  generateMeshRoot,
  IdentityError,
  importCertificateAuthority,
  openPrivateKey,
  sealPrivateKey,
  YEAR,
  type CertificateAuthority,
} from "@weft/identity";
import { DomainError, preconditionFailed } from "../../errors.ts";
import type { AuthorityRecord } from "./identity.repository.ts";
import type { ImportAuthorityInput } from "./identity.schema.ts";

/** The message of every identity refusal caused by a missing CA key (names the settings). */
export const NO_CA_KEY_MESSAGE = "no CA key is configured: set WEFT_CA_KEY (base64 of 32 random bytes, e.g. `openssl rand -base64 32`) or WEFT_CA_KEY_FILE and restart the manager";

/** The sealed key's authenticated context: an envelope copied to another authority's row does not open. */
function sealContext(authorityId: string): string {
  return `weft/mesh-authority/${authorityId}`;
}

/** Throws PRECONDITION_FAILED naming WEFT_CA_KEY when the manager has none. */
export function requireCaKey(key: Buffer | null): Buffer {
  if (!key) throw preconditionFailed(NO_CA_KEY_MESSAGE);
  return key;
}

/** An authority row ready to insert: the CA's public parts and its sealed key. */
export interface SealedAuthority {
  id: string;
  origin: "generated" | "imported";
  certificatePem: string;
  chainPem: string[];
  trustAnchorPem: string;
  anchorFingerprint: string;
  sealedKey: string;
  subject: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

function seal(ca: CertificateAuthority, origin: SealedAuthority["origin"], caKey: Buffer): SealedAuthority {
  const id = randomUUID();
  const cert = describeCertificate(ca.certificatePem);
  return {
    id,
    origin,
    certificatePem: ca.certificatePem,
    chainPem: [...ca.chainPem],
    trustAnchorPem: ca.trustAnchorPem,
    anchorFingerprint: describeCertificate(ca.trustAnchorPem).fingerprintSha256,
    sealedKey: sealPrivateKey(ca.key, caKey, { context: sealContext(id) }),
    subject: cert.subject,
    serial: cert.serial,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

/** A new mesh root (ECDSA P-256, 10 years), sealed. */
export async function generateSealedRoot(trustDomain: string, caKey: Buffer): Promise<SealedAuthority> {
  return seal(await generateMeshRoot({ trustDomain, ttl: 10 * YEAR }), "generated", caKey);
}

/** Validates an operator's CA for the mesh's trust domain and seals it; errors name the input field under `prefix`. */
export function importSealedAuthority(input: ImportAuthorityInput, trustDomain: string, caKey: Buffer, prefix = ""): SealedAuthority {
  let ca: CertificateAuthority;
  try {
    ca = importCertificateAuthority({ certificatePem: input.certificatePem, key: input.keyPem, chainPem: input.chainPem, trustDomain, role: "mesh" });
  } catch (err) {
    throw asDomainError(err, prefix);
  }
  return seal(ca, "imported", caKey);
}

/** The stored authority as a signer. Only for signing: the key is opened here and nowhere else. */
export function openAuthority(row: AuthorityRecord & { sealedKey: string }, trustDomain: string, caKey: Buffer): CertificateAuthority {
  let key;
  try {
    key = openPrivateKey(row.sealedKey, caKey, { context: sealContext(row.id) });
  } catch (err) {
    throw asDomainError(err);
  }
  const isRoot = row.chainPem.length === 0 && describeCertificate(row.certificatePem).fingerprintSha256 === row.anchorFingerprint;
  return { trustDomain, certificatePem: row.certificatePem, chainPem: row.chainPem, key, isRoot, trustAnchorPem: row.trustAnchorPem };
}

/** Whether the authority is itself its trust anchor. */
export function isRootAuthority(row: Pick<AuthorityRecord, "certificatePem" | "anchorFingerprint">): boolean {
  return describeCertificate(row.certificatePem).fingerprintSha256 === row.anchorFingerprint;
}

function fieldOf(err: IdentityError, prefix: string): string {
  if (err.code === "invalid-key" || err.code === "key-mismatch" || err.path === "key") return `${prefix}keyPem`;
  if (err.path === "trustDomain" || err.path === "") return `${prefix}certificatePem`;
  return `${prefix}${err.path}`;
}

/**
 * Identity refusals as domain errors: a CSR naming another cluster is
 * FORBIDDEN (field `csr.subject.CN`), a CA key that cannot open the sealed
 * key is PRECONDITION_FAILED, anything else about the input is INVALID with
 * the field it names. Identity messages never quote key material.
 */
export function asDomainError(err: unknown, prefix = ""): unknown {
  if (!(err instanceof IdentityError)) return err;
  switch (err.code) {
    case "csr-cluster-mismatch":
      return new DomainError("FORBIDDEN", err.message, err.path);
    case "weak-key-material":
    case "sealed-key-format":
    case "sealed-key-version":
    case "sealed-key-tampered":
    case "sealed-key-wrong-key":
      return preconditionFailed(`the mesh CA's sealed key cannot be opened (${err.message}): WEFT_CA_KEY must be the key it was sealed with`);
    case "invalid-csr":
    case "csr-signature":
    case "csr-trust-domain-mismatch":
      return new DomainError("INVALID", err.message, err.path || "csrPem");
    default:
      return new DomainError("INVALID", err.message, fieldOf(err, prefix));
  }
}
