// The topology's export marks (issue 12): telemetry.edges tells, per discovered
// service, whether other clusters may reach it and which of them called it.
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";
import { discoverySnapshot } from "./agent-support.ts";

const MINUTE = 60_000;

describe("telemetry.edges: export status of the topology's services", () => {
  let m: TestManager;
  let admin: ApiClient;
  let viewer: ApiClient;
  let east: ApiClient;
  const minute = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE;
  const window = { from: new Date(minute), to: new Date(minute + MINUTE) };

  const edge = (from: string, to: { cluster: string; service: string }, requests: number, errors: number) => {
    const sketch = new LatencySketch();
    for (let i = 0; i < requests; i++) sketch.add(5);
    return {
      minute,
      source: { cluster: from, namespace: "shop", service: "frontend", version: "v1" },
      destination: { cluster: to.cluster, namespace: "shop", service: to.service, version: "" },
      codeClass: errors ? ("5xx" as const) : ("2xx" as const),
      requests,
      errors,
      latency: sketch.toJSON(),
    };
  };

  const applyMesh = async (exportYaml: string) => {
    const { trustDomain } = await admin.mesh.status.query();
    await admin.resources.applyDocuments.mutate({ text: `apiVersion: weft.io/v1alpha1\nkind: Mesh\nmetadata: { name: default }\nspec:\n  trustDomain: ${trustDomain}\n  multicluster:\n    export:\n${exportYaml}` });
  };

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    await admin.users.create.mutate({ username: "vic", password: "viewer-password-1", role: "VIEWER" });
    viewer = (await sessionClient(m.url, "vic", "viewer-password-1")).client;
    east = (await joinedAgent(admin, m.url, "east")).client;
    const west = (await joinedAgent(admin, m.url, "west")).client;
    await east.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "frontend", versions: ["v1"] }, { name: "catalog", versions: ["v1"] }]));
    await west.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "catalog", versions: ["v1"] }, { name: "reviews", versions: ["v1"] }]));
    // east's frontend calls catalog locally and in west, and reviews (west only); unexported calls name no cluster.
    await east.agent.reportTelemetry.mutate({
      edges: [edge("east", { cluster: "east", service: "catalog" }, 30, 0), edge("east", { cluster: "west", service: "catalog" }, 10, 0), edge("east", { cluster: "unknown", service: "reviews" }, 20, 20)],
    });
  });
  afterAll(async () => {
    await m?.stop();
  });

  const marks = async (client: ApiClient, filter: { cluster?: string } = {}) =>
    Object.fromEntries((await client.telemetry.edges.query({ ...window, ...filter })).exports.map((x) => [`${x.cluster}/${x.service}`, { exported: x.exported, mode: x.mode, to: x.to, calledFrom: x.calledFrom }]));

  it("without a Mesh export setting every service is exported to every other cluster (mode All, the default)", async () => {
    expect(await marks(viewer)).toEqual({
      "east/catalog": { exported: true, mode: "All", to: ["west"], calledFrom: [] },
      "east/frontend": { exported: true, mode: "All", to: ["west"], calledFrom: [] },
      "west/catalog": { exported: true, mode: "All", to: ["east"], calledFrom: ["east"] },
      "west/reviews": { exported: true, mode: "All", to: ["east"], calledFrom: ["east"] },
    });
  });

  it("with mode Selected only the listed services are exported; an unexported service other clusters call names its callers", async () => {
    await applyMesh("      mode: Selected\n      services:\n        - { namespace: shop, name: catalog }\n");
    expect(await marks(viewer)).toEqual({
      "east/catalog": { exported: true, mode: "Selected", to: ["west"], calledFrom: [] },
      "east/frontend": { exported: false, mode: "Selected", to: [], calledFrom: [] },
      "west/catalog": { exported: true, mode: "Selected", to: ["east"], calledFrom: ["east"] },
      "west/reviews": { exported: false, mode: "Selected", to: [], calledFrom: ["east"] },
    });
    // The cluster filter keeps the marks of that cluster's services only.
    expect(Object.keys(await marks(viewer, { cluster: "west" }))).toEqual(["west/catalog", "west/reviews"]);
    // Exporting the namespace exports reviews too.
    await applyMesh("      mode: Selected\n      services:\n        - { namespace: shop }\n");
    expect((await marks(viewer))["west/reviews"]).toEqual({ exported: true, mode: "Selected", to: ["east"], calledFrom: ["east"] });
  });
});
