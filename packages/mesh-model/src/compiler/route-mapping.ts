// HTTPRoute matches and filters → their ProxyConfig form, and a rule's
// request timeout and retry from the destination's policy. Pure, one to one;
// RequestMirror is left to the route compiler (it needs the catalog).
import { GRPC_STATUS_CODES, type RouteRule as SourceRule } from "../http-route/http-route.schema.ts";
import { UNSENT_RETRY_POLICY, type BackendFilter, type RouteFilter, type RouteMatch, type RouteRule } from "../proxy-config/proxy-routes.schema.ts";
import { type EffectivePolicy, type Origin, proxyMs } from "./policy-mapping.ts";

/** The match of a rule without matches: every request. */
export function matchAll(): RouteMatch {
  return { path: { type: "PathPrefix", value: "/" }, headers: [], queryParams: [] };
}

/** One HTTPRoute match in proxy terms (a missing path is PathPrefix '/'). */
export function mapMatch(m: NonNullable<SourceRule["matches"]>[number]): RouteMatch {
  return {
    path: m.path ? { type: m.path.type, value: m.path.value } : { type: "PathPrefix", value: "/" },
    headers: (m.headers ?? []).map((h) => ({ type: h.type, name: h.name, value: h.value })),
    queryParams: (m.queryParams ?? []).map((q) => ({ type: q.type, name: q.name, value: q.value })),
    ...(m.method !== undefined ? { method: m.method } : {}),
  };
}

function mapHeaderModifier(m: { set?: { name: string; value: string }[] | undefined; add?: { name: string; value: string }[] | undefined; remove?: string[] | undefined }) {
  return { set: m.set ?? [], add: m.add ?? [], remove: m.remove ?? [] };
}

/** A backend's own filters (header changes only) in proxy terms. */
export function mapBackendFilter(f: NonNullable<NonNullable<SourceRule["backendRefs"]>[number]["filters"]>[number]): BackendFilter {
  return f.type === "RequestHeaderModifier"
    ? { type: "RequestHeaderModifier", requestHeaderModifier: mapHeaderModifier(f.requestHeaderModifier) }
    : { type: "ResponseHeaderModifier", responseHeaderModifier: mapHeaderModifier(f.responseHeaderModifier) };
}

/** Filters map one to one (RequestMirror is resolved by the route compiler, it needs the catalog). */
export function mapFilter(f: NonNullable<SourceRule["filters"]>[number], at: Origin): RouteFilter[] {
  switch (f.type) {
    case "RequestHeaderModifier":
      return [{ type: "RequestHeaderModifier", requestHeaderModifier: mapHeaderModifier(f.requestHeaderModifier) }];
    case "ResponseHeaderModifier":
      return [{ type: "ResponseHeaderModifier", responseHeaderModifier: mapHeaderModifier(f.responseHeaderModifier) }];
    case "URLRewrite":
      return [{ type: "URLRewrite", urlRewrite: { ...(f.urlRewrite.hostname !== undefined ? { hostname: f.urlRewrite.hostname } : {}), ...(f.urlRewrite.path ? { path: f.urlRewrite.path } : {}) } }];
    case "RequestRedirect": {
      const r = f.requestRedirect;
      return [
        {
          type: "RequestRedirect",
          requestRedirect: {
            ...(r.scheme !== undefined ? { scheme: r.scheme } : {}),
            ...(r.hostname !== undefined ? { hostname: r.hostname } : {}),
            ...(r.path ? { path: r.path } : {}),
            ...(r.port !== undefined ? { port: r.port } : {}),
            statusCode: r.statusCode,
          },
        },
      ];
    }
    case "FaultInjection":
      return mapFaultInjection(f.faultInjection, at);
    case "RequestMirror":
      return [];
  }
}

type SourceFaultInjection = Extract<NonNullable<SourceRule["filters"]>[number], { type: "FaultInjection" }>["faultInjection"];

function mapFaultInjection(fi: SourceFaultInjection, at: Origin): RouteFilter[] {
  const delayMs = fi.delay ? proxyMs(fi.delay.fixedDelay, { ...at, path: `${at.path}.faultInjection.delay.fixedDelay` }) : undefined;
  if (fi.delay && delayMs === undefined)
    at.sink.add({ severity: "info", code: "no_effect", resource: at.resource, path: `${at.path}.faultInjection.delay.fixedDelay`, message: "a zero delay delays nothing" });
  const delay = fi.delay && delayMs !== undefined ? { fixedDelayMs: delayMs, percentage: fi.delay.percentage } : undefined;
  const abort = fi.abort
    ? {
        ...(fi.abort.httpStatus !== undefined ? { httpStatus: fi.abort.httpStatus } : {}),
        ...(fi.abort.grpcStatus !== undefined ? { grpcStatus: GRPC_STATUS_CODES[fi.abort.grpcStatus] } : {}),
        percentage: fi.abort.percentage,
      }
    : undefined;
  if (!delay && !abort) return [];
  return [{ type: "FaultInjection", faultInjection: { ...(delay ? { delay } : {}), ...(abort ? { abort } : {}), headers: (fi.headers ?? []).map((h) => ({ type: h.type, name: h.name, value: h.value })) } }];
}

/** The part of a policy that the proxy holds per rule rather than per backend. */
export function pickRulePolicy(p: EffectivePolicy): unknown {
  return { requestTimeoutMs: p.requestTimeoutMs, retry: p.retry };
}

/**
 * A rule with the policy's request timeout and retry (and per-try timeout)
 * applied. Without a retry in the policy the rule gets the unsent-request
 * retry (a refused connection goes to another endpoint once), as Istio gives
 * every route a default retry: a killed or restarting instance would
 * otherwise fail every request the balancer sends it until it is ejected. A
 * route rule's own retry replaces it (compile-routes), and so does any
 * configured one, `retryOn: []` included (no retries at all).
 */
export function withPolicy(rule: RouteRule, policy: EffectivePolicy): RouteRule {
  const out: RouteRule = { ...rule, timeouts: { ...rule.timeouts } };
  if (policy.requestTimeoutMs !== undefined) out.timeouts.requestMs = policy.requestTimeoutMs;
  if (policy.retry) {
    out.retry = policy.retry.retry;
    if (policy.retry.perTryMs !== undefined) out.timeouts.perTryMs = policy.retry.perTryMs;
  } else out.retry = UNSENT_RETRY_POLICY;
  return out;
}
