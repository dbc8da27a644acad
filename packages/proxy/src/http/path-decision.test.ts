import { describe, expect, it } from "vitest";
import { choosePath, type PathFeatures } from "./path-decision.ts";

const plain: PathFeatures = {
  enabled: true,
  http10: false,
  method: "GET",
  upgrade: false,
  expectContinue: false,
  grpc: false,
  hasBody: false,
  jwt: false,
  filters: [],
  retries: false,
  http2Backend: false,
};

describe("choosePath", () => {
  it.each<[string, Partial<PathFeatures>, string]>([
    ["a plain GET", {}, "fast"],
    ["a POST with a streamed body", { method: "POST", hasBody: true }, "fast"],
    ["a body-less request that may be retried", { retries: true }, "fast"],
    ["a URL rewrite", { filters: ["URLRewrite"] }, "fast"],
    ["a request header modifier", { filters: ["RequestHeaderModifier"] }, "fast"],
    ["a redirect", { filters: ["RequestRedirect"] }, "fast"],
    ["the fast path switched off", { enabled: false }, "fast path off"],
    ["an HTTP/1.0 client", { http10: true }, "HTTP/1.0 client"],
    ["CONNECT", { method: "CONNECT" }, "CONNECT"],
    ["a WebSocket upgrade", { upgrade: true }, "upgrade"],
    ["Expect: 100-continue", { expectContinue: true, hasBody: true }, "expect"],
    ["a gRPC call", { grpc: true }, "gRPC"],
    ["a listener that verifies JWTs", { jwt: true }, "JWT"],
    ["fault injection", { filters: ["FaultInjection"] }, "FaultInjection"],
    ["request mirroring", { filters: ["URLRewrite", "RequestMirror"] }, "RequestMirror"],
    ["a response header modifier", { filters: ["ResponseHeaderModifier"] }, "ResponseHeaderModifier"],
    ["a retry that would replay a body", { retries: true, hasBody: true, method: "POST" }, "retry with a body"],
    ["an HTTP/2 upstream", { http2Backend: true }, "HTTP/2 upstream"],
  ])("%s → %s", (_name, features, expected) => {
    const choice = choosePath({ ...plain, ...features });
    expect(choice.path === "fast" ? "fast" : choice.reason).toBe(expected);
  });
});
