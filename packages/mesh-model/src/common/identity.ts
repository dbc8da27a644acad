import { z } from "zod";

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
// SPIFFE path segments: letters, digits, '.', '-', '_' (spiffe-id spec), no empty, '.' or '..' segments.
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** True when `value` is a valid SPIFFE trust domain name (lowercase letters, digits, `.`, `-`, `_`). */
export function isTrustDomain(value: string): boolean {
  return value.length > 0 && value.length <= 255 && TRUST_DOMAIN.test(value);
}

/** True when `value` is a SPIFFE ID `spiffe://<trust-domain>/<path>` with a non-empty path. */
export function isSpiffeId(value: string): boolean {
  if (!value.startsWith("spiffe://")) return false;
  const rest = value.slice("spiffe://".length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return false;
  if (!isTrustDomain(rest.slice(0, slash))) return false;
  const segments = rest.slice(slash + 1).split("/");
  return segments.every((s) => PATH_SEGMENT.test(s) && s !== "." && s !== "..");
}

/** The SPIFFE ID of a workload: `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`. */
export function workloadSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The namespace segment of a Weft workload SPIFFE ID (`.../ns/<namespace>/sa/...`), if it has one. */
export function namespaceOfSpiffeId(id: string): string | undefined {
  return /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/[^/]+$/.exec(id)?.[1];
}

/**
 * True when `pattern` is `*`, a SPIFFE ID, a SPIFFE ID prefix followed by `*`
 * (`spiffe://example.org/ns/shop/*`) or `*` followed by a suffix (`*\/sa/frontend`).
 */
export function isIdentityPattern(pattern: string): boolean {
  if (pattern === "*") return true;
  const stars = pattern.split("*").length - 1;
  if (stars === 0) return isSpiffeId(pattern);
  if (stars > 1) return false;
  if (pattern.endsWith("*")) return pattern.startsWith("spiffe://") && pattern.length > "spiffe://".length + 1;
  if (pattern.startsWith("*")) return pattern.length > 1 && !pattern.includes("spiffe://");
  return false;
}

/** True when the SPIFFE ID `id` matches `pattern` (exact, `*`, `prefix*` or `*suffix`). */
export function matchesIdentityPattern(pattern: string, id: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return id.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return id.endsWith(pattern.slice(1));
  return pattern === id;
}

/** A source identity pattern in a policy rule. */
export const IdentityPatternSchema = z.string().refine(isIdentityPattern, {
  message:
    'must be a SPIFFE ID (spiffe://<trust-domain>/ns/<namespace>/sa/<account>), "*", a SPIFFE ID prefix ending in "*" or "*" followed by a suffix',
  params: { code: "invalid_identity" },
});

/** A SPIFFE trust domain name. */
export const TrustDomainSchema = z.string().refine(isTrustDomain, {
  message: "must be a trust domain name: lowercase letters, digits, '.', '-' and '_' (for example weft.local)",
  params: { code: "invalid_trust_domain" },
});
