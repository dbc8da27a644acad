import type { Resource } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import type { TrafficEdge } from "../topology/graph-model.ts";
import { nodeIdOf } from "../topology/graph-model.ts";
import { callerShares, MIN_REQUESTS_TO_FLAG, remoteByPolicy, serviceNodeOf, shareOfEdge } from "./locality-share.ts";

/** An edge counted over a 60 s cover (rate = requests / 60, as telemetry.edges computes it). */
const edge = (from: string, to: string, requests: number, versions: [string, string] = ["v1", "v1"]): TrafficEdge => {
  const [sc, sns, ss] = from.split("/") as [string, string, string];
  const [dc, dns, ds] = to.split("/") as [string, string, string];
  return {
    source: { cluster: sc, namespace: sns, service: ss, version: versions[0] },
    destination: { cluster: dc, namespace: dns, service: ds, version: versions[1] },
    requests,
    errors: 0,
    rate: requests / 60,
    errorPercent: 0,
    p50: 10,
    p99: 20,
  };
};
const inventory = { namespace: "shop", name: "inventory" };
const ready = (cluster: string, n: number, healthy = true) => Array.from({ length: n }, () => ({ cluster, healthy }));

describe("callerShares", () => {
  it("splits each caller's requests into its own cluster and the others, summed over versions, with rates over the cover", () => {
    const shares = callerShares(
      [
        edge("east/shop/catalog", "east/shop/inventory", 90, ["v1", "v1"]),
        edge("east/shop/catalog", "east/shop/inventory", 60, ["v2", "v1"]),
        edge("east/shop/catalog", "west/shop/inventory", 50),
        edge("west/shop/catalog", "west/shop/inventory", 120),
        // Other destinations, callers outside the mesh, an unknown serving cluster: not counted.
        edge("east/shop/catalog", "east/shop/reviews", 500),
        { ...edge("east/shop/x", "east/shop/inventory", 40), source: { cluster: "", namespace: "", service: "unknown", version: "" } },
        edge("east/shop/catalog", "unknown/shop/inventory", 7),
      ],
      inventory,
    );
    expect(shares.map((s) => [`${s.caller.cluster}/${s.caller.service}`, s.requests, s.localShare, s.remoteShare])).toEqual([
      ["east/catalog", 200, 0.75, 0.25],
      ["west/catalog", 120, 1, 0],
    ]);
    const east = shares[0]!;
    expect(east.rate).toBeCloseTo(200 / 60);
    expect(east.remoteRate).toBeCloseTo(50 / 60);
    expect(east.byCluster.map((c) => [c.cluster, c.requests, c.share, c.local])).toEqual([
      ["east", 150, 0.75, true],
      ["west", 50, 0.25, false],
    ]);
    // Without discovery nothing is flagged: whether local endpoints are ready is unknown.
    expect(east.readyLocalEndpoints).toBeNull();
    expect(east.goesRemote).toBe(false);
  });

  it.each([
    // [what, local requests, remote requests, ready local endpoints, flagged]
    ["the demo's bug: every call crosses while a local instance is ready", 0, 897, 1, true],
    ["at the threshold", 90, 10, 3, true],
    ["just under it", 91, 9, 3, false],
    ["no ready local endpoint: failing over is right", 0, 100, 0, false],
    ["all local", 100, 0, 2, false],
    ["too few requests to say", 0, MIN_REQUESTS_TO_FLAG - 1, 1, false],
  ])("flags local callers that go remote: %s", (_what, local, remote, readyLocal, flagged) => {
    const edges = [edge("east/shop/catalog", "east/shop/inventory", local), edge("east/shop/catalog", "west/shop/inventory", remote)].filter((e) => e.requests > 0);
    const endpoints = [...ready("east", readyLocal), ...ready("east", 2, false), ...ready("west", 2)];
    const [share] = callerShares(edges, inventory, { endpoints });
    expect(share?.readyLocalEndpoints).toBe(readyLocal);
    expect(share?.goesRemote).toBe(flagged);
    if (flagged) expect(share?.reason).toMatch(new RegExp(`^shop/catalog in east sent \\d+ % of its requests to other clusters \\(west\\) while east has ${readyLocal} ready endpoints? of shop/inventory$`));
    else expect(share?.reason).toBeNull();
  });

  it("does not flag remote traffic a TrafficPolicy distributes on purpose, and puts flagged callers first", () => {
    const edges = [edge("east/shop/catalog", "west/shop/inventory", 100), edge("west/shop/catalog", "east/shop/inventory", 30), edge("west/shop/catalog", "west/shop/inventory", 10)];
    const endpoints = [...ready("east", 1), ...ready("west", 1)];
    const policy = {
      apiVersion: "weft.io/v1alpha1",
      kind: "TrafficPolicy",
      metadata: { name: "inventory", namespace: "shop" },
      spec: { targetRef: { name: "inventory" }, loadBalancer: { locality: { distribute: [{ from: "east/z1", to: { "east/z1": 80, west: 20 } }, { from: "west", to: { west: 100 } }] } } },
    } as unknown as Resource;
    const intended = remoteByPolicy([policy, null], inventory);
    expect([...intended]).toEqual(["east"]);
    expect(remoteByPolicy([policy], { namespace: "shop", name: "reviews" }).size).toBe(0);
    const shares = callerShares(edges, inventory, { endpoints, remoteByPolicy: intended });
    expect(shares.map((s) => [s.caller.cluster, s.goesRemote, s.remoteByPolicy])).toEqual([
      ["west", true, false],
      ["east", false, true],
    ]);
    expect(shareOfEdge(shares, { cluster: "east", namespace: "shop", service: "catalog" })?.remoteShare).toBe(1);
    expect(shareOfEdge(shares, { cluster: "north", namespace: "shop", service: "catalog" })).toBeUndefined();
  });
});

describe("serviceNodeOf", () => {
  it("reads the caller and the destination back from the topology's node ids, split by version or not", () => {
    const end = { cluster: "east", namespace: "shop", service: "catalog", version: "v2" };
    expect(serviceNodeOf(nodeIdOf(end, false))).toEqual({ cluster: "east", namespace: "shop", service: "catalog" });
    expect(serviceNodeOf(nodeIdOf(end, true))).toEqual({ cluster: "east", namespace: "shop", service: "catalog" });
    expect(serviceNodeOf(nodeIdOf({ ...end, cluster: "", service: "unknown" }, false))).toBeNull();
  });
});
