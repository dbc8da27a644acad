import type { ClusterConfig } from "@weft/mesh-model";
import { compileGatewayConfig, compileProxyConfig } from "@weft/mesh-model/compiler";
import { describe, expect, it } from "vitest";
import { compileInputs, remoteCatalog } from "../mesh-config/compile-inputs.ts";
import { UniversalFileSchema } from "../universal/universal-file.schema.ts";
import { gatewayCompileInput, gatewayPolicyEntries, reportedGateway } from "./gateway-inputs.ts";

const file = UniversalFileSchema.parse({
  gateway: { address: "127.0.0.1", port: 16443, adminPort: 16444 },
  services: [
    {
      name: "reviews",
      namespace: "shop",
      instances: [
        { address: "127.0.0.1", port: 9081, version: "v1", proxy: { inboundPort: 16001, outboundPort: 16002, adminPort: 16003 } },
        { address: "127.0.0.1", port: 9082, version: "v2", proxy: { inboundPort: 16011, outboundPort: 16012, adminPort: 16013 } },
        // No proxy: nothing could terminate the callers' mTLS, so the gateway never routes to it.
        { address: "10.9.9.9", port: 9080, version: "v3" },
      ],
    },
  ],
});

describe("the east-west gateway of a universal file", () => {
  it("is reported to the manager at its public address", () => {
    expect(reportedGateway(file)).toEqual({ address: "127.0.0.1", port: 16443 });
    expect(reportedGateway(UniversalFileSchema.parse({ services: [] }))).toBeNull();
  });

  it("routes each version to the inbound proxies of its instances only", () => {
    const input = gatewayCompileInput(file, "west");
    const { config } = compileGatewayConfig(input!);
    const routes = config.listeners.flatMap((l) => (l.kind === "gateway" ? l.routes : []));
    const targets = (sni: string) => config.backends.find((b) => b.name === routes.find((r) => r.sni === sni)?.backend)?.endpoints.map((e) => e.port);
    expect(routes.map((r) => r.sni)).toEqual([
      "9081.any.reviews.shop.weft.internal",
      "9081.v1.reviews.shop.weft.internal",
      "9081.v2.reviews.shop.weft.internal",
      "9082.any.reviews.shop.weft.internal",
      "9082.v1.reviews.shop.weft.internal",
      "9082.v2.reviews.shop.weft.internal",
    ]);
    expect(targets("9081.v1.reviews.shop.weft.internal")).toEqual([16001]);
    expect(targets("9082.v2.reviews.shop.weft.internal")).toEqual([16011]);
    expect(targets("9081.any.reviews.shop.weft.internal")).toEqual([16001, 16011]);
    expect(config.listeners.find((l) => l.kind === "gateway")).toMatchObject({ address: "0.0.0.0", port: 16443 });
    expect(gatewayCompileInput(UniversalFileSchema.parse({ services: [] }), "west")).toBeUndefined();
  });

  it("routes a shared servicePort to every instance's inbound proxy, each forwarding to its app's own port", () => {
    const shared = UniversalFileSchema.parse({
      ...file,
      services: [{ ...file.services[0], instances: file.services[0]!.instances.map((i) => ({ ...i, servicePort: 9080 })) }],
    });
    const { config, diagnostics } = compileGatewayConfig(gatewayCompileInput(shared, "west")!);
    const routes = config.listeners.flatMap((l) => (l.kind === "gateway" ? l.routes : []));
    expect(routes.map((r) => r.sni)).toEqual(["9080.any.reviews.shop.weft.internal", "9080.v1.reviews.shop.weft.internal", "9080.v2.reviews.shop.weft.internal"]);
    expect(config.backends.find((b) => b.name === "reviews.shop:9080")?.endpoints.map((e) => e.port)).toEqual([16001, 16011]);
    expect(diagnostics.filter((d) => d.severity !== "info")).toEqual([]);
    // The instances' proxies: the service port for policies, the app's port to forward to.
    const proxy = compileProxyConfig(compileInputs(shared, "west", undefined).get("shop/reviews-1")!).config;
    expect(proxy.listeners.find((l) => l.kind === "inbound")).toMatchObject({ port: 16011, app: { port: 9082 } });
  });

  it("routes no service the mesh does not export (a caller naming one is refused at the gateway)", () => {
    expect(compileGatewayConfig(gatewayCompileInput(file, "west", (_ns, name) => name !== "reviews")!).config.listeners.flatMap((l) => (l.kind === "gateway" ? l.routes : []))).toEqual([]);
  });

  it("applies the manager's TrafficPolicy locality entry for its own cluster, and reads no other kind", () => {
    const config: ClusterConfig = {
      cluster: "west",
      configVersion: "7",
      catalogVersion: "3",
      mesh: { trustDomain: "weft.local", mtlsMode: "PERMISSIVE" },
      trust: null,
      resources: [
        { apiVersion: "weft.io/v1alpha1", kind: "HTTPRoute", metadata: { name: "reviews", namespace: "shop" }, spec: { parentRefs: [{ name: "reviews" }], rules: [{ backendRefs: [{ name: "reviews" }] }] } },
        { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name: "reviews", namespace: "shop" }, spec: { targetRef: { name: "reviews" }, loadBalancer: { locality: { failover: [{ from: "west", to: ["central", "east"] }] } } } },
      ] as ClusterConfig["resources"],
      resourceCreatedAt: { "TrafficPolicy/shop/reviews": "2024-03-01T10:00:00.000Z" },
      catalog: [],
    };
    const entries = gatewayPolicyEntries(config);
    expect(entries.map((e) => e.resource.kind)).toEqual(["TrafficPolicy"]);
    const { config: compiled } = compileGatewayConfig(gatewayCompileInput(file, "west", () => true, entries)!);
    expect(compiled.backends.map((b) => b.policy.localityOrder)).toEqual(compiled.backends.map(() => ["central", "east"]));
    expect(gatewayPolicyEntries(undefined)).toEqual([]);
  });

  it("refuses a gateway port that an instance proxy also uses", () => {
    const clash = UniversalFileSchema.safeParse({
      gateway: { address: "127.0.0.1", port: 16001, adminPort: 16444 },
      services: [{ name: "a", instances: [{ address: "127.0.0.1", port: 1, proxy: { inboundPort: 16001, outboundPort: 16002, adminPort: 16003 } }] }],
    });
    expect(clash.success).toBe(false);
    expect(clash.error?.issues.map((i) => i.path.join("."))).toEqual(["services.0.instances.0.proxy.inboundPort"]);
  });
});

describe("services of other clusters", () => {
  const config: ClusterConfig = {
    cluster: "east",
    configVersion: "1",
    catalogVersion: "1",
    mesh: { trustDomain: "mesh.test", mtlsMode: "STRICT" },
    trust: null,
    resources: [],
    catalog: [
      {
        namespace: "shop",
        name: "ratings",
        ports: [{ port: 9090, protocol: "http" }],
        clusters: [
          { cluster: "west", region: null, gateway: { address: "127.0.0.1", port: 16443 }, versions: ["v1"], endpoints: [{ version: "v1", zone: null, healthy: 2, total: 2 }] },
          { cluster: "south", region: null, gateway: null, versions: ["v1"], endpoints: [{ version: "v1", zone: null, healthy: 1, total: 1 }] },
        ],
      },
    ],
  };

  it("are endpoints at the remote gateway, marked so the compiler names them", () => {
    expect(remoteCatalog(config).map((s) => [s.cluster, s.endpoints?.map((e) => [e.address, e.port, e.weight, e.viaGateway])])).toEqual([
      ["west", [["127.0.0.1", 16443, 2, true]]],
      ["south", []],
    ]);
  });

  it("compile to mTLS with the east-west server name once the proxy has an identity", () => {
    const local = UniversalFileSchema.parse({ services: [{ name: "web", namespace: "shop", instances: [{ address: "127.0.0.1", port: 8080, proxy: { inboundPort: 15001, outboundPort: 15002, adminPort: 15003 } }] }] });
    const files = { certChainPath: "/s/cert.pem", keyPath: "/s/key.pem", bundlePath: "/s/bundle.pem", fileCheckIntervalMs: 1000 };
    const input = compileInputs(local, "east", { ...config, trust: { bundleVersion: "1", rootsPem: [], issuingRootFingerprint: "0".repeat(64), revokedFingerprints: [] } }, () => files).get("shop/web-0")!;
    const ratings = compileProxyConfig(input).config.backends.find((b) => b.name === "ratings.shop:9090");
    expect(ratings?.endpoints).toMatchObject([{ address: "127.0.0.1", port: 16443, sni: "9090.v1.ratings.shop.weft.internal" }]);
    expect(ratings?.mtls).toEqual({ expectedIdentities: ["spiffe://mesh.test/ns/shop/*"] });
  });

  it("answer 503 with a diagnostic when the other cluster does not export the service", () => {
    const local = UniversalFileSchema.parse({ services: [{ name: "web", namespace: "shop", instances: [{ address: "127.0.0.1", port: 8080, proxy: { inboundPort: 15001, outboundPort: 15002, adminPort: 15003 } }] }] });
    const unexported: ClusterConfig = { ...config, catalog: config.catalog.map((s) => ({ ...s, clusters: s.clusters.map((c) => ({ ...c, versions: [], endpoints: [], exported: false })) })) };
    const result = compileProxyConfig(compileInputs(local, "east", unexported).get("shop/web-0")!);
    expect(result.config.backends.find((b) => b.name === "ratings.shop:9090")?.endpoints).toEqual([]);
    expect(result.diagnostics).toContainEqual(expect.objectContaining({ code: "not_exported", message: expect.stringContaining("shop/ratings runs in cluster south, west, which does not export it") }));
  });
});
