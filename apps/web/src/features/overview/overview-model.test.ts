import { describe, expect, it } from "vitest";
import { meshTotals, type EdgeTraffic } from "./overview-model.ts";

const edge = (requests: number, errors: number, p50: number | null, p99: number | null): EdgeTraffic => ({ requests, errors, rate: requests / 60, p50, p99 });

describe("meshTotals", () => {
  it.each<[string, EdgeTraffic[], { rate: number; successPercent: number | null; p50: number | null; worstP99: number | null }]>([
    ["no traffic", [], { rate: 0, successPercent: null, p50: null, worstP99: null }],
    ["one edge", [edge(60, 6, 10, 50)], { rate: 1, successPercent: 90, p50: 10, worstP99: 50 }],
    ["weights medians by requests; worst p99", [edge(60, 0, 10, 50), edge(180, 0, 30, 400)], { rate: 4, successPercent: 100, p50: 25, worstP99: 400 }],
    ["edges without latency samples", [edge(120, 120, null, null)], { rate: 2, successPercent: 0, p50: null, worstP99: null }],
  ])("%s", (_name, edges, expected) => {
    expect(meshTotals(edges)).toMatchObject(expected);
  });
});
