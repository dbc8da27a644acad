// The agent's identity decisions, pure: when the cluster intermediate must be
// replaced, when a workload SVID is due, which root a chain ends at, and which
// identities the local instances need. No I/O, no clock of its own.
import { X509Certificate } from "node:crypto";
import { needsRenewal, parseCertificate, renewalDelay } from "@weft/identity";
import type { ClusterTrust } from "@weft/mesh-model";
import { localInstances } from "../universal/universal-catalog.ts";
import type { UniversalFile } from "../universal/universal-file.schema.ts";
import { identityKey, type LocalIdentity } from "./identity-files.ts";

/** What the decisions need to know about the current intermediate. */
export interface IntermediateFacts {
  /** SHA-256 of the intermediate's DER (lowercase hex). */
  fingerprint: string;
  /** The bundle root its chain ends at; undefined when it ends at none of them. */
  rootFingerprint: string | undefined;
  notBefore: Date;
  notAfter: Date;
}

export type IntermediateReason = "none" | "other-root" | "revoked" | "half-life";

/** Why the intermediate must be replaced, or undefined when it is good. */
export function intermediateRenewalReason(current: IntermediateFacts | undefined, trust: ClusterTrust, now: Date): IntermediateReason | undefined {
  if (!current) return "none";
  if (current.rootFingerprint !== trust.issuingRootFingerprint) return "other-root";
  if (trust.revokedFingerprints.includes(current.fingerprint)) return "revoked";
  if (needsRenewal(current, now)) return "half-life";
  return undefined;
}

/** Readable explanations, for the log and /status. */
export const INTERMEDIATE_REASONS: Record<IntermediateReason, string> = {
  none: "the cluster has no intermediate yet",
  "other-root": "the intermediate chains to a root other than the one the mesh issues under now",
  revoked: "the intermediate was revoked",
  "half-life": "the intermediate is past half its lifetime",
};

/**
 * SHA-256 of the root in `rootsPem` that issued the top of the chain
 * (`chainPem` nearest first, without the root), or undefined when none did.
 */
export function chainRootFingerprint(certificatePem: string, chainPem: readonly string[], rootsPem: readonly string[]): string | undefined {
  const top = new X509Certificate(chainPem.at(-1) ?? certificatePem);
  for (const pem of rootsPem) {
    const root = parseCertificate(pem);
    if (top.checkIssued(root.native) && top.verify(root.native.publicKey)) return root.fingerprintSha256;
  }
  return undefined;
}

/** An SVID as the schedule sees it. */
export interface SvidFacts {
  /** Fingerprint of the intermediate that signed it. */
  issuedUnder: string;
  /** When it should be renewed (ms since the epoch; half-life with jitter, fixed at issue). */
  renewAt: number;
}

/**
 * The renewal point of an SVID now that `intermediateFingerprint` is the
 * cluster's issuer: unchanged when that intermediate signed it; otherwise
 * within `spreadMs` from now, so a new intermediate re-issues every SVID
 * promptly but not all in the same instant.
 */
export function svidRenewAt(svid: SvidFacts, intermediateFingerprint: string, now: number, random: () => number, spreadMs: number): number {
  if (svid.issuedUnder === intermediateFingerprint) return svid.renewAt;
  return Math.min(svid.renewAt, now + Math.floor(random() * spreadMs));
}

/**
 * The renewal point of a certificate issued now: about half its lifetime,
 * with jitter. Counted from `now`, not from notBefore: issuers backdate
 * notBefore (a minute, for slow clocks), which would put the half-life of a
 * short-lived SVID in the past and renew it in a loop.
 */
export function renewAtOf(validity: { notAfter: Date }, now: Date, random: () => number): number {
  return now.getTime() + renewalDelay({ notBefore: now, notAfter: validity.notAfter }, random, now);
}

/** One identity per (namespace, service account) of the instances this agent runs proxies for, sorted. */
export function localIdentities(file: UniversalFile | undefined): LocalIdentity[] {
  const byKey = new Map<string, LocalIdentity>();
  for (const inst of file ? localInstances(file) : []) byKey.set(identityKey(inst), { namespace: inst.namespace, serviceAccount: inst.serviceAccount });
  return [...byKey.values()].sort((a, b) => (identityKey(a) < identityKey(b) ? -1 : 1));
}
