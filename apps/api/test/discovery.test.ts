// discovery.endpoints: where a service runs, per cluster, as the agents reported it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";
import { discoverySnapshot } from "./agent-support.ts";

describe("discovery.endpoints", () => {
  let m: TestManager;
  let viewer: ApiClient;

  beforeAll(async () => {
    m = await startTestManager();
    const admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    await admin.users.create.mutate({ username: "vic", password: "viewer-password-1", role: "VIEWER" });
    viewer = (await sessionClient(m.url, "vic", "viewer-password-1")).client;
    const east = (await joinedAgent(admin, m.url, "east")).client;
    const west = (await joinedAgent(admin, m.url, "west")).client;
    await east.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "checkout", versions: ["v1", "v2"], zone: "a" }, { name: "cart", versions: ["v1"] }]));
    // West's checkout instance is not ready (failing its readiness check) and runs without a proxy.
    const westSnapshot = discoverySnapshot(1, [{ name: "checkout", versions: ["v1"] }]);
    await west.agent.resyncDiscovery.mutate({ ...westSnapshot, endpoints: westSnapshot.endpoints.map((e) => ({ ...e, ready: false, sidecar: false })) });
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("lists a service's endpoints in every cluster with their readiness, version, zone and whether a proxy fronts them, for a viewer", async () => {
    const found = await viewer.discovery.endpoints.query({ namespace: "shop", name: "checkout" });
    expect(found.clusters).toEqual(["east", "west"]);
    expect(found.endpoints.map(({ updatedAt: _u, ...e }) => e)).toEqual([
      { cluster: "east", address: "10.1.0.1", port: 8080, protocol: "HTTP", healthy: true, workload: "checkout-v1", version: "v1", zone: "a", sidecar: true },
      { cluster: "east", address: "10.1.0.2", port: 8080, protocol: "HTTP", healthy: true, workload: "checkout-v2", version: "v2", zone: "a", sidecar: true },
      { cluster: "west", address: "10.1.0.1", port: 8080, protocol: "HTTP", healthy: false, workload: "checkout-v1", version: "v1", zone: null, sidecar: false },
    ]);
    expect(found.endpoints[0]?.updatedAt).toBeInstanceOf(Date);
  });

  it("answers an unknown service with no clusters rather than an error", async () => {
    expect(await viewer.discovery.endpoints.query({ namespace: "shop", name: "nope" })).toEqual({ clusters: [], endpoints: [] });
  });
});
