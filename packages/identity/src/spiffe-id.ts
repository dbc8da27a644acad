import { IdentityError } from "./errors.ts";

// Grammar from the SPIFFE-ID standard, section 2: lowercase trust domain of
// [a-z0-9._-], path segments of [A-Za-z0-9._-] that are neither empty, "." nor
// "..", no trailing slash, no query, fragment, port, user info or percent-encoding.
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN_BYTES = 255;
const CLUSTER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A parsed SPIFFE ID. `path` is "" for a trust domain ID, else starts with "/". */
export interface SpiffeId {
  trustDomain: string;
  path: string;
  /** The canonical string form `spiffe://<trustDomain><path>`. */
  id: string;
}

/** Throws unless `trustDomain` is a valid SPIFFE trust domain name. */
export function assertTrustDomain(trustDomain: string, path = "trustDomain"): void {
  if (!trustDomain || trustDomain.length > MAX_TRUST_DOMAIN_BYTES || !TRUST_DOMAIN.test(trustDomain)) {
    throw new IdentityError("invalid-trust-domain", `"${trustDomain}" is not a valid trust domain: lowercase letters, digits, ".", "-" and "_" only`, path);
  }
}

/** Throws unless `cluster` is a cluster name (a DNS label: lowercase, digits, "-", at most 63). */
export function assertClusterName(cluster: string, path = "cluster"): void {
  if (!CLUSTER_NAME.test(cluster)) {
    throw new IdentityError("invalid-cluster-name", `"${cluster}" is not a valid cluster name: a DNS label of lowercase letters, digits and "-"`, path);
  }
}

/** Parses and validates a SPIFFE ID; throws an IdentityError naming the first violation. */
export function parseSpiffeId(text: string, path = "spiffeId"): SpiffeId {
  const fail = (why: string): never => {
    throw new IdentityError("invalid-spiffe-id", `"${text}" is not a valid SPIFFE ID: ${why}`, path);
  };
  if (Buffer.byteLength(text, "utf8") > MAX_ID_BYTES) fail(`longer than ${MAX_ID_BYTES} bytes`);
  if (!text.startsWith("spiffe://")) fail('the scheme must be "spiffe://" (lowercase)');
  const rest = text.slice("spiffe://".length);
  if (/[?#]/.test(rest)) fail("query and fragment are not allowed");
  const slash = rest.indexOf("/");
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const idPath = slash === -1 ? "" : rest.slice(slash);
  if (!trustDomain) fail("the trust domain is missing");
  if (trustDomain.includes("@")) fail("user info is not allowed");
  if (trustDomain.includes(":")) fail("a port is not allowed");
  if (!TRUST_DOMAIN.test(trustDomain)) fail('the trust domain may hold only lowercase letters, digits, ".", "-" and "_"');
  if (idPath) {
    const segments = idPath.slice(1).split("/");
    for (const segment of segments) {
      if (segment === "") fail(idPath.endsWith("/") ? "a trailing slash is not allowed" : "empty path segments are not allowed");
      if (segment === "." || segment === "..") fail('"." and ".." path segments are not allowed');
      if (!SEGMENT.test(segment)) fail(`path segment "${segment}" may hold only letters, digits, ".", "-" and "_"`);
    }
  }
  return { trustDomain, path: idPath, id: text };
}

/** True when `text` is a valid SPIFFE ID. */
export function isSpiffeId(text: string): boolean {
  try {
    parseSpiffeId(text);
    return true;
  } catch {
    return false;
  }
}

/** The trust domain's own ID, `spiffe://<td>`, carried by CA certificates. */
export function trustDomainId(trustDomain: string): string {
  assertTrustDomain(trustDomain);
  return `spiffe://${trustDomain}`;
}

/** The workload identity `spiffe://<td>/ns/<namespace>/sa/<serviceAccount>`. */
export function spiffeIdFor(input: { trustDomain: string; namespace: string; serviceAccount: string }): string {
  assertTrustDomain(input.trustDomain);
  for (const [field, value] of [["namespace", input.namespace], ["serviceAccount", input.serviceAccount]] as const) {
    if (!value || value === "." || value === ".." || !SEGMENT.test(value)) {
      throw new IdentityError("invalid-spiffe-id", `${field} "${value}" cannot be a SPIFFE ID path segment: letters, digits, ".", "-" and "_" only`, field);
    }
  }
  return parseSpiffeId(`spiffe://${input.trustDomain}/ns/${input.namespace}/sa/${input.serviceAccount}`).id;
}

/** The namespace and service account of a workload ID, or undefined when it is not of that shape. */
export function workloadOf(spiffeId: string): { trustDomain: string; namespace: string; serviceAccount: string } | undefined {
  const parsed = parseSpiffeId(spiffeId);
  const match = /^\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(parsed.path);
  if (!match?.[1] || !match[2]) return undefined;
  return { trustDomain: parsed.trustDomain, namespace: match[1], serviceAccount: match[2] };
}
