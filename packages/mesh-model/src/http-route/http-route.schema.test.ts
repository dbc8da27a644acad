import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";
import { HTTPRouteSchema } from "./http-route.schema.ts";

const route = (rules: unknown[], extra: Record<string, unknown> = {}) => doc("HTTPRoute", { parentRefs: [{ name: "checkout" }], rules, ...extra });
const rule = (extra: Record<string, unknown> = {}) => ({ backendRefs: [{ name: "checkout" }], ...extra });
const filter = (type: string, body: unknown) => ({ type, [type === "URLRewrite" ? "urlRewrite" : type.charAt(0).toLowerCase() + type.slice(1)]: body });

const canary = route([
  {
    name: "api",
    matches: [
      { path: { type: "PathPrefix", value: "/api" }, headers: [{ name: "x-user", value: "a" }], queryParams: [{ name: "debug", value: "1" }], method: "GET" },
      { path: { type: "RegularExpression", value: "/v[0-9]+/items" } },
    ],
    filters: [
      filter("RequestHeaderModifier", { set: [{ name: "x-a", value: "1" }], add: [{ name: "x-b", value: "2" }], remove: ["x-c"] }),
      filter("ResponseHeaderModifier", { remove: ["server"] }),
      filter("URLRewrite", { hostname: "checkout.internal", path: { type: "ReplaceFullPath", replaceFullPath: "/items" } }),
      filter("RequestMirror", { backendRef: { name: "checkout", version: "v2" }, percent: 5 }),
      filter("FaultInjection", { delay: { fixedDelay: "100ms", percentage: 10 }, abort: { grpcStatus: "UNAVAILABLE", percentage: 1 }, headers: [{ name: "x-chaos", value: "on" }] }),
    ],
    backendRefs: [
      { name: "checkout", version: "v1", weight: 90 },
      { name: "checkout", version: "v2", weight: 10 },
    ],
    timeouts: { request: "10s", backendRequest: "2s" },
    retry: { attempts: 3, perTryTimeout: "1s", retryOn: ["5xx", "retriable-status-codes"], retriableStatusCodes: [409], grpcCodes: ["unavailable"], backoff: { baseInterval: "25ms", maxInterval: "250ms" } },
  },
  { name: "old", matches: [{ path: { type: "Exact", value: "/old" } }], filters: [filter("RequestRedirect", { scheme: "https", hostname: "shop.example.com", statusCode: 301 })] },
  rule(),
]);

describe("HTTPRoute schema: valid documents", () => {
  it.each([
    ["a canary with every filter", canary],
    ["the smallest route", route([rule()])],
    ["a Gateway parent with hostnames", route([rule()], { parentRefs: [{ kind: "Gateway", name: "edge", sectionName: "https" }], hostnames: ["shop.example.com", "*.shop.example.com"] })],
    ["an ExternalService backend", route([{ backendRefs: [{ kind: "ExternalService", name: "payments", port: 443 }] }])],
    ["a rule for some clusters, a backend setting a cookie", route([rule({ clusters: ["east"], backendRefs: [{ name: "checkout", version: "v2", filters: [filter("ResponseHeaderModifier", { add: [{ name: "Set-Cookie", value: "c=1" }] })] }] }), rule()])],
    ["a zero request timeout with a backend timeout", route([rule({ timeouts: { request: "0s", backendRequest: "5s" } })])],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it("fills Gateway API defaults", () => {
    const parsed = HTTPRouteSchema.parse(route([{ matches: [{ path: {} }], backendRefs: [{ name: "checkout" }] }]));
    expect(parsed.spec.parentRefs[0]?.kind).toBe("Service");
    expect(parsed.spec.rules[0]?.matches?.[0]?.path).toEqual({ type: "PathPrefix", value: "/" });
    expect(parsed.spec.rules[0]?.backendRefs?.[0]).toEqual({ kind: "Service", name: "checkout", weight: 1 });
  });
});

describe("HTTPRoute schema: invalid documents report every issue at its path", () => {
  it.each<[string, unknown, string[]]>([
    ["no parentRefs", route([rule()], { parentRefs: [] }), ["spec.parentRefs: too_small"]],
    ["no rules", route([]), ["spec.rules: too_small"]],
    ["a weight above 1000000", route([rule(), { backendRefs: [{ name: "a" }, { name: "b", weight: 1_000_001 }] }]), ["spec.rules[1].backendRefs[1].weight: too_big"]],
    ["a cluster named twice in a rule", route([rule({ clusters: ["east", "east"] })]), ["spec.rules[0].clusters[1]: duplicate"]],
    ["a rule for no cluster", route([rule({ clusters: [] })]), ["spec.rules[0].clusters: too_small"]],
    ["a backend filter that is not a header change", route([{ backendRefs: [{ name: "a", filters: [filter("URLRewrite", { hostname: "x.example" })] }] }]), ["spec.rules[0].backendRefs[0].filters[0].type: invalid_value"]],
    ["a backend with two response modifiers", route([{ backendRefs: [{ name: "a", filters: [filter("ResponseHeaderModifier", { remove: ["a"] }), filter("ResponseHeaderModifier", { remove: ["b"] })] }] }]), ["spec.rules[0].backendRefs[0].filters[1].type: duplicate_filter"]],
    ["a fractional weight", route([{ backendRefs: [{ name: "a", weight: 1.5 }] }]), ["spec.rules[0].backendRefs[0].weight: invalid_type"]],
    ["a weight given as text", route([{ backendRefs: [{ name: "a", weight: "10" }] }]), ["spec.rules[0].backendRefs[0].weight: invalid_type"]],
    ["an upper-case service name", route([{ backendRefs: [{ name: "Checkout" }] }]), ["spec.rules[0].backendRefs[0].name: invalid_format"]],
    ["a misspelt field", route([{ backendRef: [{ name: "a" }] }]), ["spec.rules[0].backendRef: unknown_field"]],
    ["a missing backend name", route([{ backendRefs: [{ weight: 1 }] }]), ["spec.rules[0].backendRefs[0].name: required"]],
    ["a version on an ExternalService", route([{ backendRefs: [{ kind: "ExternalService", name: "pay", version: "v1" }] }]), ["spec.rules[0].backendRefs[0].version: invalid_backend"]],
    ["a regex that does not compile", route([rule({ matches: [{ path: { type: "RegularExpression", value: "/a(" } }] })]), ["spec.rules[0].matches[0].path.value: invalid_regex"]],
    ["a header regex that does not compile", route([rule({ matches: [{ headers: [{ type: "RegularExpression", name: "x", value: "[" }] }] })]), ["spec.rules[0].matches[0].headers[0].value: invalid_regex"]],
    ["a prefix without a leading slash", route([rule({ matches: [{ path: { value: "api" } }] })]), ["spec.rules[0].matches[0].path.value: invalid_path"]],
    ["a path with a query", route([rule({ matches: [{ path: { type: "Exact", value: "/a?b=1" } }] })]), ["spec.rules[0].matches[0].path.value: invalid_path"]],
    ["a header name with a space", route([rule({ matches: [{ headers: [{ name: "x user", value: "a" }] }] })]), ["spec.rules[0].matches[0].headers[0].name: invalid_format"]],
    ["the same header matched twice", route([rule({ matches: [{ headers: [{ name: "X-A", value: "1" }, { name: "x-a", value: "2" }] }] })]), ["spec.rules[0].matches[0].headers[1].name: duplicate"]],
    ["an unknown method", route([rule({ matches: [{ method: "FETCH" }] })]), ["spec.rules[0].matches[0].method: invalid_value"]],
    ["duplicate rule names", route([rule({ name: "a" }), rule({ name: "b" }), rule({ name: "a" })]), ["spec.rules[2].name: duplicate"]],
    [
      "a redirect together with a rewrite",
      route([{ filters: [filter("URLRewrite", { hostname: "a.example.com" }), filter("RequestRedirect", { scheme: "https" })] }]),
      ["spec.rules[0].filters[1].type: exclusive_filters"],
    ],
    ["a redirect with backends", route([rule({ filters: [filter("RequestRedirect", { scheme: "https" })] })]), ["spec.rules[0].backendRefs: exclusive_filters"]],
    [
      "a header modifier twice",
      route([rule({ filters: [filter("RequestHeaderModifier", { remove: ["a"] }), filter("RequestHeaderModifier", { remove: ["b"] })] })]),
      ["spec.rules[0].filters[1].type: duplicate_filter"],
    ],
    [
      "a header both set and removed",
      route([rule({ filters: [filter("RequestHeaderModifier", { set: [{ name: "X-A", value: "1" }], remove: ["x-a"] })] })]),
      ["spec.rules[0].filters[0].requestHeaderModifier.set[0].name: conflicting_header"],
    ],
    [
      "a header value with a newline",
      route([rule({ filters: [filter("ResponseHeaderModifier", { add: [{ name: "x", value: "a\r\nb: c" }] })] })]),
      ["spec.rules[0].filters[0].responseHeaderModifier.add[0].value: invalid_header_value"],
    ],
    [
      "ReplacePrefixMatch with an Exact match",
      route([rule({ matches: [{ path: { type: "Exact", value: "/a" } }], filters: [filter("URLRewrite", { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } })] })]),
      ["spec.rules[0].filters[0].urlRewrite.path.type: invalid_rewrite"],
    ],
    ["an unknown filter type", route([rule({ filters: [{ type: "Compress" }] })]), ["spec.rules[0].filters[0].type: invalid_value"]],
    ["a filter without its body", route([rule({ filters: [{ type: "RequestMirror" }] })]), ["spec.rules[0].filters[0].requestMirror: required"]],
    ["a mirror percentage above 100", route([rule({ filters: [filter("RequestMirror", { backendRef: { name: "a" }, percent: 101 }) ] })]), ["spec.rules[0].filters[0].requestMirror.percent: too_big"]],
    ["a fault with neither delay nor abort", route([rule({ filters: [filter("FaultInjection", {})] })]), ["spec.rules[0].filters[0].faultInjection: invalid_fault"]],
    [
      "an abort with both statuses and a bad percentage",
      route([rule({ filters: [filter("FaultInjection", { abort: { httpStatus: 503, grpcStatus: "UNAVAILABLE", percentage: -1 } })] })]),
      ["spec.rules[0].filters[0].faultInjection.abort.percentage: too_small", "spec.rules[0].filters[0].faultInjection.abort: invalid_fault"],
    ],
    ["an abort with an unknown gRPC status", route([rule({ filters: [filter("FaultInjection", { abort: { grpcStatus: "BROKEN" } })] })]), ["spec.rules[0].filters[0].faultInjection.abort.grpcStatus: invalid_value"]],
    ["a backend timeout above the request timeout", route([rule({ timeouts: { request: "1s", backendRequest: "2s" } })]), ["spec.rules[0].timeouts.backendRequest: invalid_timeouts"]],
    ["a malformed duration", route([rule({ timeouts: { request: "10 seconds" } })]), ["spec.rules[0].timeouts.request: invalid_duration"]],
    ["zero retry attempts", route([rule({ retry: { attempts: 0 } })]), ["spec.rules[0].retry.attempts: too_small"]],
    ["retriable-status-codes without codes", route([rule({ retry: { attempts: 2, retryOn: ["retriable-status-codes"] } })]), ["spec.rules[0].retry.retriableStatusCodes: missing_status_codes"]],
    ["status codes without retriable-status-codes", route([rule({ retry: { attempts: 2, retriableStatusCodes: [503] } })]), ["spec.rules[0].retry.retriableStatusCodes: unused_status_codes"]],
    ["an unknown retry condition", route([rule({ retry: { attempts: 2, retryOn: ["timeout"] } })]), ["spec.rules[0].retry.retryOn[0]: invalid_value"]],
    ["a back-off max below its base", route([rule({ retry: { attempts: 2, backoff: { baseInterval: "1s", maxInterval: "100ms" } } })]), ["spec.rules[0].retry.backoff.maxInterval: invalid_backoff"]],
    ["a sectionName on a Service parent", route([rule()], { parentRefs: [{ name: "checkout", sectionName: "http" }] }), ["spec.parentRefs[0].sectionName: invalid_parent"]],
    ["the same parent twice", route([rule()], { parentRefs: [{ name: "checkout" }, { name: "checkout", kind: "Service" }] }), ["spec.parentRefs[1]: duplicate"]],
    [
      "several problems at once",
      route([{ name: "Bad", backendRefs: [{ name: "a", weight: 2_000_000 }], timeouts: { request: "soon" } }, rule({ retry: { attempts: 0 } })]),
      ["spec.rules[0].name: invalid_format", "spec.rules[0].backendRefs[0].weight: too_big", "spec.rules[0].timeouts.request: invalid_duration", "spec.rules[1].retry.attempts: too_small"],
    ],
  ])("%s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });
});
