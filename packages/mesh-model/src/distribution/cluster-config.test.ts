import { describe, expect, it } from "vitest";
import { make } from "../testing/fixtures.ts";
import { refOf, resourceKey } from "../resource/resource.schema.ts";
import { buildClusterConfig, ClusterConfigs, type ClusterCatalogInput, type ClusterConfigInput } from "./cluster-config.ts";

const east: ClusterCatalogInput = {
  name: "east",
  region: "eu-1",
  gateway: { address: "east-gw.example", port: 15443 },
  services: [
    {
      namespace: "shop",
      name: "checkout",
      ports: [{ port: 8080, name: "http", protocol: "http" }],
      endpoints: [
        { version: "v1", zone: "a", healthy: true, serviceAccount: "checkout" },
        { version: "v1", zone: "a", healthy: false, serviceAccount: "checkout" },
        { version: "v1", zone: "a", healthy: true, sidecar: false, serviceAccount: "legacy" },
        { version: "v2", zone: "b", healthy: true },
      ],
    },
    { namespace: "shop", name: "cart", ports: [{ port: 8080 }], endpoints: [{ version: null, zone: null, healthy: true }] },
  ],
};
const west: ClusterCatalogInput = {
  name: "west",
  region: null,
  gateway: null,
  services: [
    { namespace: "shop", name: "checkout", ports: [{ port: 9090, name: "grpc", protocol: "grpc" }, { port: 8080 }], endpoints: [{ version: "v1", zone: "c", healthy: true }] },
    { namespace: "payments", name: "ledger", ports: [], endpoints: [] },
  ],
};
const central: ClusterCatalogInput = { name: "central", region: null, gateway: { address: "10.9.0.1", port: 15443 }, services: [] };

function input(overrides: Partial<ClusterConfigInput> = {}): ClusterConfigInput {
  return {
    cluster: "central",
    mesh: { trustDomain: "weft.local", mtlsMode: "STRICT" },
    trust: null,
    configVersion: 7n,
    catalogVersion: 3n,
    resources: [],
    clusters: [west, central, east],
    ...overrides,
  };
}

describe("buildClusterConfig", () => {
  it.each([
    ["central", ["payments/ledger", "shop/cart", "shop/checkout"]],
    ["east", ["payments/ledger", "shop/checkout"]],
    ["west", ["shop/cart", "shop/checkout"]],
  ])("gives %s the services of the other clusters only", (cluster, services) => {
    const config = buildClusterConfig(input({ cluster }));
    expect(config.cluster).toBe(cluster);
    expect(config.catalog.map((s) => `${s.namespace}/${s.name}`)).toEqual(services);
    expect(config.catalog.flatMap((s) => s.clusters.map((c) => c.cluster))).not.toContain(cluster);
  });

  it("merges one service over clusters: ports, versions, zones, health, whether a proxy fronts them, identities and gateways", () => {
    const checkout = buildClusterConfig(input()).catalog.find((s) => s.name === "checkout");
    expect(checkout).toEqual({
      namespace: "shop",
      name: "checkout",
      ports: [{ port: 8080, name: "http", protocol: "http" }, { port: 9090, name: "grpc", protocol: "grpc" }],
      clusters: [
        {
          cluster: "east",
          region: "eu-1",
          gateway: { address: "east-gw.example", port: 15443 },
          versions: ["v1", "v2"],
          endpoints: [
            // Endpoints without a proxy are a group of their own: other clusters cannot reach them through the gateway.
            { version: "v1", zone: "a", healthy: 1, total: 1, sidecar: false, serviceAccounts: ["legacy"] },
            { version: "v1", zone: "a", healthy: 1, total: 2, sidecar: true, serviceAccounts: ["checkout"] },
            { version: "v2", zone: "b", healthy: 1, total: 1, sidecar: true, serviceAccounts: [] },
          ],
        },
        { cluster: "west", region: null, gateway: null, versions: ["v1"], endpoints: [{ version: "v1", zone: "c", healthy: 1, total: 1, sidecar: true, serviceAccounts: [] }] },
      ],
    });
  });

  it("withholds the endpoints of services the Mesh does not export, and says so", () => {
    const mesh = make("Mesh", "default", { trustDomain: "weft.local", multicluster: { export: { mode: "Selected", services: [{ namespace: "shop", name: "cart" }] } } });
    const config = buildClusterConfig(input({ cluster: "west", resources: [mesh] }));
    const cart = config.catalog.find((s) => s.name === "cart");
    const checkout = config.catalog.find((s) => s.name === "checkout");
    expect(cart?.clusters.map((c) => [c.cluster, c.exported ?? true, c.endpoints.length])).toEqual([["east", true, 1]]);
    expect(checkout?.clusters.map((c) => [c.cluster, c.exported ?? true, c.endpoints.length])).toEqual([["east", false, 0]]);
  });

  it("carries every live resource, sorted, and the versions as decimal strings", () => {
    const route = make("HTTPRoute", "checkout", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "checkout" }] }] });
    const policy = make("TrafficPolicy", "cart", { targetRef: { name: "cart" } });
    const config = buildClusterConfig(input({ resources: [route, policy], configVersion: 12345678901234567890n }));
    expect(config.resources.map((r) => r.kind)).toEqual(["HTTPRoute", "TrafficPolicy"]);
    expect(config.configVersion).toBe("12345678901234567890");
    expect(config.catalogVersion).toBe("3");
    expect(config.mesh).toEqual({ trustDomain: "weft.local", mtlsMode: "STRICT" });
  });

  it("carries each resource's creation time, so agents order HTTPRoute ties as the manager does", () => {
    const older = make("HTTPRoute", "a-route", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "checkout" }] }] });
    const newer = make("HTTPRoute", "b-route", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "checkout" }] }] });
    const createdAt = new Map([
      [resourceKey(refOf(older)), new Date("2026-01-01T00:00:00Z")],
      [resourceKey(refOf(newer)), new Date("2026-02-01T00:00:00Z")],
    ]);
    const config = buildClusterConfig(input({ resources: [newer, older], createdAt }));
    expect(config.resourceCreatedAt).toEqual({ [resourceKey(refOf(older))]: "2026-01-01T00:00:00.000Z", [resourceKey(refOf(newer))]: "2026-02-01T00:00:00.000Z" });
    expect(buildClusterConfig(input({ resources: [older] })).resourceCreatedAt).toBeUndefined();
  });

  it("sends each resource's revision id in the order of the resources, only when every resource has one", () => {
    const older = make("HTTPRoute", "a-route", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "checkout" }] }] });
    const newer = make("HTTPRoute", "b-route", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "checkout" }] }] });
    const revisions = new Map([
      [resourceKey(refOf(newer)), "n.3"],
      [resourceKey(refOf(older)), "o.1"],
    ]);
    const config = buildClusterConfig(input({ resources: [newer, older], revisions }));
    expect(config.resources.map((r) => r.metadata.name)).toEqual(["a-route", "b-route"]);
    expect(config.resourceRevisions).toEqual(["o.1", "n.3"]);
    expect(buildClusterConfig(input({ resources: [newer, older], revisions: new Map([[resourceKey(refOf(newer)), "n.3"]]) })).resourceRevisions).toBeUndefined();
    expect(buildClusterConfig(input({ resources: [older] })).resourceRevisions).toBeUndefined();
  });

  it("is deterministic whatever the order of its inputs", () => {
    const a = buildClusterConfig(input({ clusters: [east, west, central] }));
    const b = buildClusterConfig(input({ clusters: [central, west, east] }));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe("ClusterConfigs", () => {
  const resources = [make("TrafficPolicy", "cart", { targetRef: { name: "cart" } }), make("Mesh", "default", { trustDomain: "weft.local", multicluster: { export: { mode: "Selected", services: [{ namespace: "shop", name: "cart" }] } } })];

  it("gives each cluster what buildClusterConfig gives it, in any order of asking", () => {
    const all = new ClusterConfigs(input({ resources }));
    for (const cluster of ["east", "central", "west", "east", "central"])
      expect(JSON.stringify(all.forCluster(cluster))).toBe(JSON.stringify(buildClusterConfig(input({ cluster, resources }))));
  });

  it("builds what clusters get alike once and shares it between their configs", () => {
    const all = new ClusterConfigs(input({ resources }));
    const [central, west, east] = ["central", "west", "east"].map((c) => all.forCluster(c));
    expect(west!.resources).toBe(central!.resources);
    // shop/cart runs only in east: central and west see the same entry; shop/checkout runs in east and west.
    const entry = (config: typeof central, name: string) => config!.catalog.find((s) => s.name === name);
    expect(entry(west, "cart")).toBe(entry(central, "cart"));
    expect(entry(west, "checkout")).not.toBe(entry(central, "checkout"));
    expect(entry(east, "checkout")!.clusters.map((c) => c.cluster)).toEqual(["west"]);
  });

  it("takes over the last state's catalog part when the catalog and the multi-cluster settings are as they were", () => {
    const clusters = [east, west, central];
    const before = new ClusterConfigs(input({ resources, clusters }));
    const [westBefore, eastBefore] = [before.forCluster("west"), before.forCluster("east")];
    const entry = (config: ReturnType<ClusterConfigs["forCluster"]>, name: string) => config.catalog.find((s) => s.name === name);
    // A resource write: the same catalog object, the same Mesh.
    const written = [...resources, make("TrafficPolicy", "other", { targetRef: { name: "checkout" } })];
    const after = new ClusterConfigs(input({ resources: written, clusters, configVersion: 8n }), before);
    for (const cluster of ["west", "east", "central"]) expect(JSON.stringify(after.forCluster(cluster))).toBe(JSON.stringify(buildClusterConfig(input({ cluster, resources: written, clusters, configVersion: 8n }))));
    expect(entry(after.forCluster("west"), "cart")).toBe(entry(westBefore, "cart"));
    expect(entry(after.forCluster("east"), "checkout")).toBe(entry(eastBefore, "checkout"));
    // The export settings changed: built again (cart is no longer exported).
    const unexported = [resources[0]!, make("Mesh", "default", { trustDomain: "weft.local", multicluster: { export: { mode: "Selected", services: [] } } })];
    const changed = new ClusterConfigs(input({ resources: unexported, clusters }), after);
    expect(entry(changed.forCluster("west"), "cart")).not.toBe(entry(westBefore, "cart"));
    expect(JSON.stringify(changed.forCluster("west"))).toBe(JSON.stringify(buildClusterConfig(input({ cluster: "west", resources: unexported, clusters }))));
    // Another catalog object (a new catalog version): built again.
    const moved = new ClusterConfigs(input({ resources, clusters: [...clusters] }), before);
    expect(entry(moved.forCluster("west"), "cart")).not.toBe(entry(westBefore, "cart"));
    expect(JSON.stringify(moved.forCluster("west"))).toBe(JSON.stringify(westBefore));
  });
});
