import { describe, expect, it } from "vitest";
import { FILE_IDENTITY as IDENTITY, make, PROXY_PORTS, reviewsService } from "../testing/fixtures.ts";
import { type CompileInputRaw, compileProxyConfig, CompileInputError } from "./index.ts";
import { canonicalJson, fnv1a64 } from "./config-hash.ts";
import { UNSUPPORTED_FIELDS, findUnsupportedFields } from "./unsupported-fields.ts";
import type { Resource } from "../resource/resource.schema.ts";
import { UNSENT_RETRY_POLICY } from "../proxy-config/proxy-routes.schema.ts";

function input(resources: { resource: Resource; createdAt?: string }[], workloadNamespace = "shop"): CompileInputRaw {
  return {
    resources,
    catalog: {
      services: [
        reviewsService("east", [
          { address: "10.0.0.1", port: 15006, version: "v1", cluster: "east", ready: true },
          { address: "10.0.0.2", port: 15006, version: "v2", cluster: "east", ready: true },
        ]),
      ],
    },
    workload: { name: "w", namespace: workloadNamespace, service: "frontend", cluster: "east", serviceAccount: "frontend" },
    options: { ...PROXY_PORTS },
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
    ["spec.tls[mode=MUTUAL]", make("ExternalService", "e", { hosts: ["api.example.com"], ports: [{ number: 80, protocol: "HTTP" }], tls: { mode: "MUTUAL", clientCertificateRef: { name: "c" } } })],
    ["spec.tls.verifyHostname=false", make("ExternalService", "e", { hosts: ["api.example.com"], ports: [{ number: 80, protocol: "HTTP" }], tls: { mode: "SIMPLE", verifyHostname: false } })],
    ["spec.hosts[*.wildcard]", make("ExternalService", "e", { hosts: ["*.example.com"], ports: [{ number: 80, protocol: "HTTP" }] })],
    ["spec.ports[protocol=HTTPS|TLS|TCP]", make("ExternalService", "e", { hosts: ["api.example.com"], ports: [{ number: 443, protocol: "HTTPS" }] })],
    ["spec.jwtRules[].claimsToHeaders", make("RequestAuthentication", "ra", { jwtRules: [{ issuer: "https://issuer.example", jwks: { type: "File", path: "/etc/jwks.json" }, claimsToHeaders: [{ claim: "sub", header: "x-user" }] }] })],
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
        make("TrafficPolicy", "p", { targetRef: { name: "reviews" }, circuitBreaker: {}, outlierDetection: {}, connectionPool: { maxRequestsPerConnection: 1 }, healthChecks: [{ type: "TCP" }], loadBalancer: { slowStart: { window: "10s" }, locality: { failover: [{ from: "eu", to: ["us"] }] } } }),
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

  it("gives a rule without a retry the unsent-request retry (a refused connection, once more elsewhere), and a configured retry wins", () => {
    const rule = (r: Parameters<typeof compileProxyConfig>[0]) => compileProxyConfig(r).config.virtualHosts[0]?.routes[0]?.rules[0]?.retry;
    // No route, no policy: the service's default route.
    expect(rule(input([]))).toEqual({ maxAttempts: 2, retryOn: ["connect-failure", "refused-stream"], statusCodes: [], grpcStatusCodes: [], backoff: { baseMs: 25, maxMs: 250 } });
    const plain = make("HTTPRoute", "r", { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "reviews" }] }] });
    expect(rule(input([{ resource: plain }]))).toEqual(UNSENT_RETRY_POLICY);
    // The rule's own retry replaces it, conditions and all.
    const own = make("HTTPRoute", "r", { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "reviews" }], retry: { attempts: 1, retryOn: ["5xx"] } }] });
    expect(rule(input([{ resource: own }]))).toMatchObject({ maxAttempts: 2, retryOn: ["5xx"] });
    // A TrafficPolicy's retry replaces it; retryOn [] switches retries off, the default included.
    const off = make("TrafficPolicy", "off", { targetRef: { name: "reviews" }, retries: { attempts: 1, retryOn: [] } });
    expect(rule(input([{ resource: off }, { resource: plain }]))).toMatchObject({ retryOn: [], statusCodes: [], grpcStatusCodes: [] });
  });

  it("uses the service-wide retry when a rule's backends disagree, with a warning", () => {
    const v2 = make("TrafficPolicy", "v2", { targetRef: { name: "reviews", version: "v2" }, retries: { attempts: 5 } });
    const route = make("HTTPRoute", "r", { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "reviews", version: "v1" }, { name: "reviews", version: "v2" }] }] });
    const result = compileProxyConfig(input([{ resource: v2 }, { resource: route }]));
    // The service has no retry of its own: the rule gets the default (a refused connection retried once elsewhere), not v2's 5 attempts.
    expect(result.config.virtualHosts[0]?.routes[0]?.rules[0]?.retry).toEqual(UNSENT_RETRY_POLICY);
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

describe("security (issue 6)", () => {
  const FP = (c: string) => c.repeat(64);

  /** The reviews workload (the destination), with or without an identity. */
  function secured(resources: Resource[], options: Partial<CompileInputRaw["options"]> = { identity: IDENTITY }): CompileInputRaw {
    const base = input(resources.map((resource) => ({ resource })));
    const reviews = base.catalog?.services?.[0];
    if (reviews?.endpoints?.[0]) reviews.endpoints[0].serviceAccount = "reviews";
    return {
      ...base,
      catalog: {
        services: [
          ...(base.catalog?.services ?? []),
          { name: "ratings", namespace: "shop", cluster: "west", ports: [{ port: 8080, protocol: "HTTP" }], endpoints: [{ address: "10.1.0.1", port: 15006, cluster: "west", ready: true }] },
        ],
      },
      workload: { name: "r", namespace: "shop", service: "reviews", cluster: "east", serviceAccount: "reviews", appPorts: [{ port: 9080 }] },
      options: { ...PROXY_PORTS, ...options },
    };
  }
  const inboundMode = (result: ReturnType<typeof compileProxyConfig>) => {
    const l = result.config.listeners.find((x) => x.kind === "inbound");
    return l?.kind === "inbound" ? l.mtlsMode : "no listener";
  };
  const pa = (name: string, mode: "STRICT" | "PERMISSIVE", target?: string, namespace = "shop") => make("PeerAuthentication", name, { ...(target ? { targetRef: { name: target } } : {}), mtls: { mode } }, namespace);
  const mesh = (mode: "STRICT" | "PERMISSIVE") => make("Mesh", "default", { trustDomain: "mesh.test", mtls: { mode } });

  it.each<[string, Resource[], "STRICT" | "PERMISSIVE" | undefined, string]>([
    ["nothing says: STRICT", [], undefined, "STRICT"],
    ["the manager's mesh-wide mode", [], "PERMISSIVE", "PERMISSIVE"],
    ["the Mesh resource over the manager's mode", [mesh("STRICT")], "PERMISSIVE", "STRICT"],
    ["a namespace override over the Mesh", [mesh("STRICT"), pa("ns", "PERMISSIVE")], undefined, "PERMISSIVE"],
    ["a service override over the namespace's", [mesh("PERMISSIVE"), pa("ns", "PERMISSIVE"), pa("reviews", "STRICT", "reviews")], undefined, "STRICT"],
    ["another service's override does not apply", [pa("ratings", "PERMISSIVE", "ratings")], undefined, "STRICT"],
    ["another namespace's override does not apply", [pa("ns", "PERMISSIVE", undefined, "jobs")], undefined, "STRICT"],
  ])("inbound mode: %s", (_name, resources, mtlsMode, expected) => {
    expect(inboundMode(compileProxyConfig(secured(resources, { identity: IDENTITY, ...(mtlsMode ? { mtlsMode } : {}) })))).toBe(expected);
  });

  it("stays plaintext without an identity and warns when that leaves a STRICT workload open", () => {
    const strict = compileProxyConfig(secured([], {}));
    expect(inboundMode(strict)).toBeUndefined();
    expect(strict.config.identity).toBeUndefined();
    expect(strict.config.backends.every((b) => b.mtls === undefined)).toBe(true);
    expect(lines(strict)).toContain("no_identity - options.identity");
    expect(lines(compileProxyConfig(secured([], { mtlsMode: "PERMISSIVE" })))).not.toContain("no_identity - options.identity");
  });

  it("expects the SPIFFE IDs of the destination's service accounts, and the namespace where one is unknown", () => {
    const result = compileProxyConfig(secured([make("HTTPRoute", "r", { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "reviews", version: "v1" }, { name: "reviews", version: "v2" }] }] })]));
    expect(backend(result, "reviews.shop:9080/v1")?.mtls).toEqual({ expectedIdentities: ["spiffe://mesh.test/ns/shop/sa/reviews"] });
    // v2's endpoint reports no service account (e.g. behind a gateway): any workload of shop.
    expect(backend(result, "reviews.shop:9080/v2")?.mtls).toEqual({ expectedIdentities: ["spiffe://mesh.test/ns/shop/*"] });
    expect(backend(result, "ratings.shop:8080")?.mtls).toEqual({ expectedIdentities: ["spiffe://mesh.test/ns/shop/*"] });
  });

  it("calls workloads without a proxy in plaintext, and leaves them out of a service whose other endpoints have one", () => {
    const base = secured([]);
    const plain = { name: "inventory", namespace: "shop", cluster: "east", ports: [{ port: 8080, protocol: "HTTP" as const }], endpoints: [{ address: "10.2.0.1", port: 8080, cluster: "east", ready: true, serviceAccount: "inventory", sidecar: false }] };
    const mixed = {
      name: "ledger",
      namespace: "shop",
      cluster: "east",
      ports: [{ port: 8080, protocol: "HTTP" as const }],
      endpoints: [
        { address: "10.3.0.1", port: 15006, cluster: "east", ready: true, serviceAccount: "ledger" },
        { address: "10.3.0.2", port: 8080, cluster: "east", ready: true, serviceAccount: "ledger", sidecar: false },
      ],
    };
    const result = compileProxyConfig({ ...base, catalog: { services: [...(base.catalog?.services ?? []), plain, mixed] } });
    const inventory = backend(result, "inventory.shop:8080");
    expect(inventory?.mtls).toBeUndefined();
    expect(inventory?.endpoints.map((e) => `${e.address}:${e.port}`)).toEqual(["10.2.0.1:8080"]);
    const ledger = backend(result, "ledger.shop:8080");
    expect(ledger?.mtls).toEqual({ expectedIdentities: ["spiffe://mesh.test/ns/shop/sa/ledger"] });
    expect(ledger?.endpoints.map((e) => `${e.address}:${e.port}`)).toEqual(["10.3.0.1:15006"]);
    expect(result.diagnostics).toContainEqual(expect.objectContaining({ code: "endpoint_without_proxy", message: expect.stringContaining("10.3.0.2:8080") }));
  });

  it("never sends to another cluster's proxy-less endpoints through its gateway: the local plaintext instance serves (issue 12)", () => {
    const base = secured([]);
    // The demo's inventory: no proxy in either cluster. Before issue 12 the remote entry looked meshed, so
    // callers chose mTLS, dropped their local instance and sent everything to the other cluster (503 UF).
    const inventory = (cluster: string, endpoint: { address: string; port: number; serviceAccount?: string; sidecar?: boolean; viaGateway?: boolean }) => ({ name: "inventory", namespace: "shop", cluster, ports: [{ port: 8080, protocol: "HTTP" as const }], endpoints: [{ cluster, ready: true, ...endpoint }] });
    const local = inventory("east", { address: "10.2.0.1", port: 8080, serviceAccount: "inventory", sidecar: false });
    const remote = inventory("west", { address: "192.0.2.9", port: 15443, viaGateway: true, sidecar: false });
    const result = compileProxyConfig({ ...base, catalog: { services: [...(base.catalog?.services ?? []), local, remote] } });
    const b = backend(result, "inventory.shop:8080");
    expect(b?.mtls).toBeUndefined();
    expect(b?.endpoints.map((e) => `${e.address}:${e.port}`)).toEqual(["10.2.0.1:8080"]);
    expect(result.diagnostics).toContainEqual(expect.objectContaining({ code: "unreachable_endpoint", message: expect.stringContaining("shop/inventory in cluster west") }));
    // A meshed remote instance stays a candidate, with the identity its cluster reported.
    const meshed = inventory("west", { address: "192.0.2.9", port: 15443, viaGateway: true, serviceAccount: "inventory" });
    const onlyRemote = compileProxyConfig({ ...base, catalog: { services: [...(base.catalog?.services ?? []), meshed] } });
    expect(backend(onlyRemote, "inventory.shop:8080")?.mtls).toEqual({ expectedIdentities: ["spiffe://mesh.test/ns/shop/sa/inventory"] });
  });

  it("never sends a port to another cluster whose service does not declare it: its gateway has no route for it (issue 12)", () => {
    const base = secured([]);
    // npm start runs both clusters on one machine, so the same service has a different port in each.
    const east = { name: "frontend", namespace: "shop", cluster: "east", ports: [{ port: 20010, protocol: "HTTP" as const }], endpoints: [{ address: "127.0.0.1", port: 20011, cluster: "east", ready: true, serviceAccount: "frontend" }] };
    const west = { name: "frontend", namespace: "shop", cluster: "west", ports: [{ port: 20110, protocol: "HTTP" as const }], endpoints: [{ address: "127.0.0.1", port: 20190, cluster: "west", ready: true, viaGateway: true }] };
    const result = compileProxyConfig({ ...base, catalog: { services: [...(base.catalog?.services ?? []), east, west] } });
    expect(backend(result, "frontend.shop:20010")?.endpoints.map((e) => `${e.address}:${e.port}`)).toEqual(["127.0.0.1:20011"]);
    expect(result.diagnostics).toContainEqual(expect.objectContaining({ code: "unreachable_endpoint", message: expect.stringContaining("shop/frontend in cluster west does not serve port 20010") }));
  });

  it("routes one service port to each cluster's own target port: no unreachable_endpoint when the clusters agree on the service port", () => {
    const base = secured([]);
    // npm start's clusters share a machine: their instances listen on different ports, but serve one service port (universal servicePort).
    const east = { name: "frontend", namespace: "shop", cluster: "east", ports: [{ port: 8080, protocol: "HTTP" as const }], endpoints: [{ address: "127.0.0.1", port: 20011, ports: { "8080": 20011 }, cluster: "east", ready: true, serviceAccount: "frontend" }] };
    const west = { name: "frontend", namespace: "shop", cluster: "west", ports: [{ port: 8080, protocol: "HTTP" as const }], endpoints: [{ address: "127.0.0.1", port: 20190, cluster: "west", ready: true, viaGateway: true, serviceAccount: "frontend" }] };
    const result = compileProxyConfig({ ...base, catalog: { services: [...(base.catalog?.services ?? []), east, west] } });
    const b = backend(result, "frontend.shop:8080");
    // The local instance at its inbound proxy; the remote ones at their gateway, named by the shared service port.
    expect(b?.endpoints.map((e) => `${e.locality.cluster} ${e.address}:${e.port} ${e.sni ?? "-"}`)).toEqual(["east 127.0.0.1:20011 -", "west 127.0.0.1:20190 8080.any.frontend.shop.weft.internal"]);
    expect(result.diagnostics.filter((d) => d.code === "unreachable_endpoint")).toEqual([]);
    expect(result.config.backends.map((x) => x.name)).not.toContain("frontend.shop:20011");
  });

  it("applies the destination's policies by service port when its app listens on another port", () => {
    const limited = make("TrafficPolicy", "limit", { targetRef: { name: "reviews", port: 9080 }, rateLimits: { local: [{ name: "l", key: { type: "Header", header: "x-user" }, tokenBucket: { requests: 1, per: "1s" } }] } });
    const deny = make("AuthorizationPolicy", "deny", { targetRef: { name: "reviews", ports: [9080] }, action: "DENY", rules: [{ to: { paths: ["/admin"] } }] });
    const served = secured([limited, deny]);
    served.workload = { ...served.workload, appPorts: [{ port: 29080, servicePort: 9080 }] };
    const result = compileProxyConfig(served);
    expect(result.config.rateLimits?.local.map((l) => l.name)).toEqual(["l"]);
    // The inbound listener forwards to the app's own port; the authorization policy names that port.
    expect(result.config.listeners.find((l) => l.kind === "inbound")).toMatchObject({ app: { port: 29080 } });
    expect(result.config.authorization?.policies.map((p) => p.ports)).toEqual([[29080]]);
    expect(result.diagnostics.map((d) => d.code)).not.toContain("unknown_port");
  });

  it("leaves ExternalServices to their own TLS settings", () => {
    const es = make("ExternalService", "pay", { hosts: ["pay.example.com"], ports: [{ number: 443, protocol: "HTTP" }], tls: { mode: "SIMPLE" } });
    const result = compileProxyConfig(secured([es]));
    expect(backend(result, "external.shop.pay:443/pay.example.com")).toMatchObject({ tls: { serverName: "pay.example.com" } });
    expect(backend(result, "external.shop.pay:443/pay.example.com")?.mtls).toBeUndefined();
  });

  it("keeps the version when only rotated files or the order of revocations differ", () => {
    const a = compileProxyConfig(secured([], { identity: { ...IDENTITY, revokedFingerprints: [FP("a"), FP("b"), FP("a")] } }));
    const b = compileProxyConfig(secured([], { identity: { ...IDENTITY, revokedFingerprints: [FP("b"), FP("a")] } }));
    expect(a.config.identity?.revokedFingerprints).toEqual([FP("a"), FP("b")]);
    expect(b.config.version).toBe(a.config.version);
    expect(compileProxyConfig(secured([])).config.version).not.toBe(a.config.version);
  });

  it("compiles the AuthorizationPolicies of the workload's service, service ports as workload ports", () => {
    const allow = make("AuthorizationPolicy", "allow", { targetRef: { name: "reviews", ports: [9080] }, action: "ALLOW", rules: [{ from: { namespaces: ["shop"] }, to: { methods: ["GET"] } }] });
    const deny = make("AuthorizationPolicy", "deny", { targetRef: { name: "reviews" }, action: "DENY", rules: [{ from: { identities: ["*/sa/batch"] } }] });
    const elsewhere = make("AuthorizationPolicy", "other", { targetRef: { name: "ratings" }, action: "DENY", rules: [{}] });
    const gone = make("AuthorizationPolicy", "gone", { targetRef: { name: "reviews", ports: [7777] }, action: "DENY", rules: [{}] });
    const result = compileProxyConfig(secured([allow, deny, elsewhere, gone]));
    expect(result.config.authorization?.policies).toEqual([
      { name: "allow", namespace: "shop", action: "ALLOW", ports: [9080], rules: [{ from: { namespaces: ["shop"] }, to: { methods: ["GET"] } }] },
      { name: "deny", namespace: "shop", action: "DENY", rules: [{ from: { identities: ["*/sa/batch"] } }] },
    ]);
    expect(lines(result)).toContain("unknown_port AuthorizationPolicy/shop/gone spec.targetRef.ports[0]");
  });

  it("merges the RequestAuthentications of the service and its namespace; the service's rule of an issuer wins", () => {
    const rule = (issuer: string, path: string) => ({ issuer, jwks: { type: "File" as const, path } });
    const own = make("RequestAuthentication", "own", { targetRef: { name: "reviews" }, jwtRules: [rule("https://idp", "/own.json")] });
    const wide = make("RequestAuthentication", "wide", { jwtRules: [rule("https://idp", "/wide.json"), rule("https://other", "/other.json")] });
    const result = compileProxyConfig(secured([wide, own]));
    expect(result.config.requestAuthentication).toMatchObject({
      issuers: [
        { issuer: "https://idp", jwks: { source: "file", path: "/own.json" } },
        { issuer: "https://other", jwks: { source: "file", path: "/other.json" } },
      ],
      clockSkewSeconds: 60,
      listeners: ["inbound"],
    });
    expect(lines(result)).toContain("conflicting_policies RequestAuthentication/shop/wide spec.jwtRules[0].issuer");
  });
});
