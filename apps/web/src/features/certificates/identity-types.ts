import type { RouterOutputs } from "../../trpc/types.ts";

/** identity.authorities as the browser receives it. */
export type AuthoritiesData = RouterOutputs["identity"]["authorities"];
export type AuthorityData = AuthoritiesData["authorities"][number];
/** identity.certificates. */
export type CertificatesData = RouterOutputs["identity"]["certificates"];
export type CertificateData = CertificatesData["items"][number];
/** identity.trustBundle (null while the mesh has no CA). */
export type TrustBundleData = RouterOutputs["identity"]["trustBundle"];
/** identity.rotation.get (null when no rotation ever ran). */
export type RotationData = NonNullable<RouterOutputs["identity"]["rotation"]["get"]>;
