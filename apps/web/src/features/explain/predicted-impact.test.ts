import { describe, expect, it } from "vitest";
import { moveSentence, predictShift } from "./predicted-impact.ts";

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
