// The workload identity material as every layer sees it: listeners present
// it, mTLS backends originate with it, snapshots remember which one they
// were built with. Loading and validating it is security/workload-identity.ts.
import type { TrustBundle } from "@weft/identity";

/** The identity material in use. The key is only ever handed to node:tls. */
export interface IdentityMaterial {
  readonly spiffeId: string;
  readonly trustDomain: string;
  /** Leaf then intermediates (PEM). */
  readonly certChainPem: string;
  readonly keyPem: string;
  readonly bundle: TrustBundle;
  /** The bundle's roots as one PEM text (node:tls `ca`). */
  readonly caPem: string;
  readonly notAfter: Date;
  /** Changes whenever the material does (part of pool signatures). */
  readonly generation: number;
  readonly fingerprint: string;
  /** SHA-256 fingerprints of revoked certificates: a peer chain holding one is refused. */
  readonly revoked: ReadonlySet<string>;
}
