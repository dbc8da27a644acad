// Rate limits on inbound listeners: local token buckets, and a global limit
// shared by two proxies through the Redis on 127.0.0.1:6379 (CI has it; the
// suite fails, loudly, without it). Each run uses its own key prefix and
// deletes its keys afterwards.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { closedPort, config, port, send, sendMany, Stack } from "./harness.ts";

const REDIS = "127.0.0.1:6379";
const PREFIX = `weft-test:${randomUUID()}:`;
const stack = new Stack();
let redis: Redis;

beforeAll(async () => {
  redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis is required at ${REDIS} for the global rate-limit tests (CI runs one; locally: apt-get install redis-server && redis-server --daemonize yes): ${String(err)}`);
  }
});
afterEach(() => stack.close());
afterAll(async () => {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${PREFIX}*`, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

type RateLimitsInput = NonNullable<ProxyConfigInput["rateLimits"]>;

async function inboundProxy(rateLimits: RateLimitsInput, appPort: number) {
  const proxy = await stack.proxy(
    config({
      listeners: [
        { kind: "inbound", name: "inbound", port: 0, app: { port: appPort } },
        { kind: "admin", name: "admin", port: 0 },
      ],
    }) as ProxyConfigInput & { rateLimits?: RateLimitsInput },
  );
  const applied = await proxy.applyConfig({ ...proxy.config, version: "v2", rateLimits });
  if (!applied.ok) throw new Error(applied.reason);
  return { proxy, p: port(proxy, "inbound") };
}

describe("local rate limits", () => {
  it("a token bucket per header value: burst, then 429 with Retry-After and RateLimit-* headers", async () => {
    const app = await stack.upstream("app");
    const { proxy, p } = await inboundProxy({ local: [{ name: "per-user", key: { type: "header", name: "x-user" }, tokensPerFill: 1, fillIntervalMs: 60_000, burst: 3 }] }, app.port);
    const alice = await sendMany(5, 1, () => send({ port: p, headers: { "x-user": "alice" } }));
    expect(alice.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    const limited = alice[3];
    expect(limited?.headers["x-weft-flags"]).toBe("RL");
    expect(limited?.headers["ratelimit-limit"]).toBe("3");
    expect(limited?.headers["ratelimit-remaining"]).toBe("0");
    const reset = Number(limited?.headers["ratelimit-reset"]);
    expect(reset).toBeGreaterThan(50);
    expect(reset).toBeLessThanOrEqual(60);
    expect(limited?.headers["retry-after"]).toBe(String(reset));
    // Another value has its own bucket; no header, no limit.
    expect((await send({ port: p, headers: { "x-user": "bob" } })).status).toBe(200);
    expect((await sendMany(6, 1, () => send({ port: p }))).every((r) => r.status === 200)).toBe(true);
    expect(proxy.metricsText()).toContain('weft_rate_limited_total{listener="inbound",limit="per-user",decision="over_limit"} 2');
  });

  it("refills at the configured rate", async () => {
    const app = await stack.upstream("app");
    const { p } = await inboundProxy({ local: [{ name: "all", key: { type: "all" }, tokensPerFill: 10, fillIntervalMs: 1000, burst: 10 }] }, app.port);
    const first = await sendMany(15, 1, () => send({ port: p }));
    // The burst, plus what refilled while these were sent.
    const burst = first.filter((r) => r.status === 200).length;
    expect(burst).toBeGreaterThanOrEqual(10);
    expect(burst).toBeLessThanOrEqual(12);
    await new Promise((r) => setTimeout(r, 350));
    // ~3.5 tokens back after 350 ms (10/s); generous bounds for a slow machine.
    const again = await sendMany(10, 1, () => send({ port: p }));
    const ok = again.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(ok).toBeLessThanOrEqual(7);
  });

  it("per route rule: each rule has its own bucket, other paths are not limited", async () => {
    const app = await stack.upstream("app");
    const { p } = await inboundProxy(
      {
        local: [
          {
            name: "routes",
            key: {
              type: "route",
              rules: [
                { id: "shop/api/search", matches: [{ path: { type: "PathPrefix", value: "/search" } }] },
                { id: "shop/api/cart", matches: [{ path: { type: "PathPrefix", value: "/cart" } }] },
              ],
            },
            tokensPerFill: 1,
            fillIntervalMs: 60_000,
            burst: 2,
          },
        ],
      },
      app.port,
    );
    const statuses = async (path: string) => (await sendMany(3, 1, () => send({ port: p, path }))).map((r) => r.status);
    expect(await statuses("/search?q=1")).toEqual([200, 200, 429]);
    expect(await statuses("/cart/1")).toEqual([200, 200, 429]);
    expect(await statuses("/other")).toEqual([200, 200, 200]);
  });
});

describe("global rate limits (Redis)", () => {
  it("two proxies share one budget", async () => {
    const app = await stack.upstream("app");
    const limits: RateLimitsInput = {
      global: { redis: { address: REDIS }, domain: "shop/reviews", keyPrefix: PREFIX, timeoutMs: 500, limits: [{ name: "all", key: { type: "all" }, requests: 20, windowMs: 60_000 }] },
    };
    const a = await inboundProxy(limits, app.port);
    const b = await inboundProxy(limits, app.port);
    const results = await sendMany(60, 6, (i) => send({ port: i % 2 === 0 ? a.p : b.p }));
    const ok = results.filter((r) => r.status === 200);
    // The Lua script is atomic: exactly the budget passes, whichever proxy takes it.
    expect(ok).toHaveLength(20);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(40);
    expect(limited.every((r) => r.headers["x-weft-flags"] === "RL" && r.headers["ratelimit-limit"] === "20" && Number(r.headers["retry-after"]) > 0)).toBe(true);
    // Both proxies served some of the budget.
    expect(new Set(results.map((r, i) => (r.status === 200 ? i % 2 : -1)).filter((x) => x >= 0)).size).toBe(2);
    const keys = await redis.keys(`${PREFIX}shop/reviews:all:*`);
    expect(keys).toHaveLength(1);
  });

  it("falls back by failOpen when Redis is unreachable, without stalling the request", async () => {
    const app = await stack.upstream("app");
    const dead = await closedPort();
    const global = (failOpen: boolean): RateLimitsInput => ({
      global: { redis: { address: `127.0.0.1:${dead}` }, domain: "shop/reviews", keyPrefix: PREFIX, failOpen, timeoutMs: 50, limits: [{ name: "all", key: { type: "all" }, requests: 1, windowMs: 1000 }] },
    });
    const open = await inboundProxy(global(true), app.port);
    const t = performance.now();
    expect((await sendMany(5, 1, () => send({ port: open.p }))).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(performance.now() - t).toBeLessThan(1000);
    expect(open.proxy.metricsText()).toContain('decision="redis_error_allowed"} 5');
    const closed = await inboundProxy(global(false), app.port);
    const res = await send({ port: closed.p });
    expect(res.status).toBe(429);
    expect(res.headers["x-weft-flags"]).toBe("RLSE");
  });
});
