import { describe, expect, it } from "vitest";
import { parseEastWestSni } from "../proxy-config/east-west-sni.ts";
import { FILE_IDENTITY as IDENTITY, PROXY_PORTS, reviewsService } from "../testing/fixtures.ts";
import { type CompileInputRaw, type GatewayCompileInputRaw, compileGatewayConfig, compileProxyConfig } from "./index.ts";

const gatewayInput = (): GatewayCompileInputRaw => ({
  cluster: "west",
  gateway: { port: 15443, adminPort: 15444, zone: "w1" },
  catalog: {
    services: [
      reviewsService("west", [
        { address: "10.1.0.2", port: 15006, version: "v2", zone: "w1", cluster: "west", ready: true },
        { address: "10.1.0.1", port: 15006, version: "v1", zone: "w1", cluster: "west", ready: true },
        { address: "10.1.0.3", port: 15006, version: "v1", zone: "w2", cluster: "west", ready: false },
      ]),
      { name: "cache", namespace: "shop", cluster: "west", ports: [{ port: 6379, protocol: "TCP" }], endpoints: [{ address: "10.1.0.9", port: 6379, cluster: "west", ready: true }] },
      // Another cluster's entry in the same catalog is never routed by this gateway.
      { name: "ratings", namespace: "shop", cluster: "east", ports: [{ port: 8080, protocol: "HTTP" }], endpoints: [{ address: "10.0.0.5", port: 15006, cluster: "east", ready: true }] },
    ],
  },
});

describe("compileGatewayConfig", () => {
  it("routes every local service port, per version and for any version, to the inbound proxies", () => {
    const { config, diagnostics } = compileGatewayConfig(gatewayInput());
    const gateway = config.listeners.find((l) => l.kind === "gateway");
    expect(gateway).toMatchObject({ name: "gateway", address: "0.0.0.0", port: 15443 });
    expect(gateway?.kind === "gateway" && gateway.routes).toEqual([
      { sni: "9080.any.reviews.shop.weft.internal", backend: "reviews.shop:9080" },
      { sni: "9080.v1.reviews.shop.weft.internal", backend: "reviews.shop:9080/v1" },
      { sni: "9080.v2.reviews.shop.weft.internal", backend: "reviews.shop:9080/v2" },
    ]);
    const endpoints = (name: string) => config.backends.find((b) => b.name === name)?.endpoints.map((e) => `${e.address}:${e.port} ${e.health}`);
    expect(endpoints("reviews.shop:9080")).toEqual(["10.1.0.1:15006 healthy", "10.1.0.2:15006 healthy", "10.1.0.3:15006 unhealthy"]);
    expect(endpoints("reviews.shop:9080/v1")).toEqual(["10.1.0.1:15006 healthy", "10.1.0.3:15006 unhealthy"]);
    expect(endpoints("reviews.shop:9080/v2")).toEqual(["10.1.0.2:15006 healthy"]);
    // The gateway never terminates TLS: no identity, no mTLS on its backends, no HTTP routing.
    expect(config.identity).toBeUndefined();
    expect(config.backends.every((b) => !b.mtls && !b.tls)).toBe(true);
    expect(config.virtualHosts).toEqual([]);
    expect(config.node).toMatchObject({ service: "east-west-gateway", namespace: "weft-system", locality: { cluster: "west", zone: "w1" } });
    expect(diagnostics.map((d) => d.code)).toEqual(["unsupported_port"]);
  });

  it("routes a service port to each instance's own inbound proxy, whatever port its app listens on", () => {
    const input = gatewayInput();
    // Two instances on one machine: different inbound proxies, one service port (universal servicePort).
    input.catalog!.services = [
      {
        name: "catalog",
        namespace: "shop",
        cluster: "west",
        ports: [{ port: 8080, protocol: "HTTP" }],
        endpoints: [
          { address: "127.0.0.1", port: 20121, ports: { "8080": 20121 }, version: "v1", cluster: "west", ready: true },
          { address: "127.0.0.1", port: 20131, ports: { "8080": 20131 }, version: "v2", cluster: "west", ready: true },
        ],
      },
    ];
    const { config, diagnostics } = compileGatewayConfig(input);
    const gateway = config.listeners.find((l) => l.kind === "gateway");
    expect(gateway?.kind === "gateway" && gateway.routes.map((r) => r.sni)).toEqual(["8080.any.catalog.shop.weft.internal", "8080.v1.catalog.shop.weft.internal", "8080.v2.catalog.shop.weft.internal"]);
    expect(config.backends.find((b) => b.name === "catalog.shop:8080/v2")?.endpoints.map((e) => e.port)).toEqual([20131]);
    expect(config.backends.find((b) => b.name === "catalog.shop:8080")?.endpoints.map((e) => e.port)).toEqual([20121, 20131]);
    expect(diagnostics).toEqual([]);
  });

  it("is deterministic: input order does not change the config or its version", () => {
    const a = compileGatewayConfig(gatewayInput());
    const reversed = gatewayInput();
    reversed.catalog!.services = [...reversed.catalog!.services!].reverse().map((s) => ({ ...s, endpoints: [...(s.endpoints ?? [])].reverse() }));
    const b = compileGatewayConfig(reversed);
    expect(b.config).toEqual(a.config);
    expect(a.config.version).toMatch(/^g\d+-[0-9a-f]{16}$/);
  });

  it("encodes versions that are not DNS labels and leaves out ones too long to name", () => {
    const input = gatewayInput();
    input.catalog!.services = [
      {
        name: "api",
        namespace: "shop",
        cluster: "west",
        ports: [{ port: 80, protocol: "HTTP" }],
        endpoints: [
          { address: "10.1.0.1", port: 15006, version: "1.2.0", cluster: "west", ready: true },
          { address: "10.1.0.2", port: 15006, version: "V".repeat(60), cluster: "west", ready: true },
        ],
      },
    ];
    const { config, diagnostics } = compileGatewayConfig(input);
    const routes = config.listeners.flatMap((l) => (l.kind === "gateway" ? l.routes : []));
    expect(routes.map((r) => parseEastWestSni(r.sni)?.version ?? "(any)")).toEqual(["(any)", "1.2.0"]);
    expect(diagnostics.map((d) => d.code)).toEqual(["unnamed_east_west_target"]);
  });

  it("applies its own cluster's TrafficPolicy locality entry: a request that entered west follows west's failover order and west's distribution", () => {
    const policy = (name: string, targetRef: Record<string, unknown>, locality: Record<string, unknown>) =>
      ({
        createdAt: "2024-03-01T10:00:00Z",
        resource: { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name, namespace: "shop" }, spec: { targetRef, loadBalancer: { locality } } },
      }) as unknown as NonNullable<GatewayCompileInputRaw["resources"]>[number];
    const input = gatewayInput();
    input.resources = [
      policy("reviews", { name: "reviews" }, { failover: [{ from: "east", to: ["central", "west"] }, { from: "west", to: ["central", "east"] }] }),
      // More specific: v2's callers distribute instead (per zone of the calling cluster).
      policy("reviews-v2", { name: "reviews", version: "v2" }, { distribute: [{ from: "west/w1", to: { "west/w1": 80, "west/w2": 20 } }, { from: "east", to: { east: 100 } }] }),
    ];
    const { config } = compileGatewayConfig(input);
    const policyOf = (name: string) => config.backends.find((b) => b.name === name)?.policy;
    // west's entry, not east's (which names west itself, the gateway's own cluster).
    expect(policyOf("reviews.shop:9080")).toMatchObject({ localityFailover: true, localityOrder: ["central", "east"] });
    expect(policyOf("reviews.shop:9080/v1")?.localityOrder).toEqual(["central", "east"]);
    expect(policyOf("reviews.shop:9080/v2")?.localityOrder).toBeUndefined();
    // The gateway runs in zone w1: west/w1's weights apply.
    expect(policyOf("reviews.shop:9080/v2")?.localityDistribution).toEqual([
      { cluster: "west", zone: "w1", weight: 80 },
      { cluster: "west", zone: "w2", weight: 20 },
    ]);

    // A gateway of a cluster no entry names keeps the default order; so does one in another zone with only a zone entry.
    const east = compileGatewayConfig({ ...input, cluster: "east", catalog: { services: [reviewsService("east", [{ address: "10.0.0.1", port: 15006, version: "v2", zone: "e1", cluster: "east", ready: true }])] }, gateway: { port: 15443, adminPort: 15444, zone: "e1" } });
    expect(east.config.backends.find((b) => b.name === "reviews.shop:9080")?.policy.localityOrder).toEqual(["central", "west"]);
    expect(east.config.backends.find((b) => b.name === "reviews.shop:9080/v2")?.policy.localityDistribution).toEqual([{ cluster: "east", weight: 100 }]);
    const otherZone = compileGatewayConfig({ ...input, gateway: { port: 15443, adminPort: 15444, zone: "w2" } });
    expect(otherZone.config.backends.find((b) => b.name === "reviews.shop:9080/v2")?.policy.localityDistribution).toBeUndefined();

    // Without policies nothing changes from before: default order, and `enabled: false` turns the zone preference off.
    expect(compileGatewayConfig(gatewayInput()).config.backends.every((b) => b.policy.localityOrder === undefined && b.policy.localityFailover)).toBe(true);
    input.resources = [policy("reviews", { name: "reviews" }, { enabled: false })];
    expect(compileGatewayConfig(input).config.backends.find((b) => b.name === "reviews.shop:9080")?.policy.localityFailover).toBe(false);
  });

  it("refuses a malformed input with the path", () => {
    expect(() => compileGatewayConfig({ cluster: "", gateway: { port: 70000, adminPort: 1 } })).toThrow(/cluster|gateway\.port/);
  });
});

describe("callers of a service behind another cluster's gateway", () => {
  const callerInput = (identity: boolean): CompileInputRaw => ({
    catalog: {
      services: [
        reviewsService("east", [{ address: "10.0.0.1", port: 15006, version: "v1", cluster: "east", ready: true, serviceAccount: "reviews" }]),
        reviewsService("west", [
          { address: "203.0.113.7", port: 15443, version: "v2", cluster: "west", ready: true, weight: 3, viaGateway: true },
          { address: "203.0.113.7", port: 15443, cluster: "west", ready: true, viaGateway: true },
        ]),
      ],
    },
    workload: { name: "web-0", namespace: "shop", service: "web", cluster: "east", serviceAccount: "web" },
    options: { ...PROXY_PORTS, ...(identity ? { identity: IDENTITY } : {}) },
  });

  it("send the east-west server name of the port and version, with mTLS expecting the namespace", () => {
    const { config } = compileProxyConfig(callerInput(true));
    const reviews = config.backends.find((b) => b.name === "reviews.shop:9080");
    expect(reviews?.endpoints.map((e) => [e.address, e.port, e.sni ?? null, e.locality.cluster])).toEqual([
      ["10.0.0.1", 15006, null, "east"],
      ["203.0.113.7", 15443, "9080.any.reviews.shop.weft.internal", "west"],
      ["203.0.113.7", 15443, "9080.v2.reviews.shop.weft.internal", "west"],
    ]);
    // The far proxy's service account is not known here: any identity of the namespace.
    expect(reviews?.mtls?.expectedIdentities).toEqual(["spiffe://mesh.test/ns/shop/*"]);
  });

  it("leave gateway endpoints out, with a warning, when the proxy has no identity", () => {
    const { config, diagnostics } = compileProxyConfig(callerInput(false));
    expect(config.backends.find((b) => b.name === "reviews.shop:9080")?.endpoints.map((e) => e.address)).toEqual(["10.0.0.1"]);
    expect(diagnostics.map((d) => d.code)).toContain("gateway_needs_mtls");
  });
});
