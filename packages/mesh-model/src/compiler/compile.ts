// The pure compiler: mesh resources + the federated catalog → the ProxyConfig
// of one workload. No I/O, no clock, no randomness: the same input always
// gives the same config, byte for byte, and the same version.
//
// One compilation runs its units over a shared CompileContext:
// compile-routes.ts (virtual hosts and rules), compile-backends.ts (catalog
// backends), compile-external-services.ts, compile-listeners.ts,
// compile-rate-limits.ts and security-mapping.ts, in two stages: the
// outbound part (compileOutbound: what the caller can reach, the same for
// every workload that sits alike) and the workload's own (compileWorkload).
// mesh-compiler.ts shares the first between the proxies of one snapshot.
import { type ValidationIssue, issuesFromZod } from "../common/issues.ts";
import type { ProxyConfig } from "../proxy-config/proxy-config.schema.ts";
import { assembleConfig } from "./assemble-config.ts";
import { BackendCompiler } from "./compile-backends.ts";
import { CompileContext } from "./compile-context.ts";
import { ExternalServiceCompiler } from "./compile-external-services.ts";
import { type CompileInput, type CompileInputRaw, CompileInputSchema } from "./compile-input.ts";
import { compileListeners } from "./compile-listeners.ts";
import { compileRateLimits } from "./compile-rate-limits.ts";
import { inScope, servicesInScope } from "./egress-scope.ts";
import { RouteCompiler, reportUnreachablePorts } from "./compile-routes.ts";
import { type CompileDiagnostic, compareText } from "./diagnostics.ts";
import { compileAuthorization, compileIdentity, compileRequestAuthentication, inboundMtlsMode } from "./security-mapping.ts";
import { serviceKey } from "./service-catalog.ts";

/** The outcome of a compilation: a valid config and everything worth telling the operator. */
export interface CompileResult {
  /** Validated by ProxyConfigSchema (defaults applied); `version` is a hash of its content. */
  config: ProxyConfig;
  /** Errors first, then warnings, then info; stable order. */
  diagnostics: CompileDiagnostic[];
}

/** The compile input is malformed (not a compile diagnostic: nothing was compiled). */
export class CompileInputError extends Error {
  override readonly name = "CompileInputError";
  readonly code = "INVALID_COMPILE_INPUT";
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(`invalid compile input: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  }
}

export { COMPILER_REVISION } from "./assemble-config.ts";

/** Validates a compile input (resources, catalog, workload, options), applying defaults. */
export function parseCompileInput(value: unknown): { ok: true; input: CompileInput } | { ok: false; issues: ValidationIssue[] } {
  const result = CompileInputSchema.safeParse(value, { reportInput: true });
  return result.success ? { ok: true, input: result.data } : { ok: false, issues: issuesFromZod(result.error.issues) };
}

/**
 * Compiles the ProxyConfig of one workload. Throws {@link CompileInputError}
 * when the input does not match {@link CompileInputSchema}; everything else
 * (unknown services, unsupported fields, conflicts) is a diagnostic. To
 * compile many proxies against the same resources and catalog, use
 * MeshCompiler (mesh-compiler.ts): same results, the shared part built once.
 */
export function compileProxyConfig(raw: CompileInputRaw): CompileResult {
  const parsed = parseCompileInput(raw);
  if (!parsed.ok) throw new CompileInputError(parsed.issues);
  const ctx = new CompileContext(parsed.input);
  compileOutbound(ctx);
  return compileWorkload(ctx);
}

/**
 * The outbound part: a virtual host per catalog service and ExternalService,
 * and the backends their routes send to. It reads where the caller sits
 * (namespace, cluster, zone, trust domain, certificates) but nothing else of
 * the workload, so MeshCompiler builds it once per such place.
 */
export function compileOutbound(ctx: CompileContext): void {
  const backends = new BackendCompiler(ctx);
  const externals = new ExternalServiceCompiler(ctx);
  const routes = new RouteCompiler(ctx, backends, externals);
  const { scope } = ctx;
  let scoped = 0;
  for (const service of servicesInScope(ctx.index, scope)) {
    routes.compileServiceHost(service);
    scoped++;
  }
  for (const es of ctx.byKind.ExternalService) if (inScope(scope, es.namespace, es.resource.metadata.name)) externals.compile(es);
  if (scope)
    ctx.sink.add({
      severity: "info",
      code: "egress_scoped",
      resource: scope.sidecar.key,
      path: "spec.egress.hosts",
      message: `the outbound side is compiled for ${scoped} service${scoped === 1 ? "" : "s"} in scope (${scope.sidecar.resource.spec.egress.hosts.join(", ")}${scope.localPorts.size > 0 ? ", and the local ports' services" : ""}); calls to other hosts answer 404`,
    });
}

/** The workload's own part (listeners, inbound security, rate limits) on top of the outbound part in `ctx`, validated and versioned. */
export function compileWorkload(ctx: CompileContext): CompileResult {
  const { workload } = ctx.input;
  const backends = new BackendCompiler(ctx);
  const externals = new ExternalServiceCompiler(ctx);
  const routes = new RouteCompiler(ctx, backends, externals);
  for (const service of ctx.index.multiPortServices) if (inScope(ctx.scope, service.namespace, service.name)) reportUnreachablePorts(ctx, service);
  const plain = compileListeners(ctx, backends, routes);
  const mtlsMode = inboundMtlsMode(ctx.security, plain);
  const listeners = plain.map((l) => (l.kind === "inbound" && mtlsMode ? { ...l, mtlsMode } : l));
  reportPolicies(ctx);
  const rateLimits = compileRateLimits(ctx, routes, listeners);
  const identity = compileIdentity(ctx.security);
  const authorization = compileAuthorization(ctx.security, listeners);
  const requestAuthentication = compileRequestAuthentication(ctx.security, listeners);

  // The outbound part's sorted lists when this workload added nothing to them (the usual case: no TCP local ports or app ports).
  const outbound = ctx.outbound;
  const virtualHosts = outbound && ctx.virtualHosts.length === outbound.virtualHosts.length ? outbound.sortedVirtualHosts : [...ctx.virtualHosts].sort((a, b) => compareText(a.name, b.name));
  const backendList = outbound && ctx.backends.size === outbound.backends.size ? outbound.sortedBackends : [...ctx.backends.values()].sort((a, b) => compareText(a.name, b.name));
  const own = {
    version: "pending",
    node: {
      service: workload.service,
      namespace: workload.namespace,
      ...(workload.version !== undefined ? { version: workload.version } : {}),
      locality: { ...(workload.zone !== undefined ? { zone: workload.zone } : {}), cluster: workload.cluster },
    },
    listeners,
    ...(ctx.input.options.limits ? { limits: ctx.input.options.limits } : {}),
    ...telemetry(ctx),
    ...(identity ? { identity } : {}),
    ...(authorization ? { authorization } : {}),
    ...(requestAuthentication ? { requestAuthentication } : {}),
    ...(rateLimits ? { rateLimits } : {}),
  };
  return { config: assembleConfig(own, virtualHosts, backendList), diagnostics: ctx.sink.list() };
}

/** Access log and tracing: the agent's options, with the Mesh's sample rate (mesh-wide policy) when it sets one. */
function telemetry(ctx: CompileContext): { telemetry?: NonNullable<CompileInput["options"]["telemetry"]> } {
  const own = ctx.input.options.telemetry;
  const sampleRate = ctx.mesh?.spec.tracing?.sampleRate;
  if (sampleRate === undefined) return own ? { telemetry: own } : {};
  return { telemetry: { ...own, tracing: { maxSpans: 4096, ...own?.tracing, sampleRate } } };
}

/** Unsupported fields of the policies that apply here, and policies whose target is unknown. */
function reportPolicies(ctx: CompileContext): void {
  const { workload } = ctx.input;
  for (const p of ctx.byKind.TrafficPolicy) {
    const t = p.resource.spec.targetRef;
    const namespace = t.namespace ?? p.namespace;
    if (ctx.services.has(serviceKey(t.name, namespace))) ctx.reportUnsupported(p.resource, p.key);
    else ctx.sink.add({ severity: "info", code: "unknown_target", resource: p.key, path: "spec.targetRef", message: `service ${namespace}/${t.name} is not in the catalog; the policy has no effect here` });
  }
  for (const m of ctx.byKind.Mesh.slice(0, 1)) ctx.reportUnsupported(m.resource, m.key);
  for (const a of ctx.byKind.AuthorizationPolicy) {
    const t = a.resource.spec.targetRef;
    if (t.name === workload.service && (t.namespace ?? a.namespace) === workload.namespace) ctx.reportUnsupported(a.resource, a.key);
  }
  for (const r of ctx.byKind.RequestAuthentication) {
    const t = r.resource.spec.targetRef;
    const applies = t ? t.name === workload.service && (t.namespace ?? r.namespace) === workload.namespace : r.namespace === workload.namespace;
    if (applies) ctx.reportUnsupported(r.resource, r.key);
  }
}
