import type { ServerResponse } from "node:http";
import { UNSENT_RETRY_POLICY } from "@weft/mesh-model/proxy-config";
import { afterEach, describe, expect, it } from "vitest";
import { backend, closedPort, config, port, send, sendMany, Stack, vhost, type Upstream } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

type Rule = Parameters<typeof vhost>[1][number];
type BackendExtra = Parameters<typeof backend>[2];

async function proxyFor(endpoints: { port: number }[], rule: Omit<Rule, "backendRefs"> = {}, extra: BackendExtra = {}, fastPath?: boolean) {
  const proxy = await stack.proxy(
    config({ backends: [backend("svc.default", endpoints, { loadBalancer: { algorithm: "round-robin" }, ...extra })], virtualHosts: [vhost("svc", [{ ...rule, backendRefs: [{ backend: "svc.default" }] }])] }),
    fastPath === undefined ? {} : { fastPath },
  );
  return { proxy, p: port(proxy) };
}

/** An upstream that fails its first `n` requests with `status`, then answers 200. */
function failFirst(n: number, status: number) {
  let calls = 0;
  return (_req: unknown, res: ServerResponse) => {
    calls++;
    res.statusCode = calls <= n ? status : 200;
    res.end(calls <= n ? "failed" : "ok");
  };
}

const fastBackoff = { baseMs: 1, maxMs: 5 };

/** The backend's counters from /stats. */
function counters(proxy: Awaited<ReturnType<typeof proxyFor>>["proxy"]) {
  return proxy.stats().backends["svc.default"] as { retries: number; connectFailures: number; retryBudgetExhausted: number; endpoints: { port: number; ejected: boolean; requests: number }[] };
}

// The retry the mesh compiler gives every rule that configures none: a refused
// connection goes once more, to another endpoint. The upstream never saw the
// request, so any method goes again, with its body.
describe("the default retry (connect failures only)", () => {
  const unsent = { retry: UNSENT_RETRY_POLICY };

  it.each([true, false])("serves every bodiless request when one endpoint refuses connections (fast path %s)", async (fastPath) => {
    const dead = await closedPort();
    const up = await stack.upstream("up");
    const { p, proxy } = await proxyFor([{ port: dead }, up], unsent, {}, fastPath);
    const results = await sendMany(20, 2, (i) => send({ port: p, host: "svc", method: i % 2 ? "DELETE" : "GET" }));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(up.seen).toHaveLength(20);
    expect(counters(proxy).retries).toBeGreaterThan(0);
  });

  it("serves every POST with a body when one endpoint refuses connections: the streamed body was still unread", async () => {
    const dead = await closedPort();
    const up = await stack.upstream("up");
    const { p, proxy } = await proxyFor([{ port: dead }, up], unsent, {}, true);
    const results = await sendMany(20, 2, (i) => send({ port: p, host: "svc", method: "POST", body: `payload-${String(i).padStart(2, "0")}` }));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    // Each body arrived whole, once.
    expect(up.seen.map((s) => s.bodyLength)).toEqual(Array(20).fill(10));
    expect((proxy.stats().downstream as { fastPath: number }).fastPath).toBe(20);
  });

  it("sends a large streamed body whole to the other endpoint after a refused connection (above the retry buffer, never buffered)", async () => {
    const dead = await closedPort();
    const up = await stack.upstream("up");
    const { p } = await proxyFor([{ port: dead }, up], unsent, {}, true);
    const big = "x".repeat(256 * 1024);
    const results = await sendMany(6, 2, () => send({ port: p, host: "svc", method: "PUT", body: big }));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(up.seen.map((s) => s.bodyLength)).toEqual(Array(6).fill(big.length));
  });

  it.each([
    ["a reset after the request was sent", (req: { socket: { destroy(): void } }) => req.socket.destroy(), 502],
    ["a 503 answer", (_req: unknown, res: ServerResponse) => ((res.statusCode = 503), res.end("busy")), 503],
  ] as const)("does not send a request twice after %s", async (_name, handler, status) => {
    const up = await stack.upstream("up", handler as never);
    const { p } = await proxyFor([up], unsent);
    expect((await send({ port: p, host: "svc", method: "DELETE" })).status).toBe(status);
    expect((await send({ port: p, host: "svc", method: "POST", body: "payload" })).status).toBe(status);
    expect(up.seen).toHaveLength(2);
  });

  it.each([
    ["an explicit policy of one attempt", { retry: { ...UNSENT_RETRY_POLICY, maxAttempts: 1 } }],
    ["no retry policy at all", {}],
  ])("lets refused connections fail under %s (503 UF)", async (_name, rule) => {
    const dead = await closedPort();
    const up = await stack.upstream("up");
    const { p, proxy } = await proxyFor([{ port: dead }, up], rule);
    const results = await sendMany(10, 1, () => send({ port: p, host: "svc" }));
    // Round robin over the two: every other request meets the closed port.
    expect(results.filter((r) => r.status === 503 && r.headers["x-weft-flags"] === "UF")).toHaveLength(5);
    expect(up.seen).toHaveLength(5);
    expect(counters(proxy).retries).toBe(0);
  });

  it("is bounded by the retry budget", async () => {
    const dead = await closedPort();
    const up = await stack.upstream("up");
    const { p, proxy } = await proxyFor([{ port: dead }, up], unsent, { policy: { retryBudget: { ratio: 0, minRetriesPerSecond: 0, windowMs: 60_000 } } });
    const results = await sendMany(10, 1, () => send({ port: p, host: "svc" }));
    expect(results.filter((r) => r.status === 503)).toHaveLength(5);
    expect(results.filter((r) => r.status === 503).map((r) => r.headers["x-weft-flags"])).toEqual(Array(5).fill("UF,URX"));
    expect(counters(proxy).retryBudgetExhausted).toBe(5);
  });

  it("stops trying an endpoint that refuses connections once outlier detection ejects it", async () => {
    const dead = await closedPort();
    const up = await stack.upstream("up");
    const outlierDetection = { consecutive5xx: 5, consecutiveGatewayErrors: 3, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionTimeMs: 30_000, maxEjectionPercent: 100, alwaysKeepOne: true };
    const { p, proxy } = await proxyFor([{ port: dead }, up], unsent, { policy: { outlierDetection } });
    const results = await sendMany(20, 1, () => send({ port: p, host: "svc" }));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const closed = counters(proxy).endpoints.find((e) => e.port === dead);
    expect(closed?.ejected).toBe(true);
    // Three refusals ejected it; the other requests went straight to the live one.
    expect(counters(proxy).connectFailures).toBe(3);
    expect(closed?.requests).toBe(3);
  });
});

describe("retries", () => {
  it.each([
    ["gateway-error on 503", ["gateway-error"], [], 503],
    ["5xx on 500", ["5xx"], [], 500],
    ["a listed status (429)", [], [429], 429],
  ] as const)("retries %s and succeeds", async (_name, retryOn, statusCodes, status) => {
    const up = await stack.upstream("up", failFirst(2, status));
    const { p } = await proxyFor([up], { retry: { maxAttempts: 3, retryOn: [...retryOn], statusCodes: [...statusCodes], backoff: fastBackoff } });
    const res = await send({ port: p, host: "svc", method: "POST", body: "payload" });
    expect(res.status).toBe(200);
    expect(up.seen.map((s) => s.bodyLength)).toEqual([7, 7, 7]);
  });

  it("does not retry a status outside retryOn", async () => {
    const up = await stack.upstream("up", failFirst(1, 500));
    const { p } = await proxyFor([up], { retry: { maxAttempts: 3, retryOn: ["gateway-error"], backoff: fastBackoff } });
    const res = await send({ port: p, host: "svc" });
    expect(res.status).toBe(500);
    expect(res.headers["x-weft-flags"]).toBeUndefined();
    expect(up.seen).toHaveLength(1);
  });

  it("returns the last response with URX when attempts run out", async () => {
    const up = await stack.upstream("up", failFirst(100, 503));
    const { p } = await proxyFor([up], { retry: { maxAttempts: 3, backoff: fastBackoff } });
    const res = await send({ port: p, host: "svc" });
    expect(res.status).toBe(503);
    expect(res.body).toBe("failed");
    expect(res.headers["x-weft-flags"]).toBe("URX");
    expect(up.seen).toHaveLength(3);
  });

  it("retries a connect failure on another endpoint", async () => {
    const dead = await closedPort();
    const up = await stack.upstream("up");
    const { p } = await proxyFor([{ port: dead }, up], { retry: { maxAttempts: 2, retryOn: ["connect-failure"], backoff: fastBackoff } });
    const results = await sendMany(10, 1, () => send({ port: p, host: "svc" }));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
  });

  it("retries a reset on another endpoint", async () => {
    const resetting = await stack.upstream("reset", (req) => req.socket.destroy());
    const up = await stack.upstream("up");
    const { p } = await proxyFor([resetting, up], { retry: { maxAttempts: 2, retryOn: ["reset"], backoff: fastBackoff } });
    const results = await sendMany(6, 1, () => send({ port: p, host: "svc" }));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(resetting.seen.length).toBeGreaterThan(0);
  });

  it("does not retry a body over the 64 KiB buffer limit", async () => {
    const up = await stack.upstream("up", failFirst(1, 503));
    const { p } = await proxyFor([up], { retry: { maxAttempts: 3, backoff: fastBackoff } });
    const res = await send({ port: p, host: "svc", method: "POST", body: Buffer.alloc(65 * 1024, 1) });
    expect(res.status).toBe(503);
    expect(up.seen).toHaveLength(1);
    expect(up.seen[0]?.bodyLength).toBe(65 * 1024);
    // At the limit it is still retried.
    const small = await send({ port: p, host: "svc", method: "POST", body: Buffer.alloc(64 * 1024, 1) });
    expect(small.status).toBe(200);
  });

  it("stops retrying when the retry budget is spent", async () => {
    const up = await stack.upstream("up", failFirst(1_000_000, 503));
    const { proxy, p } = await proxyFor([up], { retry: { maxAttempts: 3, backoff: fastBackoff } }, { policy: { retryBudget: { ratio: 0.2, minRetriesPerSecond: 0, windowMs: 60_000 } } });
    const n = 100;
    const results = await sendMany(n, 4, () => send({ port: p, host: "svc" }));
    expect(results.every((r) => r.status === 503 && r.headers["x-weft-flags"] === "URX")).toBe(true);
    // Without a budget this would be 300 upstream requests; with it, at most 100 + 20% of 100.
    expect(up.seen.length).toBeGreaterThanOrEqual(n);
    expect(up.seen.length).toBeLessThanOrEqual(n * 1.2 + 1);
    const exhausted = proxy.metrics.budgetExhausted.get({ destination_service: "svc" });
    expect(exhausted).toBeGreaterThan(50);
    expect(proxy.metricsText()).toContain('weft_retry_budget_exhausted_total{destination_service="svc"}');
  });

  it("the budget floor allows retries when traffic is low", async () => {
    const up = await stack.upstream("up", failFirst(1_000_000, 503));
    const { p } = await proxyFor([up], { retry: { maxAttempts: 2, backoff: fastBackoff } }, { policy: { retryBudget: { ratio: 0, minRetriesPerSecond: 1, windowMs: 5000 } } });
    // Floor: 1 retry/s over 5 s = 5 retries in the window.
    await sendMany(10, 1, () => send({ port: p, host: "svc" }));
    expect(up.seen).toHaveLength(15);
  });
});

describe("timeouts and failure flags", () => {
  let hanging: Upstream;
  async function hang() {
    hanging = await stack.upstream("hang", () => undefined);
    return hanging;
  }

  it("per-try timeout retries on the next endpoint", async () => {
    const slow = await hang();
    const fast = await stack.upstream("fast");
    const { p } = await proxyFor([slow, fast], { timeouts: { perTryMs: 100 }, retry: { maxAttempts: 2, backoff: fastBackoff } });
    const results = await sendMany(4, 1, () => send({ port: p, host: "svc" }));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it("request timeout answers 504 UT", async () => {
    const slow = await hang();
    const { p } = await proxyFor([slow], { timeouts: { requestMs: 150 } });
    const res = await send({ port: p, host: "svc" });
    expect(res.status).toBe(504);
    expect(res.headers["x-weft-flags"]).toBe("UT");
  });

  it("request timeout bounds all attempts together", async () => {
    const slow = await hang();
    const { p } = await proxyFor([slow], { timeouts: { requestMs: 200, perTryMs: 80 }, retry: { maxAttempts: 10, backoff: fastBackoff } });
    const res = await send({ port: p, host: "svc" });
    expect(res.status).toBe(504);
    expect(res.headers["x-weft-flags"]).toMatch(/^UT/);
    expect(slow.seen.length).toBeLessThan(10);
  });

  it("idle timeout aborts a stalled upstream", async () => {
    const slow = await hang();
    const { p } = await proxyFor([slow], {}, { policy: { idleTimeoutMs: 150 } });
    const res = await send({ port: p, host: "svc" });
    expect(res.status).toBe(504);
    expect(res.headers["x-weft-flags"]).toBe("UT");
  });

  it("connect failure answers 503 UF", async () => {
    const { p } = await proxyFor([{ port: await closedPort() }]);
    const res = await send({ port: p, host: "svc" });
    expect(res.status).toBe(503);
    expect(res.headers["x-weft-flags"]).toBe("UF");
  });

  it("connect failures with retries exhausted answer 503 UF,URX", async () => {
    const { p } = await proxyFor([{ port: await closedPort() }], { retry: { maxAttempts: 2, retryOn: ["connect-failure"], backoff: fastBackoff } });
    const res = await send({ port: p, host: "svc" });
    expect(res.status).toBe(503);
    expect(res.headers["x-weft-flags"]).toBe("UF,URX");
  });

  it("an upstream reset answers 502 UR", async () => {
    const up = await stack.upstream("reset", (req) => req.socket.destroy());
    const { p } = await proxyFor([up]);
    const res = await send({ port: p, host: "svc" });
    expect(res.status).toBe(502);
    expect(res.headers["x-weft-flags"]).toBe("UR");
  });

  it("records outcomes in the metrics", async () => {
    const up = await stack.upstream("up", failFirst(100, 503));
    const { proxy, p } = await proxyFor([up], { retry: { maxAttempts: 2, backoff: fastBackoff } });
    await send({ port: p, host: "svc" });
    await send({ port: p, host: "nowhere" });
    await expect
      .poll(() => proxy.metricsText())
      .toContain(
        'weft_requests_total{source_service="frontend",source_version="unknown",source_cluster="c1",destination_service="svc",destination_version="unknown",destination_cluster="unknown",response_code="503",response_flags="URX",grpc_status="-",source_identity="unknown",mtls="false",reporter="source"} 1',
      );
    const text = proxy.metricsText();
    expect(text).toContain(
      'weft_requests_total{source_service="frontend",source_version="unknown",source_cluster="c1",destination_service="unknown",destination_version="unknown",destination_cluster="unknown",response_code="404",response_flags="NR",grpc_status="-",source_identity="unknown",mtls="false",reporter="source"} 1',
    );
    expect(text).toContain('weft_upstream_retries_total{destination_service="svc"} 1');
    expect(text).toMatch(/weft_request_duration_seconds_bucket\{source_service="frontend",[^}]*destination_service="svc",[^}]*response_code="503",[^}]*le="\+Inf"\} 1/);
    expect(proxy.edges.count({ destination_service: "svc", response_code: "503" })).toBe(1);
  });
});
