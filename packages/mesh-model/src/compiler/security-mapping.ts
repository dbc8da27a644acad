// The security part of a ProxyConfig (issue 6): the workload identity, the
// inbound mTLS mode (PeerAuthentication → Mesh → options → STRICT), the SPIFFE
// IDs a mesh backend may present, the AuthorizationPolicies of the local
// service and its RequestAuthentication. Pure; every decision the operator
// should know about is a diagnostic.
import { parseDuration } from "../common/duration.ts";
import { workloadSpiffeId } from "../common/identity.ts";
import type { AuthorizationPolicy } from "../authorization-policy/authorization-policy.schema.ts";
import { type CompiledAuthorizationPolicy, CompiledAuthorizationPolicySchema } from "../authorization-policy/compiled-authorization.schema.ts";
import type { Mesh, MtlsMode } from "../mesh/mesh.schema.ts";
import type { PeerAuthentication } from "../peer-authentication/peer-authentication.schema.ts";
import type { Listener } from "../proxy-config/proxy-listeners.schema.ts";
import {
  type AuthorizationConfig,
  type BackendMtls,
  type Jwks,
  type JwtIssuer,
  JwtIssuerSchema,
  type RequestAuthenticationConfig,
  type WorkloadIdentity,
} from "../proxy-config/proxy-security.schema.ts";
import type { JwksSource, RequestAuthentication } from "../request-authentication/request-authentication.schema.ts";
import type { CatalogEndpoint, CompileInput } from "./compile-input.ts";
import type { DiagnosticSink } from "./diagnostics.ts";
import type { MeshService } from "./service-catalog.ts";

/** A resource of the compilation with its key (`Kind/ns/name`) and namespace, oldest first. */
export interface SecurityResource<R> {
  resource: R;
  key: string;
  namespace: string;
}

/** What the security mapping reads. */
export interface SecurityInput {
  input: CompileInput;
  sink: DiagnosticSink;
  mesh: SecurityResource<Mesh> | undefined;
  peerAuthentications: readonly SecurityResource<PeerAuthentication>[];
  authorizationPolicies: readonly SecurityResource<AuthorizationPolicy>[];
  requestAuthentications: readonly SecurityResource<RequestAuthentication>[];
  /** The workload's own service in the catalog, if discovery reported it. */
  ownService: MeshService | undefined;
}

/** The mode the workload's inbound side runs and what decided it. */
export interface EffectiveMtls {
  mode: MtlsMode;
  /** For messages: `PeerAuthentication/shop/legacy`, `Mesh/default`, `options.mtlsMode` or `default`. */
  decidedBy: string;
}

/** ProxyConfig bounds of a remote JWKS. */
const JWKS_CACHE_MS = { min: 1000, max: 86_400_000 } as const;
const JWKS_TIMEOUT_MS = { min: 100, max: 60_000 } as const;
/** BackendMtls.expectedIdentities holds at most 64 entries. */
const MAX_EXPECTED_IDENTITIES = 64;

/** The workload identity for the ProxyConfig, revoked fingerprints sorted and once each (input order must not change the version). */
export function compileIdentity(s: SecurityInput): WorkloadIdentity | undefined {
  const identity = s.input.options.identity;
  if (!identity) return undefined;
  if (s.mesh && s.mesh.resource.spec.trustDomain !== identity.trustDomain)
    s.sink.add({
      severity: "warning",
      code: "trust_domain_mismatch",
      resource: s.mesh.key,
      path: "spec.trustDomain",
      message: `the workload's identity (options.identity) is in trust domain ${identity.trustDomain}, not ${s.mesh.resource.spec.trustDomain}: peers of ${s.mesh.resource.spec.trustDomain} are refused`,
    });
  const { revokedFingerprints, ...rest } = identity;
  return revokedFingerprints?.length ? { ...rest, revokedFingerprints: [...new Set(revokedFingerprints)].sort() } : rest;
}

/**
 * The most specific mode: a PeerAuthentication for the workload's service,
 * then one for its namespace, then the Mesh, then options.mtlsMode, then
 * STRICT. Of two equally specific PeerAuthentications the oldest wins.
 */
export function effectiveMtls(s: SecurityInput): EffectiveMtls {
  const { workload } = s.input;
  const inNamespace = s.peerAuthentications.filter((p) => p.namespace === workload.namespace);
  const forService = inNamespace.filter((p) => p.resource.spec.targetRef?.name === workload.service);
  const forNamespace = inNamespace.filter((p) => p.resource.spec.targetRef === undefined);
  for (const group of [forService, forNamespace]) {
    const [winner, ...losers] = group;
    if (!winner) continue;
    for (const loser of losers)
      s.sink.add({ severity: "warning", code: "conflicting_policies", resource: loser.key, path: "spec.targetRef", message: `${winner.key} selects the same target and is older; its mode ${winner.resource.spec.mtls.mode} is used` });
    return { mode: winner.resource.spec.mtls.mode, decidedBy: winner.key };
  }
  if (s.mesh) return { mode: s.mesh.resource.spec.mtls.mode, decidedBy: s.mesh.key };
  if (s.input.options.mtlsMode) return { mode: s.input.options.mtlsMode, decidedBy: "options.mtlsMode" };
  return { mode: "STRICT", decidedBy: "default" };
}

/**
 * The mTLS mode of the inbound HTTP listeners, or undefined (plaintext) when
 * there is no identity to terminate mTLS with — a warning when that leaves a
 * STRICT workload open. TCP listeners cannot terminate mTLS at all.
 */
export function inboundMtlsMode(s: SecurityInput, listeners: readonly Listener[]): MtlsMode | undefined {
  const effective = effectiveMtls(s);
  const { workload } = s.input;
  const inbound = listeners.some((l) => l.kind === "inbound");
  if (effective.mode === "STRICT") {
    if (!s.input.options.identity && inbound)
      s.sink.add({
        severity: "warning",
        code: "no_identity",
        path: "options.identity",
        message: `the mTLS mode is STRICT (${effective.decidedBy}) but no identity was given: the inbound listeners accept plaintext until the agent provides one`,
      });
    workload.appPorts.forEach((app, i) => {
      if (app.protocol === "TCP")
        s.sink.add({ severity: "warning", code: "plaintext_tcp", path: `workload.appPorts[${i}]`, message: `app port ${app.port} is TCP: TCP passthrough listeners cannot terminate mTLS, so it accepts plaintext although the mode is STRICT (${effective.decidedBy})` });
    });
  }
  return s.input.options.identity ? effective.mode : undefined;
}

/**
 * The SPIFFE IDs the endpoints of a mesh backend may present: one per
 * service account. An endpoint without a known service account (e.g. a
 * remote cluster reached through a gateway) widens the set to any workload
 * of the destination's namespace (`spiffe://<td>/ns/<ns>/*`): still a mesh
 * identity of the right namespace, not one workload.
 */
export function backendMtls(s: SecurityInput, service: MeshService, endpoints: readonly CatalogEndpoint[]): BackendMtls | undefined {
  const identity = s.input.options.identity;
  if (!identity) return undefined;
  const namespaceWide = `spiffe://${identity.trustDomain}/ns/${service.namespace}/*`;
  const ids = new Set<string>();
  for (const e of endpoints) ids.add(e.serviceAccount !== undefined ? workloadSpiffeId(identity.trustDomain, service.namespace, e.serviceAccount) : namespaceWide);
  if (ids.size === 0 || ids.has(namespaceWide) || ids.size > MAX_EXPECTED_IDENTITIES) return { expectedIdentities: [namespaceWide] };
  return { expectedIdentities: [...ids].sort() };
}

/** The AuthorizationPolicies targeting the workload's service, in the proxy's terms; undefined when none. */
export function compileAuthorization(s: SecurityInput, listeners: readonly Listener[]): AuthorizationConfig | undefined {
  const { workload } = s.input;
  const targeting = s.authorizationPolicies.filter((p) => p.resource.spec.targetRef.name === workload.service && (p.resource.spec.targetRef.namespace ?? p.namespace) === workload.namespace);
  if (targeting.length === 0) return undefined;
  if (!listeners.some((l) => l.kind === "inbound")) {
    for (const p of targeting) s.sink.add({ severity: "info", code: "no_effect", resource: p.key, path: "spec.targetRef", message: `workload ${workload.name} has no inbound HTTP listener to enforce it on` });
    return undefined;
  }
  const policies: CompiledAuthorizationPolicy[] = [];
  for (const p of targeting) {
    const spec = p.resource.spec;
    let ports: number[] | undefined;
    if (spec.targetRef.ports?.length) {
      ports = [];
      spec.targetRef.ports.forEach((port, i) => {
        const appPort = workloadPortOf(s, port);
        if (appPort !== undefined) ports?.push(appPort);
        else s.sink.add({ severity: "warning", code: "unknown_port", resource: p.key, path: `spec.targetRef.ports[${i}]`, message: `${workload.namespace}/${workload.service} port ${port} is not served by workload ${workload.name}; nothing to enforce there` });
      });
      if (ports.length === 0) continue;
      ports = [...new Set(ports)].sort((a, b) => a - b);
    }
    if (!s.input.options.identity && (spec.rules ?? []).some((r) => r.from))
      s.sink.add({
        severity: "warning",
        code: "no_identity",
        resource: p.key,
        path: "spec.rules",
        message: "without an identity the proxy accepts no mTLS, so callers have no verified identity and no `from` condition matches",
      });
    policies.push(CompiledAuthorizationPolicySchema.parse({ name: p.resource.metadata.name, namespace: p.namespace, action: spec.action, ...(ports ? { ports } : {}), rules: spec.rules ?? [] }));
  }
  return { policies };
}

/**
 * The workload port a service port of the workload's own service is served
 * on: the app port that says it serves it (`servicePort`, else its own
 * number), or the first app port for the service's primary port (as
 * discovery maps service port → target port).
 */
function workloadPortOf(s: SecurityInput, servicePort: number): number | undefined {
  const { appPorts } = s.input.workload;
  const serving = appPorts.find((a) => (a.servicePort ?? a.port) === servicePort);
  if (serving) return serving.port;
  const primary = s.ownService?.primary ?? s.ownService?.ports[0];
  return primary?.port === servicePort ? appPorts[0]?.port : undefined;
}

/**
 * RequestAuthentications for the workload: the ones targeting its service,
 * then the namespace-wide ones of its namespace (Istio merges them too). The
 * first rule of an issuer wins; later ones are reported.
 */
export function compileRequestAuthentication(s: SecurityInput, listeners: readonly Listener[]): RequestAuthenticationConfig | undefined {
  const { workload } = s.input;
  const forService = s.requestAuthentications.filter((r) => r.resource.spec.targetRef && r.resource.spec.targetRef.name === workload.service && (r.resource.spec.targetRef.namespace ?? r.namespace) === workload.namespace);
  const forNamespace = s.requestAuthentications.filter((r) => !r.resource.spec.targetRef && r.namespace === workload.namespace);
  const applicable = [...forService, ...forNamespace];
  if (applicable.length === 0) return undefined;
  const inbound = listeners.filter((l) => l.kind === "inbound").map((l) => l.name);
  if (inbound.length === 0) {
    for (const r of applicable) s.sink.add({ severity: "info", code: "no_effect", resource: r.key, path: "spec", message: `workload ${workload.name} has no inbound HTTP listener to verify tokens on` });
    return undefined;
  }
  const issuers: JwtIssuer[] = [];
  const byIssuer = new Map<string, string>();
  for (const r of applicable) {
    r.resource.spec.jwtRules.forEach((rule, i) => {
      const path = `spec.jwtRules[${i}]`;
      const first = byIssuer.get(rule.issuer);
      if (first !== undefined) {
        s.sink.add({ severity: "warning", code: "conflicting_policies", resource: r.key, path: `${path}.issuer`, message: `issuer ${rule.issuer} is already configured by ${first}, which is more specific or older; this rule is not used` });
        return;
      }
      const candidate = {
        issuer: rule.issuer,
        ...(rule.audiences ? { audiences: rule.audiences } : {}),
        jwks: mapJwks(rule.jwks, s, r.key, `${path}.jwks`),
        ...(rule.fromHeaders ? { fromHeaders: rule.fromHeaders.map((h) => ({ name: h.name, ...(h.prefix !== undefined ? { prefix: h.prefix } : {}) })) } : {}),
        ...(rule.fromParams ? { fromParams: rule.fromParams } : {}),
        forwardOriginalToken: rule.forwardOriginalToken,
      };
      const parsed = JwtIssuerSchema.safeParse(candidate);
      if (!parsed.success) {
        // Beyond the proxy's bounds (e.g. more than 32 audiences): tokens of this issuer are refused (401) rather than half checked.
        const issue = parsed.error.issues[0];
        s.sink.add({ severity: "error", code: "unsupported_value", resource: r.key, path: `${path}${issue?.path.length ? `.${issue.path.join(".")}` : ""}`, message: `the proxy cannot verify this rule (${issue?.message ?? "invalid"}); tokens of ${rule.issuer} are refused` });
        return;
      }
      byIssuer.set(rule.issuer, r.key);
      issuers.push(parsed.data);
    });
  }
  if (issuers.length === 0) return undefined;
  // The resource has no clock-skew field: the proxy's default allowance (60 s) is written out so /config shows it.
  return { issuers, clockSkewSeconds: 60, listeners: inbound };
}

function mapJwks(source: JwksSource, s: SecurityInput, resource: string, path: string): Jwks {
  switch (source.type) {
    case "Inline":
      return { source: "inline", jwks: source.inline };
    case "File":
      return { source: "file", path: source.path };
    case "Remote":
      return {
        source: "remote",
        uri: source.uri,
        cacheMs: clampMs(source.cacheDuration, JWKS_CACHE_MS, s, resource, `${path}.cacheDuration`),
        timeoutMs: clampMs(source.timeout, JWKS_TIMEOUT_MS, s, resource, `${path}.timeout`),
        minRefreshIntervalMs: 10_000,
      };
  }
}

function clampMs(text: string, bounds: { min: number; max: number }, s: SecurityInput, resource: string, path: string): number {
  const ms = parseDuration(text) ?? 0;
  const clamped = Math.min(bounds.max, Math.max(bounds.min, ms));
  if (clamped !== ms) s.sink.add({ severity: "warning", code: "clamped_value", resource, path, message: `${text} is outside the proxy's range (${bounds.min} ms to ${bounds.max} ms); ${clamped} ms is used` });
  return clamped;
}
