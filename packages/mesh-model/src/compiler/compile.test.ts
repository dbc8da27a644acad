import { describe, expect, it } from "vitest";
import { make } from "../testing/fixtures.ts";
import { type CompileInputRaw, compileProxyConfig, CompileInputError } from "./index.ts";
import { canonicalJson, fnv1a64 } from "./config-hash.ts";
import { UNSUPPORTED_FIELDS, findUnsupportedFields } from "./unsupported-fields.ts";
import type { Resource } from "../resource/resource.schema.ts";

function input(resources: { resource: Resource; createdAt?: string }[], workloadNamespace = "shop"): CompileInputRaw {
  return {
    resources,
    catalog: {
      services: [
        {
          name: "reviews",
          namespace: "shop",
          cluster: "east",
          ports: [{ port: 9080, protocol: "HTTP" }],
          endpoints: [
            { address: "10.0.0.1", port: 15006, version: "v1", cluster: "east", ready: true },
            { address: "10.0.0.2", port: 15006, version: "v2", cluster: "east", ready: true },
          ],
        },
      ],
    },
    workload: { name: "w", namespace: workloadNamespace, service: "frontend", cluster: "east", serviceAccount: "frontend" },
    options: { outboundPort: 15001, inboundPort: 15006, adminPort: 15000 },
  };
}

const backend = (result: ReturnType<typeof compileProxyConfig>, name: string) => result.config.backends.find((b) => b.name === name);
const lines = (result: ReturnType<typeof compileProxyConfig>) => result.diagnostics.map((d) => `${d.code} ${d.resource ?? "-"} ${d.path}`);

describe("config hash", () => {
  it.each([
    ["", "cbf29ce484222325"],
    ["a", "af63dc4c8601ec8c"],
    ["foobar", "85944171f73967e8"],
  ])("fnv1a64(%j) is the FNV-1a 64 reference value %s", (text, hex) => {
    expect(fnv1a64(text)).toBe(hex);
  });

  it("prints keys in order at every level, so equal values hash equally", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});

describe("unsupported fields", () => {
  // One resource per entry of UNSUPPORTED_FIELDS: a test that fails when an entry is added without a case here.
  const cases: [string, Resource][] = [
    ["spec.loadBalancer.ringHash.hashOn[type=Cookie]", make("TrafficPolicy", "p", { targetRef: { name: "reviews" }, loadBalancer: { algorithm: "RING_HASH", ringHash: { hashOn: { type: "Cookie", cookie: { name: "s" } } } } })],
    ["spec.loadBalancer.locality.failover", make("TrafficPolicy", "p", { targetRef: { name: "reviews" }, loadBalancer: { locality: { failover: [{ from: "eu", to: ["us"] }] } } })],
    ["spec.tls[mode=MUTUAL]", make("ExternalService", "e", { hosts: ["api.example.com"], ports: [{ number: 80, protocol: "HTTP" }], tls: { mode: "MUTUAL", clientCertificateRef: { name: "c" } } })],
    ["spec.tls.verifyHostname=false", make("ExternalService", "e", { hosts: ["api.example.com"], ports: [{ number: 80, protocol: "HTTP" }], tls: { mode: "SIMPLE", verifyHostname: false } })],
    ["spec.hosts[*.wildcard]", make("ExternalService", "e", { hosts: ["*.example.com"], ports: [{ number: 80, protocol: "HTTP" }] })],
    ["spec.ports[protocol=HTTPS|TLS|TCP]", make("ExternalService", "e", { hosts: ["api.example.com"], ports: [{ number: 443, protocol: "HTTPS" }] })],
    ["spec.mtls.mode", make("Mesh", "default", { trustDomain: "weft.local" })],
    ["spec", make("AuthorizationPolicy", "a", { targetRef: { name: "frontend" }, action: "DENY", rules: [{}] })],
    ["spec", make("RequestAuthentication", "ra", { jwtRules: [{ issuer: "https://issuer.example", jwks: { type: "File", path: "/etc/jwks.json" } }] })],
  ];

  it("has a case for every entry", () => {
    expect(cases.map(([field, r]) => `${r.kind} ${field}`).sort()).toEqual(UNSUPPORTED_FIELDS.map((f) => `${f.kind} ${f.field}`).sort());
  });

  it.each(cases)("%s is found", (field, resource) => {
    expect(findUnsupportedFields(resource).map((u) => u.field)).toContain(field);
  });

  it("finds nothing in a route and policy using only supported fields", () => {
    expect(findUnsupportedFields(make("TrafficPolicy", "p", { targetRef: { name: "reviews" }, loadBalancer: { algorithm: "ROUND_ROBIN" }, timeouts: { connect: "1s" }, retries: { attempts: 2 } }))).toEqual([]);
    // Issue 8: the resilience fields are supported now.
    expect(
      findUnsupportedFields(
        make("TrafficPolicy", "p", { targetRef: { name: "reviews" }, circuitBreaker: {}, outlierDetection: {}, connectionPool: { maxRequestsPerConnection: 1 }, healthChecks: [{ type: "TCP" }], loadBalancer: { slowStart: { window: "10s" } } }),
      ),
    ).toEqual([]);
    expect(findUnsupportedFields(make("HTTPRoute", "r", { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "reviews" }] }] }))).toEqual([]);
  });
});

describe("compileProxyConfig", () => {
  it("refuses a malformed input with every issue and its path", () => {
    expect(() => compileProxyConfig({ workload: { name: "w" }, options: {} } as unknown as CompileInputRaw)).toThrow(CompileInputError);
    try {
      compileProxyConfig({ workload: { name: "w" }, options: {} } as unknown as CompileInputRaw);
    } catch (err) {
      expect((err as CompileInputError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(["workload.namespace", "options.outboundPort"]));
    }
  });

  it("overlays a version-specific TrafficPolicy on the service-wide one, per section", () => {
    const wide = make("TrafficPolicy", "wide", { targetRef: { name: "reviews" }, loadBalancer: { algorithm: "ROUND_ROBIN" }, timeouts: { connect: "300ms" } });
    const v2 = make("TrafficPolicy", "v2", { targetRef: { name: "reviews", version: "v2" }, loadBalancer: { algorithm: "RANDOM" } });
    const route = make("HTTPRoute", "r", { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "reviews", version: "v1" }, { name: "reviews", version: "v2" }] }] });
    const result = compileProxyConfig(input([{ resource: v2 }, { resource: wide }, { resource: route }]));
    expect(backend(result, "reviews.shop:9080/v1")).toMatchObject({ loadBalancer: { algorithm: "round-robin" }, policy: { connectTimeoutMs: 300 } });
    expect(backend(result, "reviews.shop:9080/v2")).toMatchObject({ loadBalancer: { algorithm: "random" }, policy: { connectTimeoutMs: 300 } });
  });

  it("lets the oldest of two equally specific policies win, and says so", () => {
    const older = make("TrafficPolicy", "older", { targetRef: { name: "reviews" }, timeouts: { connect: "100ms" } });
    const newer = make("TrafficPolicy", "newer", { targetRef: { name: "reviews" }, timeouts: { connect: "900ms" } });
    const result = compileProxyConfig(input([{ resource: newer, createdAt: "2024-02-01T00:00:00Z" }, { resource: older, createdAt: "2024-01-01T00:00:00Z" }]));
    expect(backend(result, "reviews.shop:9080")?.policy.connectTimeoutMs).toBe(100);
    expect(lines(result)).toContain("conflicting_policies TrafficPolicy/shop/newer spec.targetRef");
  });

  it("uses the service-wide retry when a rule's backends disagree, with a warning", () => {
    const v2 = make("TrafficPolicy", "v2", { targetRef: { name: "reviews", version: "v2" }, retries: { attempts: 5 } });
    const route = make("HTTPRoute", "r", { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "reviews", version: "v1" }, { name: "reviews", version: "v2" }] }] });
    const result = compileProxyConfig(input([{ resource: v2 }, { resource: route }]));
    expect(result.config.virtualHosts[0]?.routes[0]?.rules[0]?.retry).toBeUndefined();
    expect(lines(result)).toContain("conflicting_backend_policies HTTPRoute/shop/r spec.rules[0].backendRefs");
  });

  it.each([
    ["a caller in the service's namespace gets the producer route", "shop", ["producer"]],
    ["a caller with its own consumer route gets only that", "web", ["consumer"]],
    ["a caller elsewhere gets the producer route", "jobs", ["producer"]],
  ])("%s", (_name, namespace, expected) => {
    const producer = make("HTTPRoute", "producer", { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "reviews" }] }] }, "shop");
    const consumer = make("HTTPRoute", "consumer", { parentRefs: [{ name: "reviews", namespace: "shop" }], rules: [{ backendRefs: [{ name: "reviews", namespace: "shop", version: "v1" }] }] }, "web");
    const result = compileProxyConfig(input([{ resource: producer }, { resource: consumer }], namespace));
    expect(result.config.virtualHosts.find((v) => v.name === "reviews.shop")?.routes.map((r) => r.name)).toEqual(expected);
  });

  it("serves short names only to callers in the same namespace", () => {
    const domains = (ns: string) => compileProxyConfig(input([], ns)).config.virtualHosts[0]?.domains;
    expect(domains("shop")).toContain("reviews");
    expect(domains("web")).not.toContain("reviews");
  });

  it("fails closed when an ExternalService CA was not provided", () => {
    const es = make("ExternalService", "pay", { hosts: ["pay.example.com"], ports: [{ number: 443, protocol: "HTTP" }], tls: { mode: "SIMPLE", caCertificateRef: { name: "ca" } } });
    const result = compileProxyConfig(input([{ resource: es }]));
    expect(backend(result, "external.shop.pay:443/pay.example.com")?.endpoints).toEqual([]);
    expect(lines(result)).toContain("unresolved_certificate ExternalService/shop/pay spec.tls.caCertificateRef");
  });
});
