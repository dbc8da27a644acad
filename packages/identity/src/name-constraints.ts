import { AsnConvert } from "@peculiar/asn1-schema";
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints } from "@peculiar/asn1-x509";
import { OID, type ParsedCertificate } from "./certificate.ts";
import { x509 } from "./x509.ts";

/**
 * A critical nameConstraints extension permitting only URIs whose host is the
 * trust domain (RFC 5280 §4.2.1.10: URI constraints apply to the host part),
 * so a leaked cluster intermediate cannot mint identities of another trust domain.
 */
export function trustDomainNameConstraints(trustDomain: string): x509.Extension {
  const constraints = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees([new GeneralSubtree({ base: new GeneralName({ uniformResourceIdentifier: trustDomain }) })]),
  });
  return new x509.Extension(OID.nameConstraints, true, AsnConvert.serialize(constraints));
}

function uriHost(uri: string): string {
  const rest = uri.slice(uri.indexOf("://") + 3);
  return rest.split(/[/:?#]/, 1)[0]?.toLowerCase() ?? "";
}

function hostMatches(host: string, base: string): boolean {
  const constraint = base.toLowerCase();
  // A leading "." names the subdomains of a domain, not the domain itself.
  return constraint.startsWith(".") ? host.endsWith(constraint) : host === constraint;
}

/**
 * Checks `uri` against the URI name constraints of `ca`. Returns a reason when
 * the URI is outside the permitted subtrees or inside an excluded one.
 */
export function uriNameConstraintViolation(ca: ParsedCertificate, uri: string): string | undefined {
  const extension = ca.cert.getExtension(OID.nameConstraints);
  if (!extension) return undefined;
  let constraints: NameConstraints;
  try {
    constraints = AsnConvert.parse(extension.value, NameConstraints);
  } catch {
    return `${ca.subject} has a malformed nameConstraints extension`;
  }
  const host = uriHost(uri);
  const uris = (subtrees: GeneralSubtrees | undefined) =>
    (subtrees ?? []).map((s) => s.base.uniformResourceIdentifier).filter((u): u is string => u !== undefined);
  const excluded = uris(constraints.excludedSubtrees).find((base) => hostMatches(host, base));
  if (excluded) return `${uri} is in a subtree excluded by ${ca.subject} (${excluded})`;
  const permitted = uris(constraints.permittedSubtrees);
  if (permitted.length > 0 && !permitted.some((base) => hostMatches(host, base))) {
    return `${uri} is outside the names ${ca.subject} may certify (${permitted.join(", ")})`;
  }
  return undefined;
}
