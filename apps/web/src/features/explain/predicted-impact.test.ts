import { describe, expect, it } from "vitest";
import { faultSentences, moveSentence, predictFault, predictShift } from "./predicted-impact.ts";

const route = (weights: Record<string, number>) => ({
  metadata: { namespace: "shop" },
  spec: { parentRefs: [{ kind: "Service", name: "checkout" }], rules: [{ backendRefs: Object.entries(weights).map(([version, weight]) => ({ kind: "Service", name: "checkout", version, weight })) }] },
});
const end = (cluster: string, service: string, version = "v1", namespace = "shop") => ({ cluster, namespace, service, version });

describe("predicted impact of a traffic shift", () => {
  const edges = [
    // frontend calls checkout at 98/min (v1 and v2 together), cart at 12/min; nobody else calls it.
    { source: end("east", "frontend"), destination: end("east", "checkout", "v1"), rate: 88.2 / 60 },
    { source: end("east", "frontend"), destination: end("east", "checkout", "v2"), rate: 9.8 / 60 },
    { source: end("east", "cart"), destination: end("east", "checkout", "v1"), rate: 12 / 60 },
    { source: end("east", "frontend"), destination: end("east", "catalog"), rate: 50 },
  ];

  it("lists only the workloads that called the service, with the requests that would move", () => {
    const impact = predictShift(route({ v1: 90, v2: 10 }), route({ v1: 80, v2: 20 }), edges)!;
    expect(impact.before).toEqual({ v1: 0.9, v2: 0.1 });
    expect(impact.after).toEqual({ v1: 0.8, v2: 0.2 });
    expect(impact.callers).toEqual([
      { caller: "east/shop/frontend", perMinute: 98, moves: [{ to: "v2", perMinute: 9.8 }] },
      { caller: "east/shop/cart", perMinute: 12, moves: [{ to: "v2", perMinute: 1.2 }] },
    ]);
    expect(moveSentence(impact.callers[0]!, impact.callers[0]!.moves[0]!)).toBe("≈ 9.8 req/min from east/shop/frontend would move to v2");
  });

  it("moves nothing when the weights only change scale", () => {
    expect(predictShift(route({ v1: 90, v2: 10 }), route({ v1: 9, v2: 1 }), edges)!.callers[0]!.moves).toEqual([]);
  });

  it("has no callers for a service nobody called", () => {
    expect(predictShift(route({ v1: 1 }), route({ v1: 1, v2: 1 }), [])!.callers).toEqual([]);
  });
});

describe("predicted impact of a fault", () => {
  const edges = [
    { source: end("east", "frontend"), destination: end("east", "checkout", "v1"), rate: 88.2 / 60 },
    { source: end("east", "frontend"), destination: end("east", "checkout", "v2"), rate: 9.8 / 60 },
    { source: { cluster: "", namespace: "", service: "unknown", version: "" }, destination: end("east", "checkout", "v1"), rate: 30 / 60 },
    { source: end("east", "frontend"), destination: end("east", "catalog"), rate: 50 },
  ];
  const faulted = (fault: Record<string, unknown>) => {
    const r = route({ v1: 1 });
    return { ...r, spec: { ...r.spec, rules: [{ ...r.spec.rules[0]!, filters: [{ type: "FaultInjection", faultInjection: fault }] }] } };
  };

  it("gives each caller's requests per minute that would have failed or been delayed, from the fault's percentages", () => {
    const impact = predictFault(faulted({ abort: { httpStatus: 503, percentage: 10 }, delay: { fixedDelay: "2s", percentage: 25 } }), edges)!;
    expect(impact.callers).toEqual([
      { caller: "east/shop/frontend", perMinute: 98, failed: 9.8, delayed: 24.5 },
      { caller: "outside the mesh", perMinute: 30, failed: 3, delayed: 7.5 },
    ]);
    expect(faultSentences(impact, impact.callers[0]!)).toEqual([
      "≈ 10 % of the last hour's requests from east/shop/frontend (≈ 9.8 req/min) would have failed with HTTP 503",
      "≈ 25 % of the last hour's requests from east/shop/frontend (≈ 24.5 req/min) would have been delayed by 2s",
    ]);
  });

  it("says at most when the fault needs a header the rollups do not record; a missing percentage is 100 %", () => {
    const impact = predictFault(faulted({ abort: { grpcStatus: "UNAVAILABLE" }, headers: [{ type: "Exact", name: "x-chaos", value: "1" }] }), edges)!;
    expect(impact.headers).toEqual(["x-chaos = 1"]);
    expect(faultSentences(impact, impact.callers[1]!)).toEqual(["at most ≈ 100 % of the last hour's requests from outside the mesh (≈ 30 req/min) would have failed with gRPC UNAVAILABLE"]);
  });

  it("has nothing to say about a route without a fault", () => {
    expect(predictFault(route({ v1: 1 }), edges)).toBeNull();
  });
});

