import { describe, expect, it } from "vitest";
import { isSpanError, SpanReportSchema } from "./span.schema.ts";

const span = {
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: "00f067aa0ba902b7",
  namespace: "shop",
  service: "frontend",
  kind: "CLIENT",
  name: "GET checkout",
  startTime: 1_700_000_000_000.25,
  durationMs: 3.5,
};

describe("span reports", () => {
  it("fills defaults for optional fields", () => {
    const parsed = SpanReportSchema.parse({ spans: [span] });
    expect(parsed).toEqual({ dropped: 0, spans: [{ ...span, parentSpanId: null, version: "", statusCode: null, responseFlags: "", peerService: "", attributes: {} }] });
  });

  it.each([
    ["a short trace id", { traceId: "abc" }, "spans.0.traceId"],
    ["an all-zero span id", { spanId: "0000000000000000" }, "spans.0.spanId"],
    ["a cluster (it comes from the credential)", { cluster: "west" }, "spans.0"],
    ["too many attributes", { attributes: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }, "spans.0.attributes"],
    ["an unknown kind", { kind: "INTERNAL" }, "spans.0.kind"],
  ])("refuses %s, naming the field", (_what, patch, path) => {
    const result = SpanReportSchema.safeParse({ spans: [{ ...span, ...patch }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toContain(path);
  });

  it.each([
    [200, {}, false],
    [404, {}, false],
    [503, {}, true],
    [0, {}, true],
    [null, {}, false],
    [200, { "rpc.grpc.status_code": 14 }, true],
    [200, { "rpc.grpc.status_code": 0 }, false],
  ])("status %s with %o is an error: %s", (statusCode, attributes, error) => {
    expect(isSpanError({ statusCode, attributes })).toBe(error);
  });
});
