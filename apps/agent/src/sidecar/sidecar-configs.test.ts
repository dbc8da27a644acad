import type { V1Pod } from "@kubernetes/client-node";
import type { ClusterConfig, Resource } from "@weft/mesh-model";
import { compileProxyConfig } from "@weft/mesh-model/compiler";
import { describe, expect, it } from "vitest";
import type { CatalogSnapshot } from "../discovery/catalog.schema.ts";
import { MemoryLogger } from "../logger.ts";
import { SidecarConfigs } from "./sidecar-configs.ts";
import { podReachableAdmin, sidecarCompileInput, sidecarPodOf } from "./sidecar-inputs.ts";

const pod = (namespace: string, name: string, service: string): V1Pod => ({
  metadata: { name, namespace, uid: `uid-${name}`, labels: { app: service, version: "v1" }, annotations: { "weft.io/injected": "true" } },
  spec: { serviceAccountName: service, containers: [{ name: "app", image: "app", ports: [{ containerPort: 9080, protocol: "TCP" }] }] },
  status: { phase: "Running", podIP: "10.0.0.1" },
});
const pods = [pod("shop", "reviews-1", "reviews"), pod("shop", "reviews-2", "reviews"), pod("billing", "ledger-1", "ledger")];
const snapshot = {
  services: [
    { namespace: "shop", name: "reviews", ports: [{ name: "http", port: 9080, protocol: "http" }] },
    { namespace: "billing", name: "ledger", ports: [{ name: "http", port: 9080, protocol: "http" }] },
  ],
  workloads: pods.map((p) => ({ namespace: p.metadata!.namespace!, name: p.metadata!.name!, serviceAccount: p.spec!.serviceAccountName!, version: "v1" })),
  endpoints: pods.map((p, i) => ({ namespace: p.metadata!.namespace!, service: p.metadata!.labels!.app!, address: `10.0.0.${i + 1}`, port: 9080, protocol: "http", ready: true, workload: p.metadata!.name!, version: "v1" })),
} as unknown as CatalogSnapshot;
const clusterConfig = (version: string, resources: Resource[] = []): ClusterConfig => ({
  cluster: "east",
  configVersion: version,
  catalogVersion: "1",
  mesh: { trustDomain: "mesh.test", mtlsMode: "PERMISSIVE" },
  trust: null,
  resources,
  catalog: [],
});
const policy = { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name: "reviews", namespace: "shop" }, spec: { targetRef: { name: "reviews" }, loadBalancer: { algorithm: "LEAST_REQUEST" } } } as unknown as Resource;

function sidecars() {
  const byKey = new Map(pods.map((p) => [`${p.metadata!.namespace}/${p.metadata!.name}`, p]));
  const configs = new SidecarConfigs({ cluster: "east", logger: new MemoryLogger(), pod: (namespace, name) => byKey.get(`${namespace}/${name}`), pods: () => pods });
  configs.setCatalog(snapshot);
  return configs;
}
const versionOf = (result: ReturnType<SidecarConfigs["configFor"]>) => (result?.ok ? result.version : `not compiled: ${result?.ok === false ? result.reason : "unknown pod"}`);

describe("SidecarConfigs compiles with one MeshCompiler per cluster config and catalog", () => {
  it("two pods of one service and version share one outbound part; each gets the config compileProxyConfig gives it", async () => {
    const configs = sidecars();
    const config = clusterConfig("1");
    await configs.setClusterConfig(config);
    const [a, b] = [configs.configFor("shop", "reviews-1", { svid: undefined }), configs.configFor("shop", "reviews-2", { svid: undefined })];
    expect(configs.counters).toMatchObject({ compiles: 2, outboundParts: 1 });
    for (const [name, result] of [["reviews-1", a], ["reviews-2", b]] as const) {
      const alone = compileProxyConfig(sidecarCompileInput({ pod: sidecarPodOf(pods.find((p) => p.metadata!.name === name)!), snapshot, cluster: "east", config, podOf: () => pods[0], svid: undefined }));
      expect(versionOf(result)).toBe(podReachableAdmin(alone.config).version);
    }
    expect(versionOf(a)).toMatch(/-pod$/);
    // Another namespace sits elsewhere: its own outbound part.
    configs.configFor("billing", "ledger-1", { svid: undefined });
    expect(configs.counters).toMatchObject({ compiles: 3, outboundParts: 2 });
    // Asking again with nothing changed compiles nothing.
    expect(versionOf(configs.configFor("shop", "reviews-1", { svid: undefined }))).toBe(versionOf(a));
    expect(configs.counters).toMatchObject({ compiles: 3, outboundParts: 2 });
  });

  it("a new cluster config is compiled against afresh", async () => {
    const configs = sidecars();
    await configs.setClusterConfig(clusterConfig("1"));
    const before = versionOf(configs.configFor("shop", "reviews-1", { svid: undefined }));
    const parts = configs.counters.outboundParts;
    await configs.setClusterConfig(clusterConfig("2", [policy]));
    const after = versionOf(configs.configFor("shop", "reviews-1", { svid: undefined }));
    configs.configFor("shop", "reviews-2", { svid: undefined });
    expect(after).not.toBe(before);
    expect(configs.counters.outboundParts).toBe(parts + 1);
  });
});
