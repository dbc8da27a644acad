import { describe, expect, it } from "vitest";
import { endpointsByCluster, type EndpointLike } from "./endpoint-health.ts";

const ep = (cluster: string, address: string, healthy: boolean): EndpointLike => ({ cluster, address, port: 8080, healthy, version: "v1", zone: null, workload: null });

describe("endpointsByCluster", () => {
  it.each([
    ["every endpoint ready", [ep("east", "a", true), ep("east", "b", true)], { ready: 2, total: 2, summary: "all ready", tone: "ok" }],
    ["some not ready", [ep("east", "a", true), ep("east", "b", false), ep("east", "c", true)], { ready: 2, total: 3, summary: "2 of 3 ready", tone: "warning" }],
    ["none ready", [ep("east", "a", false)], { ready: 0, total: 1, summary: "none ready", tone: "critical" }],
    ["reported without endpoints", [], { ready: 0, total: 0, summary: "no endpoints", tone: "critical" }],
  ])("%s", (_name, endpoints, expected) => {
    expect(endpointsByCluster(["east"], endpoints)).toEqual([{ cluster: "east", endpoints, ...expected }]);
  });

  it("lists clusters in name order and keeps each cluster's endpoints to itself", () => {
    const groups = endpointsByCluster(["west", "east"], [ep("west", "w", false), ep("east", "e", true)]);
    expect(groups.map((g) => [g.cluster, g.endpoints.map((e) => e.address), g.tone])).toEqual([
      ["east", ["e"], "ok"],
      ["west", ["w"], "critical"],
    ]);
  });
});
