export { IdentityError, type IdentityErrorCode } from "./errors.ts";
export { SecretKey, generateP256Key } from "./secret-key.ts";
export { sealPrivateKey, openPrivateKey, isSealedKey, sealSecret, openSecret, isSealedSecret, loadKeyMaterial, type KeyMaterial, type SealOptions } from "./sealed-key.ts";
export { parseSpiffeId, isSpiffeId, spiffeIdFor, trustDomainId, workloadOf, assertTrustDomain, assertClusterName, type SpiffeId } from "./spiffe-id.ts";
export { parseCertificate, splitPemCertificates, type CertificateInput, type ParsedCertificate } from "./certificate.ts";
export {
  generateMeshRoot,
  importCertificateAuthority,
  issuedChain,
  BACKDATE_MS,
  DAY,
  HOUR,
  YEAR,
  type CertificateAuthority,
  type CaRole,
  type GenerateRootOptions,
  type ImportCaOptions,
} from "./certificate-authority.ts";
export {
  createIntermediateCsr,
  signIntermediate,
  clusterAuthority,
  clusterOf,
  CLUSTER_OU,
  DEFAULT_INTERMEDIATE_TTL,
  type IntermediateCsr,
  type IssuedIntermediate,
  type SignIntermediateOptions,
} from "./cluster-intermediate.ts";
export { issueWorkloadSvid, svidTlsCredentials, DEFAULT_SVID_TTL, type WorkloadSvid, type IssueSvidOptions } from "./workload-svid.ts";
export { createWorkloadCsr, signWorkloadCsr, type WorkloadCsr } from "./workload-csr.ts";
export { needsRenewal, renewalDelay, RENEWAL_JITTER, type Validity } from "./renewal.ts";
export {
  createTrustBundle,
  parseTrustBundle,
  serializeTrustBundle,
  addRoot,
  removeRoot,
  rootFingerprints,
  bundleFingerprint,
  type TrustBundle,
} from "./trust-bundle.ts";
export { validateSvidChain, type SvidValidation, type SvidFailureCode, type SvidValidationOptions } from "./svid-validation.ts";
export { describeCertificate, type CertificateRecord } from "./certificate-inventory.ts";
export { peerChain, spiffeServerIdentityCheck, verifyTlsPeer, PeerIdentityError, type PeerVerifierOptions } from "./tls-peer.ts";
