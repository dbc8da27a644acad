import { parseCertificate, type CertificateInput } from "./certificate.ts";

/** Validity of a certificate, given as parsed dates or as the certificate itself. */
export type Validity = { notBefore: Date; notAfter: Date } | CertificateInput;

function windowOf(cert: Validity): { notBefore: number; notAfter: number } {
  const v = typeof cert === "string" || cert instanceof Uint8Array ? parseCertificate(cert) : cert;
  return { notBefore: v.notBefore.getTime(), notAfter: v.notAfter.getTime() };
}

/**
 * True once `fraction` of the certificate's lifetime has elapsed at `now`
 * (default one half), or when it is already expired.
 */
export function needsRenewal(cert: Validity, now: Date = new Date(), fraction = 0.5): boolean {
  const { notBefore, notAfter } = windowOf(cert);
  return now.getTime() >= notBefore + (notAfter - notBefore) * fraction;
}

/** Share of the lifetime the renewal point is spread over, either side of half-life. */
export const RENEWAL_JITTER = 0.1;

/**
 * Milliseconds from `now` until the certificate should be renewed: at half its
 * lifetime, spread by ±10 % of the lifetime so that certificates issued together
 * (an agent restart) do not all renew in the same instant. `random` returns
 * values in [0, 1) (injectable for tests). Never negative.
 */
export function renewalDelay(cert: Validity, random: () => number = Math.random, now: Date = new Date()): number {
  const { notBefore, notAfter } = windowOf(cert);
  const lifetime = notAfter - notBefore;
  const target = notBefore + lifetime * 0.5 + (random() * 2 - 1) * RENEWAL_JITTER * lifetime;
  return Math.max(0, Math.round(target - now.getTime()));
}
