// The demo's own config, compiled as the agents compile it: both clusters'
// universal files through discovery's catalog mapping, the manager's
// federated catalog and the real compiler. A warning here is a warning on the
// dashboard's Clusters page of every fresh `npm start` (issue 12: eight true
// unreachable_endpoint findings, because the clusters' instances listened on
// different ports that were also their service ports).
import { compileInputs } from "@weft/agent/compile-inputs";
import { gatewayCompileInput, gatewayPolicyEntries, reportedGateway } from "@weft/agent/gateway-inputs";
import { parseUniversalFile } from "@weft/agent/universal";
import { universalToCatalog } from "@weft/agent/universal-catalog";
import { ClusterConfigs, isExported, meshMultiCluster, ResourceSchema, type ClusterCatalogInput } from "@weft/mesh-model";
import { compileGatewayConfig, compileProxyConfig, type CompileDiagnostic } from "@weft/mesh-model/compiler";
import { describe, expect, it } from "vitest";
import { demoExports, demoMesh } from "./demo-mesh.ts";
import { DEMO_SERVICE_PORT, demoTopology, universalFile } from "./demo-topology.ts";

const TRUST_DOMAIN = "demo.test";
const clusters = demoTopology(20_000, 10);
const files = new Map(clusters.map((c) => [c.name, parseUniversalFile(`${c.name}/universal.yaml`, universalFile(c))]));

/** What the manager stores of each cluster's discovery reports (distribution.repository's `catalog`). */
const catalogs: ClusterCatalogInput[] = clusters.map((c) => {
  const file = files.get(c.name)!;
  const snapshot = universalToCatalog(file);
  const accounts = new Map(snapshot.workloads.map((w) => [w.name, w.serviceAccount]));
  return {
    name: c.name,
    region: null,
    gateway: reportedGateway(file),
    services: snapshot.services.map((s) => ({
      namespace: s.namespace,
      name: s.name,
      ports: s.ports,
      endpoints: snapshot.endpoints
        .filter((e) => e.namespace === s.namespace && e.service === s.name)
        .map((e) => ({ version: e.version ?? null, zone: e.zone ?? null, healthy: e.ready, sidecar: e.sidecar ?? true, serviceAccount: (e.workload && accounts.get(e.workload)) ?? null })),
    })),
  };
});

const configs = new ClusterConfigs({
  mesh: { trustDomain: TRUST_DOMAIN, mtlsMode: "STRICT" },
  trust: { bundleVersion: "1", rootsPem: [], issuingRootFingerprint: "0".repeat(64), revokedFingerprints: [] },
  configVersion: 1n,
  catalogVersion: 1n,
  // The Mesh as the demo leaves it once discovery has seen its services (exportDemoServices).
  resources: [ResourceSchema.parse(demoMesh(TRUST_DOMAIN, demoExports(clusters)))],
  clusters: catalogs,
});
// Every proxy has its SVID on disk (the steady state): remote endpoints are only candidates with mTLS.
const identityFiles = () => ({ certChainPath: "/svid/cert.pem", keyPath: "/svid/key.pem", bundlePath: "/svid/bundle.pem", fileCheckIntervalMs: 1000 });

const compiled = clusters.map((c) => {
  const file = files.get(c.name)!;
  const config = configs.forCluster(c.name);
  const proxies = [...compileInputs(file, c.name, config, identityFiles)].map(([id, input]) => ({ id, result: compileProxyConfig(input) }));
  const exported = (namespace: string, name: string) => isExported(meshMultiCluster(config.resources), namespace, name);
  const gateway = compileGatewayConfig(gatewayCompileInput(file, c.name, exported, gatewayPolicyEntries(config))!);
  return { cluster: c.name, proxies: [...proxies, { id: "east-west-gateway", result: gateway }] };
});

const findings = (severity: (d: CompileDiagnostic) => boolean) =>
  compiled.flatMap((c) => c.proxies.flatMap((p) => p.result.diagnostics.filter(severity).map((d) => `${c.cluster} ${p.id}: ${d.severity} ${d.code}: ${d.message}`)));

describe("the demo's compiled config", () => {
  it("exports the services that run behind proxies everywhere, not inventory (no proxy: no gateway could reach it)", () => {
    expect(demoExports(clusters)).toEqual(["catalog", "frontend", "loadgen", "reviews"]);
  });

  it("has no warning or error: the dashboard shows no finding on a fresh start", () => {
    // Every proxied instance and each cluster's gateway.
    expect(compiled.flatMap((c) => c.proxies)).toHaveLength(clusters.flatMap((c) => c.instances.filter((i) => i.proxy)).length + clusters.length);
    expect(findings((d) => d.severity !== "info")).toEqual([]);
  });

  it("reaches the other cluster's instances on the shared service port, and its own at their inbound proxies", () => {
    const frontend = compiled.find((c) => c.cluster === "east")!.proxies.find((p) => p.id === "shop/frontend-1")!.result.config;
    const endpoints = (name: string) => frontend.backends.find((b) => b.name === name)?.endpoints.map((e) => `${e.locality.cluster} ${e.address}:${e.port} ${e.sni ?? "-"}`);
    const east = clusters.find((c) => c.name === "east")!;
    const west = clusters.find((c) => c.name === "west")!;
    const inbound = (name: string) => east.instances.find((i) => i.name === name)!.proxy!.inboundPort;
    expect(endpoints(`catalog.shop:${DEMO_SERVICE_PORT}`)).toEqual([
      `east 127.0.0.1:${inbound("catalog-v1")} -`,
      `east 127.0.0.1:${inbound("catalog-v2")} -`,
      `west 127.0.0.1:${west.gateway.port} ${DEMO_SERVICE_PORT}.v1.catalog.shop.weft.internal`,
    ]);
    // reviews runs only in west: east reaches it through west's gateway, which routes the same service port.
    expect(endpoints(`reviews.shop:${DEMO_SERVICE_PORT}`)).toEqual([`west 127.0.0.1:${west.gateway.port} ${DEMO_SERVICE_PORT}.v1.reviews.shop.weft.internal`]);
    const westGateway = compiled.find((c) => c.cluster === "west")!.proxies.find((p) => p.id === "east-west-gateway")!.result.config;
    const routes = westGateway.listeners.flatMap((l) => (l.kind === "gateway" ? l.routes.map((r) => r.sni) : []));
    expect(routes).toContain(`${DEMO_SERVICE_PORT}.v1.reviews.shop.weft.internal`);
    const reviews = west.instances.find((i) => i.name === "reviews-1")!;
    expect(westGateway.backends.find((b) => b.name === `reviews.shop:${DEMO_SERVICE_PORT}/v1`)?.endpoints.map((e) => e.port)).toEqual([reviews.proxy!.inboundPort]);
  });
});
