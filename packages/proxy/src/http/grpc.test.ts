import { describe, expect, it } from "vitest";
import { encodeGrpcMessage, formatGrpcTimeout, grpcStatusFor, isGrpc, parseGrpcTimeout } from "./grpc.ts";

describe("grpc helpers", () => {
  it.each([
    ["100m", 100],
    ["2S", 2000],
    ["1M", 60_000],
    ["1H", 3_600_000],
    ["5000u", 5],
    ["99999999n", 99.999999],
    ["123456789m", undefined],
    ["10", undefined],
    ["-1m", undefined],
    [undefined, undefined],
  ])("parses grpc-timeout %s", (value, want) => {
    expect(parseGrpcTimeout(value)).toBe(want);
  });

  it.each([
    [503, false, 14],
    [502, false, 14],
    [504, true, 4],
    [404, false, 12],
    [400, false, 13],
    [500, false, 13],
  ])("maps HTTP %s (timeout %s) to grpc-status %s", (status, timedOut, want) => {
    expect(grpcStatusFor(status, timedOut)).toBe(want);
  });

  it("recognises gRPC content types and formats deadlines", () => {
    expect(isGrpc("application/grpc")).toBe(true);
    expect(isGrpc("application/grpc+proto")).toBe(true);
    expect(isGrpc("application/json")).toBe(false);
    expect(formatGrpcTimeout(0.2)).toBe("1m");
    expect(formatGrpcTimeout(1500)).toBe("1500m");
    expect(encodeGrpcMessage("100% é\n")).toBe("100%25 %C3%A9%0A");
  });
});
