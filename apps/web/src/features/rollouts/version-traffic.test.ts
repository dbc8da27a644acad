import { describe, expect, it } from "vitest";
import { clustersOf, guessVersions, stableBaseline, UNLABELLED, versionRows, versionsOf, type WorkloadTraffic } from "./version-traffic.ts";

const svc = { namespace: "shop", name: "catalog" };
const t = (cluster: string, version: string, requests: number, errors: number, p99: number | null, service = "catalog"): WorkloadTraffic => ({
  destination: { cluster, namespace: "shop", service, version },
  requests,
  errors,
  rate: requests / 300,
  successPercent: requests ? 100 - (errors / requests) * 100 : null,
  p95: p99 === null ? null : p99 / 2,
  p99,
});

describe("versionRows", () => {
  it("lists every version per cluster with its traffic, including an unlabelled endpoint and one with traffic only", () => {
    const rows = versionRows(
      [{ cluster: "west", version: "v1" }, { cluster: "east", version: "v1" }, { cluster: "east", version: "v1" }, { cluster: "east", version: "v2" }, { cluster: "east", version: null }],
      [t("east", "v1", 3000, 3, 40), t("west", "v10", 300, 0, 20), t("east", "v1", 99, 0, 1, "ledger")],
      svc,
    );
    expect(rows.map((r) => [r.cluster, r.version, r.endpoints, r.rate])).toEqual([
      ["east", UNLABELLED, 1, 0],
      ["east", "v1", 2, 10],
      ["east", "v2", 1, 0],
      ["west", "v1", 1, 0],
      ["west", "v10", 0, 1],
    ]);
    expect(versionsOf(rows)).toEqual(["v1", "v2", "v10"]);
    expect(clustersOf(rows)).toEqual(["east", "west"]);
  });
});

describe("guessVersions", () => {
  it.each([
    ["busiest is stable, newest other is the canary", [t("east", "v1", 3000, 0, 1), t("east", "v2", 0, 0, null), t("east", "v3", 10, 0, 1)], { stable: "v1", canary: "v3" }],
    ["one version: no canary", [t("east", "v1", 3000, 0, 1)], { stable: "v1", canary: "" }],
    ["nothing seen", [], { stable: "", canary: "" }],
  ])("%s", (_name, traffic, expected) => {
    expect(guessVersions(versionRows([], traffic, svc))).toEqual(expected);
  });
});

describe("stableBaseline", () => {
  const traffic = [t("east", "v1", 3000, 3, 40), t("west", "v1", 1000, 5, 90), t("east", "v2", 50, 10, 500), t("west", "v1", 0, 0, null, "ledger")];
  it("sums the stable version's requests over the clusters and takes the worst cluster's latency", () => {
    expect(stableBaseline(traffic, svc, "v1", [], 60)).toEqual({ version: "v1", windowMinutes: 60, requests: 4000, errors: 8, p95Ms: 45, p99Ms: 90 });
  });
  it("only counts the rollout's clusters", () => {
    expect(stableBaseline(traffic, svc, "v1", ["east"], 60)).toMatchObject({ requests: 3000, errors: 3, p99Ms: 40 });
  });
  it("has no latency without requests", () => {
    expect(stableBaseline(traffic, svc, "v9", [], 60)).toMatchObject({ requests: 0, p99Ms: null });
  });
});
