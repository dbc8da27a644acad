import { describe, expect, it } from "vitest";
import { explainFailures } from "./failure-causes.ts";
import type { SpanRow } from "./spans.repository.ts";

let n = 0;
function span(over: Partial<SpanRow>): SpanRow {
  n++;
  return {
    traceId: `t${n}`,
    spanId: `s${n}`,
    parentSpanId: null,
    cluster: "east",
    namespace: "shop",
    service: "frontend",
    version: "v1",
    kind: "CLIENT",
    name: "GET checkout",
    startTime: new Date(1_000 + n),
    durationMs: 5,
    statusCode: 200,
    responseFlags: "",
    peerService: "shop/checkout",
    attributes: {},
    ...over,
  };
}

describe("explainFailures", () => {
  it("blames the deepest hop that set a flag, and counts shares of all requests", () => {
    const ok = Array.from({ length: 6 }, () => span({}));
    const viaGateway = Array.from({ length: 3 }, () => span({ statusCode: 503 }));
    const gatewaySpans = viaGateway.map((r) => span({ traceId: r.traceId, cluster: "east", namespace: "weft-system", service: "east-west-gateway", kind: "CLIENT", statusCode: 503, responseFlags: "UF", startTime: new Date(r.startTime.getTime() + 1) }));
    const plain = span({ statusCode: 500 });
    const result = explainFailures([...ok, ...viaGateway, plain], [...viaGateway, ...gatewaySpans, plain]);
    expect(result.requests).toBe(10);
    expect(result.failed).toBe(4);
    // The gateway's hop, reported among the requests, is not a request of its own.
    expect(explainFailures([...ok, ...viaGateway, ...gatewaySpans.map((g, i) => ({ ...g, parentSpanId: viaGateway[i]!.spanId })), plain], [...viaGateway, ...gatewaySpans, plain]).requests).toBe(10);
    expect(result.causes).toEqual([
      { statusCode: 503, responseFlags: "UF", recordedBy: { cluster: "east", namespace: "weft-system", service: "east-west-gateway", kind: "CLIENT" }, count: 3, percent: 30, traceIds: viaGateway.map((r) => r.traceId) },
      { statusCode: 500, responseFlags: "", recordedBy: { cluster: "east", namespace: "shop", service: "frontend", kind: "CLIENT" }, count: 1, percent: 10, traceIds: [plain.traceId] },
    ]);
  });

  it("ignores flags set before the request started (an earlier hop of the same trace)", () => {
    const request = span({ statusCode: 0, startTime: new Date(5_000) });
    const earlier = span({ traceId: request.traceId, service: "edge", statusCode: 503, responseFlags: "UO", startTime: new Date(4_000) });
    expect(explainFailures([request], [earlier, request]).causes[0]).toMatchObject({ statusCode: 0, responseFlags: "", recordedBy: { service: "frontend" } });
  });

  it("keeps at most five traces per cause", () => {
    const failed = Array.from({ length: 8 }, () => span({ statusCode: 503, responseFlags: "UH" }));
    expect(explainFailures(failed, failed).causes[0]?.traceIds).toHaveLength(5);
  });

  it("has no causes without failures", () => {
    expect(explainFailures([span({})], [])).toEqual({ requests: 1, failed: 0, causes: [] });
  });
});
