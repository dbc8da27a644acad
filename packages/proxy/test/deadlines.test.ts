// Deadlines and queues that hold (issue 16), on both request paths: a
// request waiting for a connection keeps its own timeout, a client that
// gives up while queued frees its pending slot and the endpoint's in-flight
// count at once, and the retry backoff never sleeps past the deadline (the
// answer is then 504 UT, always the same flags). No timing assertions:
// each case is ordered so that the old behaviour never answers (the test's
// own timeout fails it) or answers differently.
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { WeftProxy } from "../src/index.ts";
import { backend, config, port, send, Stack, vhost, waitFor, type ClientResponse } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

type BackendExtra = Parameters<typeof backend>[2];
type Rule = Parameters<typeof vhost>[1][number];

function breaker(proxy: WeftProxy): { requests: number; pending: number } {
  const b = (proxy.stats().backends["svc.default"] as { breaker: { requests: number; pending: number } }).breaker;
  return { requests: b.requests, pending: b.pending };
}

function inflight(proxy: WeftProxy): number {
  return (proxy.stats().backends["svc.default"] as { endpoints: { inflight: number }[] }).endpoints.reduce((n, e) => n + e.inflight, 0);
}

describe.each([
  ["fast path", true],
  ["node:http path", false],
])("deadlines and queues (%s)", (_name, fastPath) => {
  async function setup(extra: BackendExtra, rules: Omit<Rule, "backendRefs">[], seed?: number) {
    const up = await stack.controlled("up");
    const proxy = await stack.proxy(
      config({
        backends: [backend("svc.default", [up], extra)],
        virtualHosts: [vhost("svc", rules.map((r) => ({ ...r, backendRefs: [{ backend: "svc.default" }] })))],
      }),
      { fastPath, ...(seed !== undefined ? { random: () => seed } : {}) },
    );
    return { up, proxy, p: port(proxy) };
  }

  it("a request waiting for a connection answers 504 UT at its own timeout, while the connection is still held", async () => {
    const { up, proxy, p } = await setup({ policy: { circuitBreaker: { maxConnections: 1 } } }, [
      { matches: [{ path: { type: "PathPrefix", value: "/hold" } }] },
      { matches: [{ path: { type: "PathPrefix", value: "/quick" } }], timeouts: { requestMs: 300 } },
    ]);
    up.control.stall = true;
    const held = send({ port: p, host: "svc", path: "/hold" });
    await waitFor(() => up.control.held === 1, 5000, "the first request holds the only connection");
    const quick = await send({ port: p, host: "svc", path: "/quick" });
    expect(quick.status).toBe(504);
    expect(quick.headers["x-weft-flags"]).toBe("UT");
    // The only connection was still busy: the 504 came from the request's own deadline.
    expect(up.control.held).toBe(1);
    expect(breaker(proxy).pending).toBe(0);
    up.control.release();
    expect((await held).status).toBe(200);
  });

  it("a client that gives up while queued frees its pending slot and the endpoint's in-flight count at once", async () => {
    const { up, proxy, p } = await setup({ policy: { circuitBreaker: { maxConnections: 1, maxPendingRequests: 1 } } }, [{}]);
    up.control.stall = true;
    const held = send({ port: p, host: "svc", path: "/hold" });
    await waitFor(() => up.control.held === 1, 5000, "the first request holds the only connection");
    // A second client queues for the connection, then leaves.
    const leaving = request({ host: "127.0.0.1", port: p, path: "/leaves", headers: { host: "svc" }, agent: false });
    leaving.on("error", () => undefined);
    leaving.end();
    await waitFor(() => breaker(proxy).pending === 1, 5000, "the second request is pending");
    expect(inflight(proxy)).toBe(2);
    leaving.destroy();
    await waitFor(() => breaker(proxy).pending === 0 && inflight(proxy) === 1, 5000, "the cancelled request left the queue");
    // The pending slot is free again: the next request queues instead of being refused 503 UO.
    const next = send({ port: p, host: "svc", path: "/next" });
    await waitFor(() => breaker(proxy).pending === 1, 5000, "the next request is pending, not refused");
    up.control.release();
    const answers: ClientResponse[] = await Promise.all([held, next]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(up.seen.map((s) => s.url)).not.toContain("/leaves");
  });

  it("the retry backoff never sleeps past the request deadline, and the answer is 504 UT every time", async () => {
    // random() = 0.99: every backoff draws nearly its whole 30 s ceiling.
    const { up, p } = await setup({}, [{ timeouts: { requestMs: 300 }, retry: { maxAttempts: 5, retryOn: ["5xx"], backoff: { baseMs: 30_000, maxMs: 30_000 } } }], 0.99);
    up.control.status = 503;
    for (let i = 0; i < 3; i++) {
      const r = await send({ port: p, host: "svc", path: `/r${i}` });
      expect(r.status).toBe(504);
      expect(r.headers["x-weft-flags"]).toBe("UT");
    }
    // One attempt each: the backoff was cut at the deadline instead of being slept.
    expect(up.seen).toHaveLength(3);
  });
});
