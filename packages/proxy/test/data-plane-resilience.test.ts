// Issue 8 on real upstreams on loopback: circuit breaking, outlier detection,
// active health checks, fault injection and mirroring. Times are configured
// short (tens to hundreds of ms); assertions on time use generous bounds.
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { decodeHealthCheckStatus } from "../src/upstream/health-check.ts";
import type { WeftProxy } from "../src/index.ts";
import { backend, closedPort, config, port, seededRandom, send, sendMany, Stack, vhost, waitFor, type ClientResponse } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

type BackendExtra = Parameters<typeof backend>[2];
type Rule = Parameters<typeof vhost>[1][number];

async function proxyFor(endpoints: { port: number }[], extra: BackendExtra = {}, rule: Omit<Rule, "backendRefs"> = {}, more: { backends?: ReturnType<typeof backend>[]; seed?: number } = {}) {
  const proxy = await stack.proxy(
    config({
      backends: [backend("svc.default", endpoints, { loadBalancer: { algorithm: "round-robin" }, ...extra }), ...(more.backends ?? [])],
      virtualHosts: [vhost("svc", [{ ...rule, backendRefs: [{ backend: "svc.default" }] }])],
    }),
    more.seed !== undefined ? { random: seededRandom(more.seed) } : {},
  );
  return { proxy, p: port(proxy) };
}

function metric(proxy: WeftProxy, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = proxy
    .metricsText()
    .split("\n")
    .find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

const byUpstream = (rs: ClientResponse[]) => rs.reduce<Record<string, number>>((acc, r) => ({ ...acc, [String(r.headers["x-upstream"])]: (acc[String(r.headers["x-upstream"])] ?? 0) + 1 }), {});

describe("circuit breaking", () => {
  it("answers 503 UO above maxRequests and counts the overflow", async () => {
    const up = await stack.controlled("up");
    up.control.stall = true;
    const { proxy, p } = await proxyFor([up], { policy: { circuitBreaker: { maxRequests: 2 } } });
    const held = [send({ port: p, host: "svc" }), send({ port: p, host: "svc" })];
    await waitFor(() => up.control.held === 2, 2000, "two requests held upstream");
    const over = await send({ port: p, host: "svc" });
    expect(over.status).toBe(503);
    expect(over.headers["x-weft-flags"]).toBe("UO");
    up.control.release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    // Once the held requests are done there is room again.
    expect((await send({ port: p, host: "svc" })).status).toBe(200);
    expect(metric(proxy, "weft_circuit_breaker_overflow_total", { destination_service: "svc", limit: "requests" })).toBe(1);
  });

  it("answers 503 UO above maxPendingRequests when maxConnections is reached", async () => {
    const up = await stack.controlled("up");
    up.control.stall = true;
    const { proxy, p } = await proxyFor([up], { policy: { circuitBreaker: { maxConnections: 1, maxPendingRequests: 1 } } });
    const first = send({ port: p, host: "svc" });
    await waitFor(() => up.control.held === 1, 2000, "first request holds the only connection");
    const second = send({ port: p, host: "svc" });
    await waitFor(() => (proxy.stats().backends["svc.default"] as { breaker?: { pending: number } } | undefined)?.breaker?.pending === 1, 2000, "second request pending");
    const third = await send({ port: p, host: "svc" });
    expect(third.status).toBe(503);
    expect(third.headers["x-weft-flags"]).toBe("UO");
    expect(metric(proxy, "weft_circuit_breaker_overflow_total", { destination_service: "svc", limit: "pending" })).toBe(1);
    // Released, the first answer frees the connection and the pending request goes out on it.
    up.control.release();
    expect((await Promise.all([first, second])).map((r) => r.status)).toEqual([200, 200]);
  });

  it("does not retry above maxRetries (URX) and counts it", async () => {
    const up = await stack.controlled("up");
    up.control.status = 503;
    const { proxy, p } = await proxyFor([up], { policy: { circuitBreaker: { maxRetries: 0 } } }, { retry: { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 2 } } });
    const res = await send({ port: p, host: "svc" });
    expect(res.status).toBe(503);
    expect(res.headers["x-weft-flags"]).toBe("URX");
    expect(up.seen).toHaveLength(1);
    expect(metric(proxy, "weft_circuit_breaker_overflow_total", { destination_service: "svc", limit: "retries" })).toBe(1);
  });
});

describe("outlier detection", () => {
  it("ejects an endpoint after consecutive 5xx and readmits it after the ejection time", async () => {
    const bad = await stack.controlled("bad");
    const good = await stack.controlled("good");
    bad.control.status = 503;
    const { proxy, p } = await proxyFor([bad, good], { policy: { outlierDetection: { consecutive5xx: 3, baseEjectionTimeMs: 300, intervalMs: 50, maxEjectionPercent: 50 } } });
    // Round robin: three failures from `bad` within six requests.
    await sendMany(6, 1, () => send({ port: p, host: "svc" }));
    const out = proxy.outliers(0);
    expect(out.unavailable).toEqual([expect.objectContaining({ endpoint: `127.0.0.1:${bad.port}`, ejected: true, reason: "consecutive_5xx", ejections: 1 })]);
    expect(out.events.map((e) => e.action)).toEqual(["eject"]);
    const during = await sendMany(10, 1, () => send({ port: p, host: "svc" }));
    expect(byUpstream(during)).toEqual({ good: 10 });

    bad.control.status = 200;
    await waitFor(() => proxy.outliers(0).events.some((e) => e.action === "return"), 3000, "ejected endpoint returns");
    const after = await sendMany(10, 1, () => send({ port: p, host: "svc" }));
    expect(byUpstream(after).bad).toBeGreaterThan(0);
    expect(metric(proxy, "weft_outlier_ejections_total", { destination_service: "svc", reason: "consecutive_5xx" })).toBe(1);
    expect(metric(proxy, "weft_outlier_returns_total", { destination_service: "svc" })).toBe(1);
    // The admin endpoint the agent collects from.
    const admin = await send({ port: port(proxy, "admin"), path: "/outliers?since=0" });
    expect(admin.json<{ events: { action: string }[] }>().events.map((e) => e.action)).toEqual(["eject", "return"]);
  });

  it("respects maxEjectionPercent and always keeps one endpoint", async () => {
    const ups = await Promise.all(["a", "b", "c", "d"].map((n) => stack.controlled(n)));
    for (const u of ups) u.control.status = 500;
    const { proxy, p } = await proxyFor(ups, { policy: { outlierDetection: { consecutive5xx: 2, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50 } } });
    await sendMany(40, 1, () => send({ port: p, host: "svc" }));
    expect(proxy.outliers(0).unavailable).toHaveLength(2);

    const two = await Promise.all(["x", "y"].map((n) => stack.controlled(n)));
    for (const u of two) u.control.status = 500;
    const { proxy: proxy2, p: p2 } = await proxyFor(two, { policy: { outlierDetection: { consecutive5xx: 2, baseEjectionTimeMs: 60_000, maxEjectionPercent: 100 } } });
    await sendMany(20, 1, () => send({ port: p2, host: "svc" }));
    expect(proxy2.outliers(0).unavailable).toHaveLength(1);
  });

  it("ejects a success-rate outlier on the interval", async () => {
    const ups = await Promise.all(["a", "b", "c", "d", "e"].map((n) => stack.controlled(n)));
    const bad = ups[0];
    if (!bad) throw new Error("no upstream");
    const { proxy, p } = await proxyFor(ups, {
      policy: { outlierDetection: { consecutive5xx: 1000, intervalMs: 400, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50, successRate: { minimumHosts: 5, requestVolume: 10, stdevFactor: 1 } } },
    });
    // Every other answer of `a` fails: 50% success against 100% for the rest.
    let n = 0;
    bad.control.status = 200;
    const flip = setInterval(() => (bad.control.status = ++n % 2 === 0 ? 500 : 200), 1);
    try {
      await waitFor(
        async () => {
          await sendMany(25, 5, () => send({ port: p, host: "svc" }));
          return proxy.outliers(0).unavailable.length > 0;
        },
        5000,
        "success-rate ejection",
      );
    } finally {
      clearInterval(flip);
    }
    expect(proxy.outliers(0).unavailable).toEqual([expect.objectContaining({ endpoint: `127.0.0.1:${bad.port}`, reason: "success_rate" })]);
  });
});

describe("active health checks", () => {
  it("HTTP: marks an instance down and up again and load balancing follows", async () => {
    const a = await stack.controlled("a");
    const b = await stack.controlled("b");
    const { proxy, p } = await proxyFor([a, b], { policy: { healthChecks: [{ type: "http", path: "/healthz", intervalMs: 50, timeoutMs: 50, unhealthyThreshold: 2, healthyThreshold: 2 }] } });
    a.control.healthy = false;
    await waitFor(() => proxy.outliers(0).unavailable.length === 1, 3000, "a marked unhealthy");
    expect(proxy.outliers(0).unavailable[0]).toMatchObject({ endpoint: `127.0.0.1:${a.port}`, failingHealthCheck: true });
    expect(byUpstream(await sendMany(8, 1, () => send({ port: p, host: "svc" })))).toEqual({ b: 8 });
    a.control.healthy = true;
    await waitFor(() => proxy.outliers(0).unavailable.length === 0, 3000, "a healthy again");
    expect(byUpstream(await sendMany(8, 1, () => send({ port: p, host: "svc" }))).a).toBeGreaterThan(0);
    expect(proxy.outliers(0).events.map((e) => `${e.action}:${e.reason}`)).toEqual(["unhealthy:http", "healthy:http"]);
    expect(metric(proxy, "weft_health_check_transitions_total", { destination_service: "svc", to: "unhealthy" })).toBe(1);
    expect(metric(proxy, "weft_health_checks_total", { destination_service: "svc", result: "success" })).toBeGreaterThan(0);
  });

  it("TCP: an endpoint that refuses connections is taken out", async () => {
    const up = await stack.controlled("up");
    const dead = await closedPort();
    const { proxy, p } = await proxyFor([up, { port: dead }], { policy: { healthChecks: [{ type: "tcp", intervalMs: 50, timeoutMs: 50, unhealthyThreshold: 1, healthyThreshold: 1 }] } });
    await waitFor(() => proxy.outliers(0).unavailable.length === 1, 3000, "dead endpoint marked unhealthy");
    expect(proxy.outliers(0).unavailable[0]).toMatchObject({ endpoint: `127.0.0.1:${dead}` });
    expect(byUpstream(await sendMany(6, 1, () => send({ port: p, host: "svc" })))).toEqual({ up: 6 });
  });
});

/** A real @grpc/grpc-js server with grpc.health.v1.Health/Check (messages encoded by hand, as the proxy does). */
async function grpcHealthServer(): Promise<{ port: number; serving: { value: boolean }; close(): Promise<void> }> {
  const serving = { value: true };
  const server = new grpc.Server();
  const service: grpc.ServiceDefinition = {
    Check: {
      path: "/grpc.health.v1.Health/Check",
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: Buffer) => v,
      requestDeserialize: (b: Buffer) => b,
      // HealthCheckResponse { status = 1 (SERVING) | 2 (NOT_SERVING) }
      responseSerialize: (status: number) => Buffer.from([0x08, status]),
      responseDeserialize: (b: Buffer) => decodeHealthCheckStatus(Buffer.concat([Buffer.from([0, 0, 0, 0, b.length]), b])),
    },
  };
  server.addService(service, { Check: (_call: unknown, cb: grpc.sendUnaryData<number>) => cb(null, serving.value ? 1 : 2) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, serving, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

describe("active health checks (gRPC)", () => {
  it("grpc.health.v1: NOT_SERVING takes the endpoint out, SERVING brings it back", async () => {
    const health = await grpcHealthServer();
    stack.defer(() => health.close());
    const { proxy } = await proxyFor([health], { protocol: "http2", policy: { healthChecks: [{ type: "grpc", intervalMs: 50, timeoutMs: 50, unhealthyThreshold: 2, healthyThreshold: 2 }] } });
    await waitFor(() => metric(proxy, "weft_health_checks_total", { destination_service: "svc", result: "success" }) >= 2, 3000, "SERVING checks succeed");
    expect(proxy.outliers(0).unavailable).toHaveLength(0);
    health.serving.value = false;
    await waitFor(() => proxy.outliers(0).unavailable.length === 1, 3000, "NOT_SERVING marks the endpoint down");
    health.serving.value = true;
    await waitFor(() => proxy.outliers(0).unavailable.length === 0, 3000, "SERVING marks it up again");
    expect(proxy.outliers(0).events.map((e) => `${e.action}:${e.reason}`)).toEqual(["unhealthy:grpc", "healthy:grpc"]);
  });
});

describe("fault injection", () => {
  it("aborts the configured share of requests (statistical tolerance) with flag FI", async () => {
    const up = await stack.controlled("up");
    const { proxy, p } = await proxyFor([up], {}, { filters: [{ type: "FaultInjection", faultInjection: { abort: { httpStatus: 418, percentage: 30 } } }] }, { seed: 7 });
    const results = await sendMany(400, 8, () => send({ port: p, host: "svc" }));
    const aborted = results.filter((r) => r.status === 418);
    // Binomial(400, 0.3): sd ≈ 9.2; ± 4 sd.
    expect(aborted.length).toBeGreaterThan(120 - 37);
    expect(aborted.length).toBeLessThan(120 + 37);
    expect(aborted.every((r) => r.headers["x-weft-flags"] === "FI")).toBe(true);
    expect(up.seen).toHaveLength(400 - aborted.length);
    expect(metric(proxy, "weft_faults_injected_total", { destination_service: "svc", kind: "abort" })).toBe(aborted.length);
  });

  it("delays only requests carrying the header, and answers gRPC calls with the gRPC status", async () => {
    const up = await stack.controlled("up");
    const { p } = await proxyFor(
      [up],
      {},
      {
        filters: [
          {
            type: "FaultInjection",
            faultInjection: { delay: { fixedDelayMs: 150, percentage: 100 }, abort: { grpcStatus: 8, percentage: 100 }, headers: [{ type: "Exact", name: "x-chaos", value: "me" }] },
          },
        ],
      },
    );
    let t = performance.now();
    const plain = await send({ port: p, host: "svc" });
    expect(plain.status).toBe(200);
    expect(performance.now() - t).toBeLessThan(140);
    t = performance.now();
    const targeted = await send({ port: p, host: "svc", headers: { "x-chaos": "me" } });
    // A gRPC-only abort does not apply to plain HTTP: delayed, then forwarded.
    expect(targeted.status).toBe(200);
    expect(targeted.headers["x-weft-flags"]).toBe("DI");
    expect(performance.now() - t).toBeGreaterThanOrEqual(140);
    const grpc = await send({ port: p, host: "svc", method: "POST", headers: { "x-chaos": "me", "content-type": "application/grpc" }, body: Buffer.alloc(5) });
    expect(grpc.status).toBe(200);
    expect(grpc.headers["grpc-status"]).toBe("8");
    expect(grpc.headers["x-weft-flags"]).toBe("DI,FI");
  });
});

describe("mirroring", () => {
  it("sends copies with the marker header and the -shadow host, bodies included", async () => {
    const primary = await stack.controlled("primary");
    const shadow = await stack.controlled("shadow");
    const { proxy, p } = await proxyFor([primary], {}, { filters: [{ type: "RequestMirror", requestMirror: { backend: "shadow.default" } }] }, { backends: [backend("shadow.default", [shadow])] });
    const results = await sendMany(20, 4, (i) => send({ port: p, host: "svc", method: "POST", path: `/item/${i}`, body: `body-${i}` }));
    expect(results.every((r) => r.status === 200 && r.headers["x-upstream"] === "primary")).toBe(true);
    await waitFor(() => shadow.seen.length === 20, 2000, "20 copies at the shadow");
    expect(shadow.seen.every((s) => s.headers["x-weft-mirror"] === "1" && s.headers.host === "svc-shadow")).toBe(true);
    expect(shadow.seen.map((s) => s.bodyLength).sort()).toEqual(primary.seen.map((s) => s.bodyLength).sort());
    expect(primary.seen.every((s) => s.headers["x-weft-mirror"] === undefined)).toBe(true);
    await waitFor(() => metric(proxy, "weft_mirror_requests_total", { destination_service: "shadow", result: "completed" }) === 20, 2000, "copies counted");
  });

  it("mirrors the configured share, and never a body above the buffer limit", async () => {
    const primary = await stack.controlled("primary");
    const shadow = await stack.controlled("shadow");
    const { proxy, p } = await proxyFor([primary], {}, { filters: [{ type: "RequestMirror", requestMirror: { backend: "shadow.default", percent: 25 } }] }, { backends: [backend("shadow.default", [shadow])], seed: 3 });
    await sendMany(400, 8, () => send({ port: p, host: "svc" }));
    await waitFor(() => metric(proxy, "weft_mirror_requests_total", { destination_service: "shadow", result: "completed" }) === shadow.seen.length, 2000, "copies done");
    expect(shadow.seen.length).toBeGreaterThan(100 - 35);
    expect(shadow.seen.length).toBeLessThan(100 + 35);
    const before = shadow.seen.length;
    const big = await send({ port: p, host: "svc", method: "POST", body: Buffer.alloc(100 * 1024, 1) });
    expect(big.status).toBe(200);
    expect(primary.seen.at(-1)?.bodyLength).toBe(100 * 1024);
    // A quarter of the big ones would be drawn; none may be copied.
    for (let i = 0; i < 7; i++) await send({ port: p, host: "svc", method: "POST", body: Buffer.alloc(100 * 1024, 1) });
    expect(shadow.seen.length).toBe(before);
    expect(metric(proxy, "weft_mirror_requests_total", { destination_service: "shadow", result: "too_large" })).toBeGreaterThan(0);
  });

  it("a slow, stalled or dead shadow never slows or fails the primary", async () => {
    const primary = await stack.controlled("primary");
    const slow = await stack.controlled("slow");
    slow.control.delayMs = 1000;
    const stalled = await stack.controlled("stalled");
    stalled.control.stall = true;
    const dead = await closedPort();
    const { proxy, p } = await proxyFor(
      [primary],
      {},
      {
        filters: [
          { type: "RequestMirror", requestMirror: { backend: "slow.default" } },
          { type: "RequestMirror", requestMirror: { backend: "stalled.default", maxInFlight: 2, timeoutMs: 5000 } },
          { type: "RequestMirror", requestMirror: { backend: "dead.default" } },
        ],
      },
      { backends: [backend("slow.default", [slow]), backend("stalled.default", [stalled]), backend("dead.default", [{ port: dead }])] },
    );
    const t = performance.now();
    const results = await sendMany(20, 2, () => send({ port: p, host: "svc" }));
    expect(results.every((r) => r.status === 200 && r.headers["x-weft-flags"] === undefined)).toBe(true);
    // 10 rounds of 2: a shadow's 1 s would show up as ≥ 10 s.
    expect(performance.now() - t).toBeLessThan(1500);
    expect(stalled.control.held).toBe(2);
    expect(metric(proxy, "weft_mirror_requests_total", { destination_service: "stalled", result: "dropped" })).toBe(18);
    await waitFor(() => metric(proxy, "weft_mirror_requests_total", { destination_service: "dead", result: "failed" }) === 20, 2000, "dead shadow failures counted");
  });
});
