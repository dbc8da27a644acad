/** Machine-readable reasons an identity operation refuses its input. */
export type IdentityErrorCode =
  | "invalid-spiffe-id"
  | "invalid-trust-domain"
  | "invalid-cluster-name"
  | "invalid-key"
  | "invalid-certificate"
  | "key-mismatch"
  | "not-a-ca"
  | "missing-key-cert-sign"
  | "path-length"
  | "expired"
  | "not-yet-valid"
  | "broken-chain"
  | "trust-domain-mismatch"
  | "invalid-csr"
  | "csr-signature"
  | "csr-cluster-mismatch"
  | "csr-trust-domain-mismatch"
  | "invalid-ttl"
  | "weak-key-material"
  | "sealed-key-format"
  | "sealed-key-version"
  | "sealed-key-wrong-key"
  | "sealed-key-tampered"
  | "invalid-bundle";

/**
 * A refusal from the identity core. `path` names the offending input
 * (`csr.subject.CN`, `chain[1]`) so callers can show it next to the field.
 */
export class IdentityError extends Error {
  override readonly name = "IdentityError";
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    readonly path: string = "",
  ) {
    super(message);
  }
}
