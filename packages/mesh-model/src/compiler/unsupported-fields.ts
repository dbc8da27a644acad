// Resource fields the ProxyConfig cannot express yet. Issue 8: no field may be
// stored and then ignored, so each one is listed here with the reason, and the
// compiler reports every use as a diagnostic. The manager can call
// `findUnsupportedFields` at apply time to warn (or refuse) before anything is
// stored. When the proxy learns a feature, delete its entry and map the field.
import type { Resource, ResourceOfKind } from "../resource/resource.schema.ts";

/** One field (or field shape) the compiler cannot map. */
export interface UnsupportedField {
  kind: Resource["kind"];
  /** Field path with `[]` for any index, e.g. `spec.rules[].filters[type=RequestMirror]`. */
  field: string;
  /** Why, and what would be needed. */
  reason: string;
}

interface Rule<K extends Resource["kind"]> extends UnsupportedField {
  kind: K;
  /** Concrete paths of the uses in one resource. */
  find(resource: ResourceOfKind<K>): string[];
}

type AnyRule = { [K in Resource["kind"]]: Rule<K> }[Resource["kind"]];

const when = (cond: boolean, path: string): string[] => (cond ? [path] : []);

const RULES: readonly AnyRule[] = [
  // ------------------------------------------------------------ TrafficPolicy
  {
    kind: "TrafficPolicy",
    field: "spec.loadBalancer.ringHash.hashOn[type=Cookie]",
    reason: "the proxy hashes the cookie when a request carries it but cannot set it when absent (ProxyConfig HashOn has no cookie ttl or path); requests without the cookie are spread at random",
    find: (p) => when(p.spec.loadBalancer?.ringHash?.hashOn.type === "Cookie", "spec.loadBalancer.ringHash.hashOn.cookie"),
  },
  // --------------------------------------------------------------- HTTPRoute
  // --------------------------------------------------------- ExternalService
  {
    kind: "ExternalService",
    field: "spec.tls[mode=MUTUAL]",
    reason: "ProxyConfig UpstreamTls has no client certificate; the backend is compiled without endpoints (fails closed)",
    find: (e) => when(e.spec.tls?.mode === "MUTUAL", "spec.tls.mode"),
  },
  {
    kind: "ExternalService",
    field: "spec.tls.verifyHostname=false",
    reason: "ProxyConfig UpstreamTls can only skip all verification (insecureSkipVerify), not just the host name check; the host name is still verified",
    find: (e) => when(e.spec.tls !== undefined && e.spec.tls.mode !== "DISABLE" && !e.spec.tls.verifyHostname, "spec.tls.verifyHostname"),
  },
  {
    kind: "ExternalService",
    field: "spec.hosts[*.wildcard]",
    reason: "a wildcard host has no address to connect to; ProxyConfig has no dynamic forward proxy (resolve the Host per request)",
    find: (e) => e.spec.hosts.flatMap((h, i) => when(h.startsWith("*"), `spec.hosts[${i}]`)),
  },
  {
    kind: "ExternalService",
    field: "spec.ports[protocol=HTTPS|TLS|TCP]",
    reason: "the outbound listener routes plaintext HTTP only; ProxyConfig has no SNI passthrough or per-host TCP listener for external services",
    find: (e) => e.spec.ports.flatMap((p, i) => when(p.protocol === "HTTPS" || p.protocol === "TLS" || p.protocol === "TCP", `spec.ports[${i}].protocol`)),
  },
  // ------------------------------------------------------- RequestAuthentication
  {
    kind: "RequestAuthentication",
    field: "spec.jwtRules[].claimsToHeaders",
    reason: "ProxyConfig JWT issuers cannot copy claims into request headers; the app sees x-weft-request-principal (and the token, with forwardOriginalToken) only",
    find: (r) => r.spec.jwtRules.flatMap((rule, i) => when((rule.claimsToHeaders?.length ?? 0) > 0, `spec.jwtRules[${i}].claimsToHeaders`)),
  },
];

/** Every field the compiler cannot express in a ProxyConfig, with the reason. */
export const UNSUPPORTED_FIELDS: readonly UnsupportedField[] = RULES.map(({ kind, field, reason }) => ({ kind, field, reason }));

/** One use of an unsupported field in a resource. */
export interface UnsupportedFieldUse {
  path: string;
  field: string;
  reason: string;
}

/** The unsupported fields a resource uses, with concrete paths, in rule order. */
export function findUnsupportedFields(resource: Resource): UnsupportedFieldUse[] {
  const out: UnsupportedFieldUse[] = [];
  for (const rule of RULES) {
    if (rule.kind !== resource.kind) continue;
    // The kinds match, so the resource has the rule's type.
    const paths = (rule.find as (r: Resource) => string[])(resource);
    for (const path of paths) out.push({ path, field: rule.field, reason: rule.reason });
  }
  return out;
}
