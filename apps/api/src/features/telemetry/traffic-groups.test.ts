import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { describe, expect, it } from "vitest";
import type { EdgeMinuteRow } from "./telemetry.repository.ts";
import { groupTraffic, type StatsGroupBy } from "./traffic-groups.ts";

const end = (cluster: string, service: string, version = "v1") => ({ cluster, namespace: "shop", service, version });
function sketch(...ms: number[]) {
  const s = new LatencySketch();
  for (const v of ms) s.add(v);
  return s.toJSON();
}
const row = (source: ReturnType<typeof end>, destination: ReturnType<typeof end>, requests: number, errors: number, mtls: number, latencies: number[], codeClass = "2xx"): EdgeMinuteRow => ({
  minute: new Date("2026-06-01T12:00:00Z"),
  source,
  destination,
  codeClass,
  requests,
  errors,
  mtlsRequests: mtls,
  latency: sketch(...latencies),
});

// Two callers of catalog in east (v1 and v2), one in west, a plaintext caller of reviews.
const ROWS = [
  row(end("east", "frontend"), end("east", "catalog", "v1"), 60, 0, 60, Array(60).fill(10)),
  row(end("east", "frontend"), end("east", "catalog", "v2"), 30, 3, 30, Array(30).fill(100)),
  row(end("west", "frontend"), end("west", "catalog", "v1"), 10, 0, 10, Array(10).fill(20)),
  row(end("east", "frontend"), end("west", "reviews"), 20, 0, 10, Array(20).fill(5)),
];

describe("groupTraffic", () => {
  it.each<[StatsGroupBy, string[]]>([
    ["service", ["shop/catalog 100 req 3 err", "shop/reviews 20 req 0 err"]],
    ["workload", ["east/shop/catalog@v1 60 req 0 err", "east/shop/catalog@v2 30 req 3 err", "west/shop/reviews@v1 20 req 0 err", "west/shop/catalog@v1 10 req 0 err"]],
    ["cluster", ["east// 90 req 3 err", "west// 30 req 0 err"]],
    ["edge", ["east/frontend→east/shop/catalog@v1 60 req 0 err", "east/frontend→east/shop/catalog@v2 30 req 3 err", "east/frontend→west/shop/reviews@v1 20 req 0 err", "west/frontend→west/shop/catalog@v1 10 req 0 err"]],
  ])("by %s", (groupBy, expected) => {
    const name = (e: { cluster: string; namespace: string; service: string; version: string }) =>
      groupBy === "service" ? `${e.namespace}/${e.service}` : groupBy === "cluster" ? `${e.cluster}//` : `${e.cluster}/${e.namespace}/${e.service}@${e.version}`;
    const groups = groupTraffic(ROWS, groupBy, 60);
    expect(groups.map((g) => `${g.source ? `${g.source.cluster}/${g.source.service}→` : ""}${name(g.destination)} ${g.requests} req ${g.errors} err`)).toEqual(expected);
  });

  it("takes a service's percentiles from all its requests, not from its slowest edge", () => {
    const [catalog] = groupTraffic(ROWS, "service", 60);
    // 70 of catalog's 100 requests took 10-20 ms, 30 took 100 ms: p50 is fast, p95 and p99 are slow.
    expect(catalog!.p50).toBeLessThan(25);
    expect(catalog!.p95).toBeGreaterThan(90);
    expect(catalog!.rate).toBeCloseTo(100 / 60);
    expect(catalog!.successPercent).toBeCloseTo(97);
    expect(catalog!.mtlsPercent).toBe(100);
  });

  it("gives the mTLS share and the response classes", () => {
    const reviews = groupTraffic([...ROWS, row(end("east", "frontend"), end("west", "reviews"), 5, 5, 5, [1, 1, 1, 1, 1], "5xx")], "service", 60).find((g) => g.destination.service === "reviews");
    expect(reviews).toMatchObject({ requests: 25, errors: 5, mtlsPercent: 60, byClass: { "2xx": 20, "5xx": 5 }, successPercent: 80 });
  });

  it("says null, not 0 %, for a group without requests", () => {
    expect(groupTraffic([row(end("east", "a"), end("east", "b"), 0, 0, 0, [])], "service", 60)[0]).toMatchObject({ successPercent: null, mtlsPercent: null, p95: null });
  });
});
