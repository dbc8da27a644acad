// Issue 8: "no field may be stored and then ignored". This test walks every
// field of the TrafficPolicy and HTTPRoute spec schemas and (issue 6) of the
// security kinds — AuthorizationPolicy, RequestAuthentication,
// PeerAuthentication and the Mesh's trust domain and mTLS mode — (the zod
// shapes, recursively) and requires an entry in COVERAGE or SECURITY_COVERAGE for each: two specs that
// differ only in that field must compile to different ProxyConfigs (the
// proxy's behaviour for each ProxyConfig field is covered by the proxy's
// integration tests), or the field is diagnosed (a compile diagnostic at its
// path) or rejected by validation with a clear message. A new schema field
// without an entry fails the walker.
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { AuthorizationPolicySpecSchema } from "../authorization-policy/authorization-policy.schema.ts";
import { HTTPRouteSpecSchema } from "../http-route/http-route.schema.ts";
import { MeshSpecSchema } from "../mesh/mesh.schema.ts";
import { PeerAuthenticationSpecSchema } from "../peer-authentication/peer-authentication.schema.ts";
import { RequestAuthenticationSpecSchema } from "../request-authentication/request-authentication.schema.ts";
import { validateResource } from "../resource/resource-codec.ts";
import type { Resource } from "../resource/resource.schema.ts";
import { make } from "../testing/fixtures.ts";
import { TrafficPolicySpecSchema } from "../traffic-policy/traffic-policy.schema.ts";
import { canonicalJson } from "./config-hash.ts";
import { CompileOptionsSchema, type CompileInputRaw, compileProxyConfig } from "./index.ts";

/** Leaf field paths of a zod schema: objects by key, arrays as `[]`, union variants merged. */
export function fieldPaths(schema: z.ZodType, path: string, out: string[] = []): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault":
    case "nullable":
    case "readonly":
    case "nonoptional":
      return fieldPaths(def.innerType as z.ZodType, path, out);
    case "pipe":
      return fieldPaths(def.in as z.ZodType, path, out);
    case "lazy":
      return fieldPaths((def.getter as () => z.ZodType)(), path, out);
    case "object":
      for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) fieldPaths(v, `${path}.${k}`, out);
      return out;
    case "array":
      return fieldPaths(def.element as z.ZodType, `${path}[]`, out);
    case "union":
      for (const o of def.options as z.ZodType[]) fieldPaths(o, path, out);
      return out;
    default:
      if (!out.includes(path)) out.push(path);
      return out;
  }
}

type Spec = Record<string, unknown>;
type CoveredKind = "TrafficPolicy" | "HTTPRoute" | "AuthorizationPolicy" | "RequestAuthentication" | "PeerAuthentication" | "Mesh";
type Check =
  /** Two resources (the field differs) compile to different configs; `as`: which workload's config. */
  | { kind: "effect"; resource: CoveredKind; a: Spec; b: Spec; as?: "caller" | "destination" }
  /** The field is reported by a compile diagnostic at its path. */
  | { kind: "diagnosed"; resource: CoveredKind; spec: Spec; code: string; as?: "caller" | "destination" }
  /** The field (in this combination) is refused by validation with this message. */
  | { kind: "rejected"; resource: CoveredKind; spec: Spec; message: string };

const target = { name: "reviews" };
/** TrafficPolicy pair: specs differing in one field (targetRef defaults to reviews). */
const P = (a: Spec, b: Spec, as?: "destination"): Check => ({ kind: "effect", resource: "TrafficPolicy", a: { targetRef: target, ...a }, b: { targetRef: target, ...b }, ...(as ? { as } : {}) });
/** Rate limits are enforced by the destination's proxies: compiled for a reviews workload. */
const RL = (a: Spec, b: Spec): Check => P({ rateLimits: a }, { rateLimits: b }, "destination");
const local = (l: Spec) => ({ local: [{ name: "l", key: { type: "Header", header: "x-user" }, tokenBucket: { requests: 1, per: "1s" }, ...l }] });
const global = (g: Spec, l: Spec = {}) => ({ global: { redis: { address: "127.0.0.1:6379" }, limits: [{ name: "g", key: { type: "Header", header: "x-user" }, requests: 10, unit: "minute", ...l }], ...g } });
const HC = (a: Spec, b: Spec): Check => P({ healthChecks: [{ type: "HTTP", http: { path: "/healthz" }, ...a }] }, { healthChecks: [{ type: "HTTP", http: { path: "/healthz" }, ...b }] });
const OD = (a: Spec, b: Spec): Check => P({ outlierDetection: a }, { outlierDetection: b });
const CB = (a: Spec, b: Spec): Check => P({ circuitBreaker: a }, { circuitBreaker: b });
const CP = (a: Spec, b: Spec): Check => P({ connectionPool: a }, { connectionPool: b });
const RT = (a: Spec, b: Spec): Check => P({ retries: { attempts: 2, ...a } }, { retries: { attempts: 2, ...b } });
const RH = (a: Spec, b: Spec): Check => P({ loadBalancer: { algorithm: "RING_HASH", ringHash: a } }, { loadBalancer: { algorithm: "RING_HASH", ringHash: b } });

const backendRefs = [{ name: "reviews" }];
/** HTTPRoute pair: specs differing in one field of the first rule. */
const R = (a: Spec, b: Spec): Check => ({ kind: "effect", resource: "HTTPRoute", a: { parentRefs: [target], rules: [{ backendRefs, ...a }] }, b: { parentRefs: [target], rules: [{ backendRefs, ...b }] } });
const F = (a: Spec, b: Spec): Check => R({ filters: [a] }, { filters: [b] });
const M = (a: Spec, b: Spec): Check => R({ matches: [a] }, { matches: [b] });
const mirror = (ref: Spec, extra: Spec = {}) => ({ type: "RequestMirror", requestMirror: { backendRef: { name: "ratings", ...ref }, ...extra } });
const fault = (f: Spec) => ({ type: "FaultInjection", faultInjection: f });
const mod = (type: "RequestHeaderModifier" | "ResponseHeaderModifier", m: Spec) => ({ type, [type === "RequestHeaderModifier" ? "requestHeaderModifier" : "responseHeaderModifier"]: m });
const redirect = (r: Spec) => ({ type: "RequestRedirect", requestRedirect: r });
const rewrite = (r: Spec) => ({ type: "URLRewrite", urlRewrite: r });
const RR = (a: Spec, b: Spec): Check => R({ retry: { attempts: 2, ...a } }, { retry: { attempts: 2, ...b } });
const headerMods = (type: "RequestHeaderModifier" | "ResponseHeaderModifier", key: string): [string, Check][] => {
  const p = `spec.rules[].filters[].${key}`;
  return [
    [`${p}.set[].name`, F(mod(type, { set: [{ name: "x-a", value: "1" }] }), mod(type, { set: [{ name: "x-b", value: "1" }] }))],
    [`${p}.set[].value`, F(mod(type, { set: [{ name: "x-a", value: "1" }] }), mod(type, { set: [{ name: "x-a", value: "2" }] }))],
    [`${p}.add[].name`, F(mod(type, { add: [{ name: "x-a", value: "1" }] }), mod(type, { add: [{ name: "x-b", value: "1" }] }))],
    [`${p}.add[].value`, F(mod(type, { add: [{ name: "x-a", value: "1" }] }), mod(type, { add: [{ name: "x-a", value: "2" }] }))],
    [`${p}.remove[]`, F(mod(type, { remove: ["x-a"] }), mod(type, { remove: ["x-b"] }))],
  ];
};

/** HTTPRoute pair: the first rule's only backend differs in its filters (per-backend header changes, a canary's session cookie). */
const BF = (a: Spec, b: Spec): Check => R({ backendRefs: [{ name: "reviews", filters: [a] }] }, { backendRefs: [{ name: "reviews", filters: [b] }] });
const backendMods = (type: "RequestHeaderModifier" | "ResponseHeaderModifier", key: string): [string, Check][] => {
  const p = `spec.rules[].backendRefs[].filters[].${key}`;
  return [
    [`${p}.set[].name`, BF(mod(type, { set: [{ name: "x-a", value: "1" }] }), mod(type, { set: [{ name: "x-b", value: "1" }] }))],
    [`${p}.set[].value`, BF(mod(type, { set: [{ name: "x-a", value: "1" }] }), mod(type, { set: [{ name: "x-a", value: "2" }] }))],
    [`${p}.add[].name`, BF(mod(type, { add: [{ name: "x-a", value: "1" }] }), mod(type, { add: [{ name: "x-b", value: "1" }] }))],
    [`${p}.add[].value`, BF(mod(type, { add: [{ name: "x-a", value: "1" }] }), mod(type, { add: [{ name: "x-a", value: "2" }] }))],
    [`${p}.remove[]`, BF(mod(type, { remove: ["x-a"] }), mod(type, { remove: ["x-b"] }))],
  ];
};

/** Every field path → how it shows. */
const COVERAGE: Record<string, Check> = {
  // ------------------------------------------------------------ TrafficPolicy
  "spec.targetRef.name": P({ circuitBreaker: {} }, { targetRef: { name: "ratings" }, circuitBreaker: {} }),
  "spec.targetRef.namespace": P({ circuitBreaker: {} }, { targetRef: { name: "reviews", namespace: "other" }, circuitBreaker: {} }),
  "spec.targetRef.version": P({ circuitBreaker: {} }, { targetRef: { name: "reviews", version: "v2" }, circuitBreaker: {} }),
  "spec.targetRef.port": P({ targetRef: { name: "reviews", port: 9080 }, circuitBreaker: {} }, { targetRef: { name: "reviews", port: 9999 }, circuitBreaker: {} }),
  "spec.loadBalancer.algorithm": P({ loadBalancer: { algorithm: "EWMA" } }, { loadBalancer: { algorithm: "ROUND_ROBIN" } }),
  "spec.loadBalancer.ringHash.hashOn.type": RH({ hashOn: { type: "Header", header: "x-a" } }, { hashOn: { type: "SourceIP" } }),
  "spec.loadBalancer.ringHash.hashOn.header": RH({ hashOn: { type: "Header", header: "x-a" } }, { hashOn: { type: "Header", header: "x-b" } }),
  "spec.loadBalancer.ringHash.hashOn.cookie.name": RH({ hashOn: { type: "Cookie", cookie: { name: "a" } } }, { hashOn: { type: "Cookie", cookie: { name: "b" } } }),
  "spec.loadBalancer.ringHash.hashOn.cookie.ttl": { kind: "diagnosed", resource: "TrafficPolicy", spec: { targetRef: target, loadBalancer: { algorithm: "RING_HASH", ringHash: { hashOn: { type: "Cookie", cookie: { name: "a", ttl: "1h" } } } } }, code: "unsupported_field" },
  "spec.loadBalancer.ringHash.hashOn.cookie.path": { kind: "diagnosed", resource: "TrafficPolicy", spec: { targetRef: target, loadBalancer: { algorithm: "RING_HASH", ringHash: { hashOn: { type: "Cookie", cookie: { name: "a", path: "/" } } } } }, code: "unsupported_field" },
  "spec.loadBalancer.ringHash.minimumRingSize": RH({ hashOn: { type: "SourceIP" }, minimumRingSize: 64 }, { hashOn: { type: "SourceIP" }, minimumRingSize: 4096 }),
  "spec.loadBalancer.locality.enabled": P({ loadBalancer: { locality: { enabled: true } } }, { loadBalancer: { locality: { enabled: false } } }),
  "spec.loadBalancer.locality.failover[].from": P({ loadBalancer: { locality: { failover: [{ from: "east", to: ["west"] }] } } }, { loadBalancer: { locality: { failover: [{ from: "central", to: ["west"] }] } } }),
  "spec.loadBalancer.locality.failover[].to[]": P({ loadBalancer: { locality: { failover: [{ from: "east", to: ["west"] }] } } }, { loadBalancer: { locality: { failover: [{ from: "east", to: ["central"] }] } } }),
  "spec.loadBalancer.locality.distribute[].from": P({ loadBalancer: { locality: { distribute: [{ from: "east", to: { east: 100 } }] } } }, { loadBalancer: { locality: { distribute: [{ from: "central", to: { east: 100 } }] } } }),
  "spec.loadBalancer.locality.distribute[].to": P({ loadBalancer: { locality: { distribute: [{ from: "east", to: { east: 100 } }] } } }, { loadBalancer: { locality: { distribute: [{ from: "east", to: { east: 50, west: 50 } }] } } }),
  "spec.loadBalancer.slowStart.window": P({ loadBalancer: { slowStart: { window: "10s" } } }, { loadBalancer: { slowStart: { window: "20s" } } }),
  "spec.timeouts.connect": P({ timeouts: { connect: "1s" } }, { timeouts: { connect: "2s" } }),
  "spec.timeouts.idle": P({ timeouts: { idle: "1s" } }, { timeouts: { idle: "2s" } }),
  "spec.timeouts.request": P({ timeouts: { request: "1s" } }, { timeouts: { request: "2s" } }),
  "spec.retries.attempts": RT({ attempts: 2 }, { attempts: 3 }),
  "spec.retries.perTryTimeout": RT({ perTryTimeout: "1s" }, { perTryTimeout: "2s" }),
  "spec.retries.retryOn[]": RT({ retryOn: ["5xx"] }, { retryOn: ["reset"] }),
  "spec.retries.retriableStatusCodes[]": RT({ retryOn: ["retriable-status-codes"], retriableStatusCodes: [429] }, { retryOn: ["retriable-status-codes"], retriableStatusCodes: [409] }),
  "spec.retries.grpcCodes[]": RT({ grpcCodes: ["unavailable"] }, { grpcCodes: ["internal"] }),
  "spec.retries.backoff.baseInterval": RT({ backoff: { baseInterval: "10ms" } }, { backoff: { baseInterval: "20ms" } }),
  "spec.retries.backoff.maxInterval": RT({ backoff: { baseInterval: "10ms", maxInterval: "100ms" } }, { backoff: { baseInterval: "10ms", maxInterval: "200ms" } }),
  "spec.retries.budget.percent": RT({ budget: { percent: 20 } }, { budget: { percent: 30 } }),
  "spec.retries.budget.minRetriesPerSecond": RT({ budget: { minRetriesPerSecond: 10 } }, { budget: { minRetriesPerSecond: 5 } }),
  "spec.circuitBreaker.maxConnections": CB({ maxConnections: 10 }, { maxConnections: 20 }),
  "spec.circuitBreaker.maxPendingRequests": CB({ maxPendingRequests: 10 }, { maxPendingRequests: 20 }),
  "spec.circuitBreaker.maxRequests": CB({ maxRequests: 10 }, { maxRequests: 20 }),
  "spec.circuitBreaker.maxRetries": CB({ maxRetries: 1 }, { maxRetries: 2 }),
  "spec.outlierDetection.consecutive5xx": OD({ consecutive5xx: 3 }, { consecutive5xx: 4 }),
  "spec.outlierDetection.consecutiveGatewayErrors": OD({}, { consecutiveGatewayErrors: 2 }),
  "spec.outlierDetection.interval": OD({ interval: "1s" }, { interval: "2s" }),
  "spec.outlierDetection.baseEjectionTime": OD({ baseEjectionTime: "1s" }, { baseEjectionTime: "2s" }),
  "spec.outlierDetection.maxEjectionTime": OD({ maxEjectionTime: "60s" }, { maxEjectionTime: "90s" }),
  "spec.outlierDetection.maxEjectionPercent": OD({ maxEjectionPercent: 10 }, { maxEjectionPercent: 50 }),
  "spec.outlierDetection.successRate.minimumHosts": OD({ successRate: { minimumHosts: 3 } }, { successRate: { minimumHosts: 4 } }),
  "spec.outlierDetection.successRate.requestVolume": OD({ successRate: { requestVolume: 10 } }, { successRate: { requestVolume: 20 } }),
  "spec.outlierDetection.successRate.stdevFactor": OD({ successRate: { stdevFactor: 1 } }, { successRate: { stdevFactor: 2 } }),
  "spec.connectionPool.maxRequestsPerConnection": CP({ maxRequestsPerConnection: 1 }, { maxRequestsPerConnection: 2 }),
  "spec.connectionPool.idleTimeout": CP({ idleTimeout: "1s" }, { idleTimeout: "2s" }),
  "spec.connectionPool.http2MaxConcurrentStreams": CP({ http2MaxConcurrentStreams: 1 }, { http2MaxConcurrentStreams: 2 }),
  "spec.rateLimits.local[].name": RL(local({ name: "a" }), local({ name: "b" })),
  "spec.rateLimits.local[].key.type": RL(local({ key: { type: "Header", header: "x-user" } }), local({ key: { type: "SourceIdentity" } })),
  "spec.rateLimits.local[].key.route.name": { kind: "diagnosed", resource: "TrafficPolicy", spec: { targetRef: target, rateLimits: local({ key: { type: "Route", route: { name: "missing" } } }) }, code: "unknown_route", as: "destination" },
  "spec.rateLimits.local[].key.route.rule": RL(local({ key: { type: "Route", route: { name: "reviews", rule: "canary" } } }), local({ key: { type: "Route", route: { name: "reviews", rule: "main" } } })),
  "spec.rateLimits.local[].key.identities[]": RL(local({ key: { type: "SourceIdentity", identities: ["spiffe://a/*"] } }), local({ key: { type: "SourceIdentity", identities: ["spiffe://b/*"] } })),
  "spec.rateLimits.local[].key.header": RL(local({ key: { type: "Header", header: "x-a" } }), local({ key: { type: "Header", header: "x-b" } })),
  "spec.rateLimits.local[].tokenBucket.requests": RL(local({ tokenBucket: { requests: 1, per: "1s", burst: 5 } }), local({ tokenBucket: { requests: 2, per: "1s", burst: 5 } })),
  "spec.rateLimits.local[].tokenBucket.per": RL(local({ tokenBucket: { requests: 1, per: "1s" } }), local({ tokenBucket: { requests: 1, per: "2s" } })),
  "spec.rateLimits.local[].tokenBucket.burst": RL(local({ tokenBucket: { requests: 1, per: "1s", burst: 5 } }), local({ tokenBucket: { requests: 1, per: "1s", burst: 6 } })),
  "spec.rateLimits.global.redis.address": RL(global({ redis: { address: "a:6379" } }), global({ redis: { address: "b:6379" } })),
  "spec.rateLimits.global.redis.tls": RL(global({ redis: { address: "a:6379", tls: false } }), global({ redis: { address: "a:6379", tls: true } })),
  "spec.rateLimits.global.failOpen": RL(global({ failOpen: true }), global({ failOpen: false })),
  "spec.rateLimits.global.timeout": RL(global({ timeout: "20ms" }), global({ timeout: "30ms" })),
  "spec.rateLimits.global.limits[].name": RL(global({}, { name: "a" }), global({}, { name: "b" })),
  "spec.rateLimits.global.limits[].key.type": RL(global({}, { key: { type: "Header", header: "x-user" } }), global({}, { key: { type: "SourceIdentity" } })),
  "spec.rateLimits.global.limits[].key.route.name": { kind: "diagnosed", resource: "TrafficPolicy", spec: { targetRef: target, rateLimits: global({}, { key: { type: "Route", route: { name: "missing" } } }) }, code: "unknown_route", as: "destination" },
  "spec.rateLimits.global.limits[].key.route.rule": RL(global({}, { key: { type: "Route", route: { name: "reviews", rule: "canary" } } }), global({}, { key: { type: "Route", route: { name: "reviews", rule: "main" } } })),
  "spec.rateLimits.global.limits[].key.identities[]": RL(global({}, { key: { type: "SourceIdentity", identities: ["spiffe://a/*"] } }), global({}, { key: { type: "SourceIdentity", identities: ["spiffe://b/*"] } })),
  "spec.rateLimits.global.limits[].key.header": RL(global({}, { key: { type: "Header", header: "x-a" } }), global({}, { key: { type: "Header", header: "x-b" } })),
  "spec.rateLimits.global.limits[].requests": RL(global({}, { requests: 10 }), global({}, { requests: 20 })),
  "spec.rateLimits.global.limits[].unit": RL(global({}, { unit: "minute" }), global({}, { unit: "hour" })),
  "spec.healthChecks[].type": P({ healthChecks: [{ type: "TCP" }] }, { healthChecks: [{ type: "GRPC" }] }),
  "spec.healthChecks[].interval": HC({ interval: "1s" }, { interval: "2s" }),
  "spec.healthChecks[].timeout": HC({ timeout: "100ms" }, { timeout: "200ms" }),
  "spec.healthChecks[].healthyThreshold": HC({ healthyThreshold: 1 }, { healthyThreshold: 2 }),
  "spec.healthChecks[].unhealthyThreshold": HC({ unhealthyThreshold: 1 }, { unhealthyThreshold: 2 }),
  "spec.healthChecks[].port": HC({ port: 8081 }, { port: 8082 }),
  "spec.healthChecks[].http.path": HC({ http: { path: "/a" } }, { http: { path: "/b" } }),
  "spec.healthChecks[].http.host": HC({ http: { path: "/a", host: "a" } }, { http: { path: "/a", host: "b" } }),
  "spec.healthChecks[].http.expectedStatuses[]": HC({ http: { path: "/a", expectedStatuses: [200] } }, { http: { path: "/a", expectedStatuses: [204] } }),
  "spec.healthChecks[].grpc.service": P({ healthChecks: [{ type: "GRPC", grpc: { service: "a" } }] }, { healthChecks: [{ type: "GRPC", grpc: { service: "b" } }] }),

  // --------------------------------------------------------------- HTTPRoute
  "spec.parentRefs[].kind": { kind: "effect", resource: "HTTPRoute", a: { parentRefs: [{ kind: "Service", name: "reviews" }], rules: [{ backendRefs: [{ name: "ratings" }] }] }, b: { parentRefs: [{ kind: "Gateway", name: "reviews" }], rules: [{ backendRefs: [{ name: "ratings" }] }] } },
  "spec.parentRefs[].name": { kind: "effect", resource: "HTTPRoute", a: { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "ratings" }] }] }, b: { parentRefs: [{ name: "ratings" }], rules: [{ backendRefs: [{ name: "ratings" }] }] } },
  "spec.parentRefs[].namespace": { kind: "effect", resource: "HTTPRoute", a: { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "ratings" }] }] }, b: { parentRefs: [{ name: "reviews", namespace: "other" }], rules: [{ backendRefs: [{ name: "ratings" }] }] } },
  "spec.parentRefs[].port": { kind: "diagnosed", resource: "HTTPRoute", spec: { parentRefs: [{ name: "reviews", port: 9999 }], rules: [{ backendRefs }] }, code: "unknown_port" },
  "spec.parentRefs[].sectionName": { kind: "rejected", resource: "HTTPRoute", spec: { parentRefs: [{ name: "reviews", sectionName: "http" }], rules: [{ backendRefs }] }, message: "only Gateway parents have listeners" },
  "spec.hostnames[]": { kind: "diagnosed", resource: "HTTPRoute", spec: { parentRefs: [target], hostnames: ["reviews.example.com"], rules: [{ backendRefs }] }, code: "no_effect" },
  "spec.rules[].name": R({ name: "a" }, { name: "b" }),
  "spec.rules[].matches[].path.type": M({ path: { type: "Exact", value: "/a" } }, { path: { type: "PathPrefix", value: "/a" } }),
  "spec.rules[].matches[].path.value": M({ path: { value: "/a" } }, { path: { value: "/b" } }),
  "spec.rules[].matches[].headers[].type": M({ headers: [{ type: "Exact", name: "x-a", value: "1" }] }, { headers: [{ type: "RegularExpression", name: "x-a", value: "1" }] }),
  "spec.rules[].matches[].headers[].name": M({ headers: [{ name: "x-a", value: "1" }] }, { headers: [{ name: "x-b", value: "1" }] }),
  "spec.rules[].matches[].headers[].value": M({ headers: [{ name: "x-a", value: "1" }] }, { headers: [{ name: "x-a", value: "2" }] }),
  "spec.rules[].matches[].queryParams[].type": M({ queryParams: [{ type: "Exact", name: "a", value: "1" }] }, { queryParams: [{ type: "RegularExpression", name: "a", value: "1" }] }),
  "spec.rules[].matches[].queryParams[].name": M({ queryParams: [{ name: "a", value: "1" }] }, { queryParams: [{ name: "b", value: "1" }] }),
  "spec.rules[].matches[].queryParams[].value": M({ queryParams: [{ name: "a", value: "1" }] }, { queryParams: [{ name: "a", value: "2" }] }),
  "spec.rules[].matches[].method": M({ method: "GET" }, { method: "POST" }),
  "spec.rules[].filters[].type": F(mod("RequestHeaderModifier", { set: [{ name: "x-a", value: "1" }] }), mod("ResponseHeaderModifier", { set: [{ name: "x-a", value: "1" }] })),
  ...Object.fromEntries([...headerMods("RequestHeaderModifier", "requestHeaderModifier"), ...headerMods("ResponseHeaderModifier", "responseHeaderModifier")]),
  "spec.rules[].filters[].urlRewrite.hostname": F(rewrite({ hostname: "a.example" }), rewrite({ hostname: "b.example" })),
  "spec.rules[].filters[].urlRewrite.path.type": F(rewrite({ path: { type: "ReplaceFullPath", replaceFullPath: "/a" } }), rewrite({ path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/a" } })),
  "spec.rules[].filters[].urlRewrite.path.replaceFullPath": F(rewrite({ path: { type: "ReplaceFullPath", replaceFullPath: "/a" } }), rewrite({ path: { type: "ReplaceFullPath", replaceFullPath: "/b" } })),
  "spec.rules[].filters[].urlRewrite.path.replacePrefixMatch": F(rewrite({ path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/a" } }), rewrite({ path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } })),
  "spec.rules[].filters[].requestRedirect.scheme": R({ backendRefs: [], filters: [redirect({ scheme: "http" })] }, { backendRefs: [], filters: [redirect({ scheme: "https" })] }),
  "spec.rules[].filters[].requestRedirect.hostname": R({ backendRefs: [], filters: [redirect({ hostname: "a.example" })] }, { backendRefs: [], filters: [redirect({ hostname: "b.example" })] }),
  "spec.rules[].filters[].requestRedirect.path.type": R({ backendRefs: [], filters: [redirect({ path: { type: "ReplaceFullPath", replaceFullPath: "/a" } })] }, { backendRefs: [], filters: [redirect({ path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/a" } })] }),
  "spec.rules[].filters[].requestRedirect.path.replaceFullPath": R({ backendRefs: [], filters: [redirect({ path: { type: "ReplaceFullPath", replaceFullPath: "/a" } })] }, { backendRefs: [], filters: [redirect({ path: { type: "ReplaceFullPath", replaceFullPath: "/b" } })] }),
  "spec.rules[].filters[].requestRedirect.path.replacePrefixMatch": R({ backendRefs: [], filters: [redirect({ path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/a" } })] }, { backendRefs: [], filters: [redirect({ path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } })] }),
  "spec.rules[].filters[].requestRedirect.port": R({ backendRefs: [], filters: [redirect({ port: 8080 })] }, { backendRefs: [], filters: [redirect({ port: 8081 })] }),
  "spec.rules[].filters[].requestRedirect.statusCode": R({ backendRefs: [], filters: [redirect({ statusCode: 301 })] }, { backendRefs: [], filters: [redirect({ statusCode: 302 })] }),
  "spec.rules[].filters[].requestMirror.backendRef.kind": F(mirror({ name: "api" }), mirror({ kind: "ExternalService", name: "api" })),
  "spec.rules[].filters[].requestMirror.backendRef.name": F(mirror({ name: "ratings" }), mirror({ name: "reviews" })),
  "spec.rules[].filters[].requestMirror.backendRef.namespace": F(mirror({ name: "reviews" }), mirror({ name: "reviews", namespace: "other" })),
  "spec.rules[].filters[].requestMirror.backendRef.port": F(mirror({ name: "ratings" }), mirror({ name: "ratings", port: 8081 })),
  "spec.rules[].filters[].requestMirror.backendRef.version": F(mirror({ name: "reviews", version: "v1" }), mirror({ name: "reviews", version: "v2" })),
  "spec.rules[].filters[].requestMirror.percent": F(mirror({}, { percent: 10 }), mirror({}, { percent: 20 })),
  "spec.rules[].filters[].faultInjection.delay.fixedDelay": F(fault({ delay: { fixedDelay: "1s" } }), fault({ delay: { fixedDelay: "2s" } })),
  "spec.rules[].filters[].faultInjection.delay.percentage": F(fault({ delay: { fixedDelay: "1s", percentage: 10 } }), fault({ delay: { fixedDelay: "1s", percentage: 20 } })),
  "spec.rules[].filters[].faultInjection.abort.httpStatus": F(fault({ abort: { httpStatus: 500 } }), fault({ abort: { httpStatus: 503 } })),
  "spec.rules[].filters[].faultInjection.abort.grpcStatus": F(fault({ abort: { grpcStatus: "UNAVAILABLE" } }), fault({ abort: { grpcStatus: "INTERNAL" } })),
  "spec.rules[].filters[].faultInjection.abort.percentage": F(fault({ abort: { httpStatus: 500, percentage: 10 } }), fault({ abort: { httpStatus: 500, percentage: 20 } })),
  "spec.rules[].filters[].faultInjection.headers[].type": F(fault({ abort: { httpStatus: 500 }, headers: [{ type: "Exact", name: "x-a", value: "1" }] }), fault({ abort: { httpStatus: 500 }, headers: [{ type: "RegularExpression", name: "x-a", value: "1" }] })),
  "spec.rules[].filters[].faultInjection.headers[].name": F(fault({ abort: { httpStatus: 500 }, headers: [{ name: "x-a", value: "1" }] }), fault({ abort: { httpStatus: 500 }, headers: [{ name: "x-b", value: "1" }] })),
  "spec.rules[].filters[].faultInjection.headers[].value": F(fault({ abort: { httpStatus: 500 }, headers: [{ name: "x-a", value: "1" }] }), fault({ abort: { httpStatus: 500 }, headers: [{ name: "x-a", value: "2" }] })),
  "spec.rules[].backendRefs[].kind": R({ backendRefs: [{ name: "api" }] }, { backendRefs: [{ kind: "ExternalService", name: "api" }] }),
  "spec.rules[].backendRefs[].name": R({ backendRefs: [{ name: "reviews" }] }, { backendRefs: [{ name: "ratings" }] }),
  "spec.rules[].backendRefs[].namespace": R({ backendRefs: [{ name: "reviews" }] }, { backendRefs: [{ name: "reviews", namespace: "other" }] }),
  "spec.rules[].backendRefs[].port": R({ backendRefs: [{ name: "ratings" }] }, { backendRefs: [{ name: "ratings", port: 8081 }] }),
  "spec.rules[].backendRefs[].version": R({ backendRefs: [{ name: "reviews", version: "v1" }] }, { backendRefs: [{ name: "reviews", version: "v2" }] }),
  "spec.rules[].backendRefs[].weight": R({ backendRefs: [{ name: "reviews", version: "v1", weight: 1 }, { name: "reviews", version: "v2" }] }, { backendRefs: [{ name: "reviews", version: "v1", weight: 3 }, { name: "reviews", version: "v2" }] }),
  "spec.rules[].backendRefs[].filters[].type": BF(mod("RequestHeaderModifier", { set: [{ name: "x-a", value: "1" }] }), mod("ResponseHeaderModifier", { set: [{ name: "x-a", value: "1" }] })),
  ...Object.fromEntries([...backendMods("RequestHeaderModifier", "requestHeaderModifier"), ...backendMods("ResponseHeaderModifier", "responseHeaderModifier")]),
  // The caller runs in east: a rule scoped to west is not compiled there (its route falls back to the default).
  "spec.rules[].clusters[]": R({ clusters: ["east"] }, { clusters: ["west"] }),
  "spec.rules[].timeouts.request": R({ timeouts: { request: "1s" } }, { timeouts: { request: "2s" } }),
  "spec.rules[].timeouts.backendRequest": R({ timeouts: { backendRequest: "1s" } }, { timeouts: { backendRequest: "2s" } }),
  "spec.rules[].retry.attempts": RR({ attempts: 2 }, { attempts: 3 }),
  "spec.rules[].retry.perTryTimeout": RR({ perTryTimeout: "1s" }, { perTryTimeout: "2s" }),
  "spec.rules[].retry.retryOn[]": RR({ retryOn: ["5xx"] }, { retryOn: ["reset"] }),
  "spec.rules[].retry.retriableStatusCodes[]": RR({ retryOn: ["retriable-status-codes"], retriableStatusCodes: [429] }, { retryOn: ["retriable-status-codes"], retriableStatusCodes: [409] }),
  "spec.rules[].retry.grpcCodes[]": RR({ grpcCodes: ["unavailable"] }, { grpcCodes: ["internal"] }),
  "spec.rules[].retry.backoff.baseInterval": RR({ backoff: { baseInterval: "10ms" } }, { backoff: { baseInterval: "20ms" } }),
  "spec.rules[].retry.backoff.maxInterval": RR({ backoff: { baseInterval: "10ms", maxInterval: "100ms" } }, { backoff: { baseInterval: "10ms", maxInterval: "200ms" } }),
};

// Issue 6: the security kinds are compiled for a reviews workload (the destination their policies protect) that has an identity.
const secure = (resource: CoveredKind) => (a: Spec, b: Spec): Check => ({ kind: "effect", resource, a, b, as: "destination" });
const AZ = (a: Spec, b: Spec): Check => secure("AuthorizationPolicy")({ targetRef: target, action: "ALLOW", ...a }, { targetRef: target, action: "ALLOW", ...b });
const AZR = (a: Spec, b: Spec): Check => AZ({ rules: [a] }, { rules: [b] });
const jwt = (rule: Spec) => ({ targetRef: target, jwtRules: [{ issuer: "https://idp.example", jwks: { type: "File", path: "/etc/jwks.json" }, ...rule }] });
const RA = (a: Spec, b: Spec): Check => secure("RequestAuthentication")(jwt(a), jwt(b));
const PA = secure("PeerAuthentication");
const MESH = secure("Mesh");
const JWKS = '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}';

/** Every security field path (`<Kind> <path>`) → how it shows. */
const SECURITY_COVERAGE: Record<string, Check> = {
  // ------------------------------------------------------ AuthorizationPolicy
  "AuthorizationPolicy spec.targetRef.name": AZ({}, { targetRef: { name: "ratings" } }),
  "AuthorizationPolicy spec.targetRef.namespace": AZ({}, { targetRef: { name: "reviews", namespace: "other" } }),
  "AuthorizationPolicy spec.targetRef.ports[]": AZ({ targetRef: { name: "reviews", ports: [9080] } }, {}),
  "AuthorizationPolicy spec.action": AZ({ action: "ALLOW" }, { action: "DENY" }),
  "AuthorizationPolicy spec.rules[].from.identities[]": AZR({ from: { identities: ["spiffe://mesh.test/ns/shop/sa/a"] } }, { from: { identities: ["spiffe://mesh.test/ns/shop/sa/b"] } }),
  "AuthorizationPolicy spec.rules[].from.namespaces[]": AZR({ from: { namespaces: ["shop"] } }, { from: { namespaces: ["jobs"] } }),
  "AuthorizationPolicy spec.rules[].from.clusters[]": AZR({ from: { clusters: ["east"] } }, { from: { clusters: ["west"] } }),
  "AuthorizationPolicy spec.rules[].to.methods[]": AZR({ to: { methods: ["GET"] } }, { to: { methods: ["POST"] } }),
  "AuthorizationPolicy spec.rules[].to.paths[]": AZR({ to: { paths: ["/a"] } }, { to: { paths: ["/b*"] } }),
  "AuthorizationPolicy spec.rules[].to.headers[].name": AZR({ to: { headers: [{ name: "x-a", values: ["1"] }] } }, { to: { headers: [{ name: "x-b", values: ["1"] }] } }),
  "AuthorizationPolicy spec.rules[].to.headers[].values[]": AZR({ to: { headers: [{ name: "x-a", values: ["1"] }] } }, { to: { headers: [{ name: "x-a", values: ["2"] }] } }),
  // ---------------------------------------------------- RequestAuthentication
  "RequestAuthentication spec.targetRef.name": secure("RequestAuthentication")(jwt({}), { ...jwt({}), targetRef: { name: "ratings" } }),
  "RequestAuthentication spec.targetRef.namespace": secure("RequestAuthentication")(jwt({}), { ...jwt({}), targetRef: { name: "reviews", namespace: "other" } }),
  "RequestAuthentication spec.jwtRules[].issuer": RA({ issuer: "https://a.example" }, { issuer: "https://b.example" }),
  "RequestAuthentication spec.jwtRules[].audiences[]": RA({ audiences: ["a"] }, { audiences: ["b"] }),
  "RequestAuthentication spec.jwtRules[].jwks.type": RA({ jwks: { type: "File", path: "/etc/jwks.json" } }, { jwks: { type: "Remote", uri: "https://idp.example/jwks" } }),
  "RequestAuthentication spec.jwtRules[].jwks.inline": RA({ jwks: { type: "Inline", inline: JWKS } }, { jwks: { type: "Inline", inline: JWKS.replace("c2VjcmV0", "b3RoZXI") } }),
  "RequestAuthentication spec.jwtRules[].jwks.path": RA({ jwks: { type: "File", path: "/etc/a.json" } }, { jwks: { type: "File", path: "/etc/b.json" } }),
  "RequestAuthentication spec.jwtRules[].jwks.uri": RA({ jwks: { type: "Remote", uri: "https://a.example/jwks" } }, { jwks: { type: "Remote", uri: "https://b.example/jwks" } }),
  "RequestAuthentication spec.jwtRules[].jwks.cacheDuration": RA({ jwks: { type: "Remote", uri: "https://a.example/jwks", cacheDuration: "1m" } }, { jwks: { type: "Remote", uri: "https://a.example/jwks", cacheDuration: "2m" } }),
  "RequestAuthentication spec.jwtRules[].jwks.timeout": RA({ jwks: { type: "Remote", uri: "https://a.example/jwks", timeout: "1s" } }, { jwks: { type: "Remote", uri: "https://a.example/jwks", timeout: "2s" } }),
  "RequestAuthentication spec.jwtRules[].fromHeaders[].name": RA({ fromHeaders: [{ name: "x-a" }] }, { fromHeaders: [{ name: "x-b" }] }),
  "RequestAuthentication spec.jwtRules[].fromHeaders[].prefix": RA({ fromHeaders: [{ name: "x-a" }] }, { fromHeaders: [{ name: "x-a", prefix: "Token " }] }),
  "RequestAuthentication spec.jwtRules[].fromParams[]": RA({ fromParams: ["a"] }, { fromParams: ["b"] }),
  "RequestAuthentication spec.jwtRules[].forwardOriginalToken": RA({ forwardOriginalToken: false }, { forwardOriginalToken: true }),
  "RequestAuthentication spec.jwtRules[].claimsToHeaders[].claim": { kind: "diagnosed", resource: "RequestAuthentication", spec: jwt({ claimsToHeaders: [{ claim: "sub", header: "x-user" }] }), code: "unsupported_field", as: "destination" },
  "RequestAuthentication spec.jwtRules[].claimsToHeaders[].header": { kind: "diagnosed", resource: "RequestAuthentication", spec: jwt({ claimsToHeaders: [{ claim: "sub", header: "x-user" }] }), code: "unsupported_field", as: "destination" },
  // ------------------------------------------------------- PeerAuthentication
  "PeerAuthentication spec.targetRef.kind": { kind: "rejected", resource: "PeerAuthentication", spec: { targetRef: { kind: "Gateway", name: "reviews" }, mtls: { mode: "STRICT" } }, message: '"Service"' },
  "PeerAuthentication spec.targetRef.name": PA({ targetRef: { name: "reviews" }, mtls: { mode: "PERMISSIVE" } }, { targetRef: { name: "ratings" }, mtls: { mode: "PERMISSIVE" } }),
  "PeerAuthentication spec.mtls.mode": PA({ mtls: { mode: "STRICT" } }, { mtls: { mode: "PERMISSIVE" } }),
  // --------------------------------------------------------------------- Mesh
  "Mesh spec.trustDomain": { kind: "diagnosed", resource: "Mesh", spec: { trustDomain: "other.example" }, code: "trust_domain_mismatch", as: "destination" },
  "Mesh spec.mtls.mode": MESH({ trustDomain: "mesh.test", mtls: { mode: "STRICT" } }, { trustDomain: "mesh.test", mtls: { mode: "PERMISSIVE" } }),
  "Mesh spec.tracing.sampleRate": MESH({ trustDomain: "mesh.test", tracing: { sampleRate: 0.01 } }, { trustDomain: "mesh.test", tracing: { sampleRate: 0.5 } }),
};

/** Every covered field as `[path, check]`. */
const ENTRIES: [string, Check][] = [...Object.entries(COVERAGE), ...Object.entries(SECURITY_COVERAGE).map(([key, check]): [string, Check] => [key.slice(key.indexOf(" ") + 1), check])];

/** The identity the agent passes (file sources: rotation changes files, not the config). */
const IDENTITY = {
  trustDomain: "mesh.test",
  svid: { source: "file", certChainPath: "/var/run/weft/svid.pem", keyPath: "/var/run/weft/svid-key.pem" },
  trustBundle: { source: "file", path: "/var/run/weft/bundle.pem" },
} as const;

const endpoints = (versions: string[]) => versions.map((v, i) => ({ address: `10.0.0.${i + 1}`, port: 15006, version: v, cluster: "east", ready: true }));
/** A route on reviews with named rules, for Route rate-limit keys. */
const reviewsRoute = make("HTTPRoute", "reviews", {
  parentRefs: [{ name: "reviews" }],
  rules: [
    { name: "canary", matches: [{ headers: [{ name: "x-canary", value: "1" }] }], backendRefs: [{ name: "reviews", version: "v2" }] },
    { name: "main", backendRefs: [{ name: "reviews", version: "v1" }] },
  ],
}, "shop");
const externalApi = make("ExternalService", "api", { hosts: ["api.example.com"], ports: [{ number: 80, protocol: "HTTP" }] }, "shop");

function compile(resource: Resource, as: "caller" | "destination" = "caller", options: Partial<CompileInputRaw["options"]> = {}) {
  const input: CompileInputRaw = {
    resources: [{ resource }, { resource: externalApi }, ...(resource.kind === "TrafficPolicy" ? [{ resource: reviewsRoute }] : [])],
    catalog: {
      services: [
        { name: "reviews", namespace: "shop", cluster: "east", ports: [{ port: 9080, protocol: "HTTP" }], endpoints: endpoints(["v1", "v2"]) },
        { name: "reviews", namespace: "other", cluster: "east", ports: [{ port: 9080, protocol: "HTTP" }], endpoints: endpoints(["v1"]) },
        { name: "ratings", namespace: "shop", cluster: "east", ports: [{ port: 8080, protocol: "HTTP" }, { port: 8081, protocol: "HTTP2" }], endpoints: endpoints(["v1"]) },
        { name: "api", namespace: "shop", cluster: "east", ports: [{ port: 80, protocol: "HTTP" }], endpoints: endpoints(["v1"]) },
      ],
    },
    workload:
      as === "caller"
        ? { name: "w", namespace: "shop", service: "frontend", cluster: "east", serviceAccount: "frontend", appPorts: [{ port: 8080 }] }
        : { name: "r", namespace: "shop", service: "reviews", cluster: "east", serviceAccount: "reviews", appPorts: [{ port: 9080 }] },
    options: { outboundPort: 15001, inboundPort: 15006, adminPort: 15000, ...(SECURITY_KINDS.has(resource.kind) ? { identity: IDENTITY } : {}), ...options },
  };
  return compileProxyConfig(input);
}

const SECURITY_KINDS: ReadonlySet<string> = new Set(["AuthorizationPolicy", "RequestAuthentication", "PeerAuthentication", "Mesh"]);
const resourceOf = (kind: CoveredKind, spec: Spec): Resource => make(kind, kind === "TrafficPolicy" ? "p" : "r", spec as never, "shop");
const content = (r: ReturnType<typeof compile>) => {
  const { version: _v, ...rest } = r.config;
  return canonicalJson(rest);
};

describe("every TrafficPolicy, HTTPRoute and security field has an effect or is diagnosed", () => {
  const walked = [
    ...fieldPaths(TrafficPolicySpecSchema, "spec").map((p) => `TrafficPolicy ${p}`),
    ...fieldPaths(HTTPRouteSpecSchema, "spec").map((p) => `HTTPRoute ${p}`),
    ...fieldPaths(AuthorizationPolicySpecSchema, "spec").map((p) => `AuthorizationPolicy ${p}`),
    ...fieldPaths(RequestAuthenticationSpecSchema, "spec").map((p) => `RequestAuthentication ${p}`),
    ...fieldPaths(PeerAuthenticationSpecSchema, "spec").map((p) => `PeerAuthentication ${p}`),
    // The Mesh's security fields; its defaults (connect timeout, retries, ...) are outside issue 6, and its
    // multicluster export shapes the manager's cluster config, not a proxy's (distribution/cluster-config.test.ts).
    ...fieldPaths(MeshSpecSchema, "spec")
      .filter((p) => !p.startsWith("spec.defaults") && !p.startsWith("spec.multicluster"))
      .map((p) => `Mesh ${p}`),
  ];

  it("walks the schemas (sanity: the walker finds nested union and array fields)", () => {
    expect(walked).toContain("TrafficPolicy spec.rateLimits.global.limits[].key.route.rule");
    expect(walked).toContain("HTTPRoute spec.rules[].filters[].faultInjection.abort.grpcStatus");
    expect(walked.length).toBeGreaterThan(130);
  });

  it("has a check for every field, and none for a field that no longer exists", () => {
    const covered = ENTRIES.map(([path, c]) => `${c.resource} ${path}`);
    expect(walked.filter((w) => !covered.includes(w)), "fields without a COVERAGE entry: add one that shows their effect").toEqual([]);
    expect(covered.filter((c) => !walked.includes(c)), "COVERAGE entries for fields the schemas do not have").toEqual([]);
  });

  it.each(ENTRIES.map(([path, check]) => [`${check.resource} ${path}`, path, check] as const))("%s", (_label, path, check) => {
    if (check.kind === "rejected") {
      const result = validateResource({ apiVersion: "weft.io/v1alpha1", kind: check.resource, metadata: { name: "x", namespace: "shop" }, spec: check.spec });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues.map((i) => i.message).join("; ")).toContain(check.message);
      return;
    }
    if (check.kind === "diagnosed") {
      const result = compile(resourceOf(check.resource, check.spec), check.as);
      const prefix = path.replace(/\[\]/g, "").split(".").slice(0, 3).join(".");
      expect(result.diagnostics.filter((d) => d.code === check.code).map((d) => d.path.replace(/\[\d+\]/g, "")).some((p) => p.startsWith(prefix)), JSON.stringify(result.diagnostics)).toBe(true);
      return;
    }
    const a = compile(resourceOf(check.resource, check.a), check.as);
    const b = compile(resourceOf(check.resource, check.b), check.as);
    // Both sides are valid, compiled without errors about the field itself.
    expect(content(a), `${path}: the two values compile to the same ProxyConfig`).not.toBe(content(b));
  });
});

describe("every security compile option has an effect", () => {
  const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
  const inline = { trustDomain: "mesh.test", svid: { source: "inline", certChainPem: CERT, keyPem: KEY }, trustBundle: { source: "inline", rootsPem: [CERT] } };
  type Options = Partial<CompileInputRaw["options"]>;
  const withIdentity = (over: Record<string, unknown>): Options => ({ identity: { ...IDENTITY, ...over } as never });
  const OPTIONS: Record<string, [Options, Options]> = {
    "options.identity.trustDomain": [withIdentity({}), withIdentity({ trustDomain: "other.test" })],
    "options.identity.svid.source": [withIdentity({}), withIdentity({ svid: inline.svid })],
    "options.identity.svid.certChainPem": [withIdentity({ svid: inline.svid }), withIdentity({ svid: { ...inline.svid, certChainPem: `${CERT}${CERT}` } })],
    "options.identity.svid.keyPem": [withIdentity({ svid: inline.svid }), withIdentity({ svid: { ...inline.svid, keyPem: KEY.replace("MIIE", "MIIF") } })],
    "options.identity.svid.certChainPath": [withIdentity({}), withIdentity({ svid: { ...IDENTITY.svid, certChainPath: "/other/svid.pem" } })],
    "options.identity.svid.keyPath": [withIdentity({}), withIdentity({ svid: { ...IDENTITY.svid, keyPath: "/other/key.pem" } })],
    "options.identity.trustBundle.source": [withIdentity({}), withIdentity({ trustBundle: inline.trustBundle })],
    "options.identity.trustBundle.rootsPem[]": [withIdentity({ trustBundle: inline.trustBundle }), withIdentity({ trustBundle: { source: "inline", rootsPem: [CERT, CERT] } })],
    "options.identity.trustBundle.path": [withIdentity({}), withIdentity({ trustBundle: { source: "file", path: "/other/bundle.pem" } })],
    "options.identity.fileCheckIntervalMs": [withIdentity({}), withIdentity({ fileCheckIntervalMs: 5000 })],
    "options.identity.revokedFingerprints[]": [withIdentity({}), withIdentity({ revokedFingerprints: ["ab".repeat(32)] })],
    "options.mtlsMode": [{ identity: IDENTITY, mtlsMode: "STRICT" }, { identity: IDENTITY, mtlsMode: "PERMISSIVE" }],
  };
  const walked = [...fieldPaths(CompileOptionsSchema.shape.identity, "options.identity"), ...fieldPaths(CompileOptionsSchema.shape.mtlsMode, "options.mtlsMode")];

  it("has a case for every field of options.identity and options.mtlsMode", () => {
    expect(Object.keys(OPTIONS).sort()).toEqual([...walked].sort());
  });

  it.each(Object.entries(OPTIONS))("%s", (_path, [a, b]) => {
    const policy = make("TrafficPolicy", "p", { targetRef: target, circuitBreaker: {} }, "shop");
    expect(content(compile(policy, "destination", a))).not.toBe(content(compile(policy, "destination", b)));
  });
});
