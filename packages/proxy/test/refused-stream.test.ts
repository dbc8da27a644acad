// HTTP/2 upstreams that refuse a stream unprocessed (RST_STREAM
// REFUSED_STREAM, or a GOAWAY whose last stream id is below it; RFC 9113
// §8.7): the default retry sends the request again, to another endpoint or
// on a new connection, as it does for a refused connection. Real loopback
// node:http2 servers.
import { constants as h2c, createServer, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { UNSENT_RETRY_POLICY } from "@weft/mesh-model/proxy-config";
import { afterEach, describe, expect, it } from "vitest";
import { backend, config, port, send, sendMany, Stack, vhost, type ClientResponse } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

type Rule = Parameters<typeof vhost>[1][number];
type BackendExtra = Parameters<typeof backend>[2];

interface H2Upstream {
  port: number;
  /** Requests the handler saw (a stream nghttp2 refused by itself never reaches it). */
  seen: { method: string; body: string }[];
  /** Sessions (connections) the server accepted. */
  sessions: number;
}

/** What an upstream does with a stream: `session` is the stream's connection's index (0 = first). */
type StreamHandler = (stream: ServerHttp2Stream, ctx: { method: string; session: number; index: number }) => void;

const ok: StreamHandler = (stream) => {
  stream.respond({ ":status": 200 });
  stream.end("ok");
};

/** An h2c upstream that reads each request's body before `handle` decides what to do with it. */
async function h2Upstream(handle: StreamHandler = ok, settings: { maxConcurrentStreams?: number } = {}): Promise<H2Upstream> {
  const server: Http2Server = createServer({ settings });
  const up: H2Upstream = { port: 0, seen: [], sessions: 0 };
  const sessionIndex = new WeakMap<ServerHttp2Session, number>();
  const open = new Set<ServerHttp2Session>();
  server.on("session", (s) => {
    sessionIndex.set(s, up.sessions++);
    open.add(s);
    s.on("close", () => open.delete(s));
    s.on("error", () => undefined);
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const method = String(headers[":method"]);
      up.seen.push({ method, body: Buffer.concat(chunks).toString("utf8") });
      handle(stream, { method, session: sessionIndex.get(stream.session as ServerHttp2Session) ?? -1, index: up.seen.length - 1 });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  up.port = (server.address() as AddressInfo).port;
  stack.defer(
    () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  );
  return up;
}

async function proxyFor(endpoints: { port: number }[], rule: Omit<Rule, "backendRefs"> = { retry: UNSENT_RETRY_POLICY }, extra: BackendExtra = {}) {
  const proxy = await stack.proxy(
    config({
      backends: [backend("svc.default", endpoints, { protocol: "http2", loadBalancer: { algorithm: "round-robin" }, ...extra })],
      virtualHosts: [vhost("svc", [{ ...rule, backendRefs: [{ backend: "svc.default" }] }])],
    }),
  );
  return { proxy, p: port(proxy) };
}

type Proxy = Awaited<ReturnType<typeof proxyFor>>["proxy"];

function counters(proxy: Proxy) {
  return proxy.stats().backends["svc.default"] as { retries: number; refusedStreams: number; resets: number };
}

/** weft_upstream_refused_streams_total for svc (0 when the series does not exist yet). */
function refusedMetric(proxy: Proxy): number {
  const line = proxy
    .metricsText()
    .split("\n")
    .find((l) => l.startsWith('weft_upstream_refused_streams_total{destination_service="svc"}'));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

const refuse: StreamHandler = (stream) => stream.close(h2c.NGHTTP2_REFUSED_STREAM);
const statuses = (rs: ClientResponse[]) => rs.map((r) => r.status);

describe("an HTTP/2 upstream that refuses streams (REFUSED_STREAM)", () => {
  it("serves every request from the other endpoint under the default retry, any method, counted as refused streams and retries", async () => {
    const refusing = await h2Upstream(refuse);
    const healthy = await h2Upstream();
    const { p, proxy } = await proxyFor([refusing, healthy]);
    const methods = ["GET", "POST", "DELETE", "PATCH"];
    const results = await sendMany(12, 1, (i) => send({ port: p, host: "svc", method: methods[i % methods.length] }));
    expect(statuses(results)).toEqual(Array(12).fill(200));
    expect(results.every((r) => r.headers["x-weft-flags"] === undefined)).toBe(true);
    // Round robin: every other request met the refusing endpoint first, and went again to the healthy one.
    expect(refusing.seen).toHaveLength(6);
    expect(healthy.seen).toHaveLength(12);
    expect(counters(proxy)).toMatchObject({ refusedStreams: 6, retries: 6, resets: 0 });
    expect(refusedMetric(proxy)).toBe(6);
  });

  it("answers the first request 200 when its endpoint refuses only that one and takes the retry", async () => {
    // One endpoint: the retry goes to it again (no untried one left) and it answers.
    const up = await h2Upstream((stream, { index }) => (index === 0 ? refuse(stream, { method: "", session: 0, index }) : ok(stream, { method: "", session: 0, index })));
    const { p, proxy } = await proxyFor([up]);
    expect((await send({ port: p, host: "svc" })).status).toBe(200);
    expect(up.seen).toHaveLength(2);
    expect(counters(proxy)).toMatchObject({ refusedStreams: 1, retries: 1 });
  });

  it("replays a buffered body on the other endpoint (a policy that also retries gateway errors buffers it)", async () => {
    const refusing = await h2Upstream(refuse);
    const healthy = await h2Upstream();
    const { p } = await proxyFor([refusing, healthy], {
      retry: { maxAttempts: 2, retryOn: ["refused-stream", "gateway-error"], statusCodes: [], grpcStatusCodes: [], backoff: { baseMs: 1, maxMs: 5 } },
    });
    const results = await sendMany(6, 1, (i) => send({ port: p, host: "svc", method: "POST", body: `payload-${i}` }));
    expect(statuses(results)).toEqual(Array(6).fill(200));
    expect(healthy.seen.map((s) => s.body)).toEqual(Array.from({ length: 6 }, (_, i) => `payload-${i}`));
  });

  it("does not retry a request whose body streamed to the refusing upstream under the default (it was not buffered): 503 URS", async () => {
    const refusing = await h2Upstream(refuse);
    const { p, proxy } = await proxyFor([refusing]);
    const r = await send({ port: p, host: "svc", method: "POST", body: "payload" });
    expect(r.status).toBe(503);
    expect(r.headers["x-weft-flags"]).toBe("URS");
    expect(refusing.seen).toHaveLength(1);
    expect(counters(proxy)).toMatchObject({ refusedStreams: 1, retries: 0 });
  });

  it.each([
    ["retryOn: []", { retry: { maxAttempts: 2, retryOn: [], statusCodes: [], grpcStatusCodes: [], backoff: { baseMs: 1, maxMs: 5 } } }],
    ["retryOn without refused-stream", { retry: { ...UNSENT_RETRY_POLICY, retryOn: ["connect-failure" as const] } }],
    ["no retry policy at all", {}],
  ])("lets a refused stream fail under %s: 503 URS, in the response_flags metric too", async (_name, rule) => {
    const refusing = await h2Upstream(refuse);
    const healthy = await h2Upstream();
    const { p, proxy } = await proxyFor([refusing, healthy], rule);
    const results = await sendMany(10, 1, () => send({ port: p, host: "svc" }));
    expect(results.filter((r) => r.status === 503 && r.headers["x-weft-flags"] === "URS")).toHaveLength(5);
    expect(healthy.seen).toHaveLength(5);
    expect(counters(proxy).retries).toBe(0);
    expect(proxy.metricsText()).toMatch(/response_flags="URS"[^\n]*\} 5\n/);
  });

  it("is bounded by the retry budget (503 URS,URX)", async () => {
    const refusing = await h2Upstream(refuse);
    const healthy = await h2Upstream();
    const { p } = await proxyFor([refusing, healthy], { retry: UNSENT_RETRY_POLICY }, { policy: { retryBudget: { ratio: 0, minRetriesPerSecond: 0, windowMs: 60_000 } } });
    const results = await sendMany(10, 1, () => send({ port: p, host: "svc" }));
    expect(results.filter((r) => r.status === 503).map((r) => r.headers["x-weft-flags"])).toEqual(Array(5).fill("URS,URX"));
  });
});

describe("an HTTP/2 upstream over its SETTINGS_MAX_CONCURRENT_STREAMS", () => {
  it("serves every request of a burst: the streams refused in the connection's first flight, before the limit was known, go again and wait for a free stream", async () => {
    // Streams sent in the connection's first flight, before the server's
    // SETTINGS arrived, are over its limit of 1 and refused by nghttp2; the
    // retries wait for a free stream on the same connection.
    const releases: (() => void)[] = [];
    let held = 0;
    const up = await h2Upstream(
      (stream) => {
        held++;
        releases.push(() => ok(stream, { method: "", session: 0, index: 0 }));
      },
      { maxConcurrentStreams: 1 },
    );
    const { p, proxy } = await proxyFor([up], { retry: { ...UNSENT_RETRY_POLICY, maxAttempts: 10 } });
    // A downstream HTTP/2 connection carries the burst in one write, so the proxy opens its upstream streams together.
    const { connect } = await import("node:http2");
    const client = connect(`http://127.0.0.1:${p}`);
    client.on("error", () => undefined);
    stack.defer(() => void client.destroy());
    const one = () =>
      new Promise<number>((resolve, reject) => {
        const s = client.request({ ":path": "/", ":authority": "svc" });
        s.on("response", (h) => {
          s.resume();
          s.on("end", () => resolve(Number(h[":status"])));
        });
        s.on("error", reject);
        s.end();
      });
    const burst = Promise.all(Array.from({ length: 4 }, one));
    // Answer the held streams one by one as they arrive (the server takes one at a time).
    const timer = setInterval(() => releases.splice(0).forEach((r) => r()), 5);
    try {
      expect(await burst).toEqual([200, 200, 200, 200]);
    } finally {
      clearInterval(timer);
    }
    expect(held).toBe(4);
    expect(counters(proxy).refusedStreams).toBeGreaterThan(0);
    expect(counters(proxy).retries).toBe(counters(proxy).refusedStreams);
  });
});

describe("an HTTP/2 upstream that sends GOAWAY", () => {
  /**
   * An upstream whose first connection, once it holds two streams, sends
   * GOAWAY with the first one's id as the last stream (the second was not
   * processed), then answers the first; later connections answer at once.
   */
  async function goingAway(code: number) {
    let first: ServerHttp2Stream | undefined;
    return h2Upstream((stream, ctx) => {
      if (ctx.session !== 0) return ok(stream, ctx);
      if (!first) {
        first = stream;
        return;
      }
      stream.session?.goaway(code, first.id ?? 1);
      ok(first, ctx);
    });
  }

  it("retries the stream above a graceful GOAWAY's last stream id on a new connection: both callers get 200", async () => {
    const up = await goingAway(h2c.NGHTTP2_NO_ERROR);
    const { p, proxy } = await proxyFor([up]);
    const results = await Promise.all([send({ port: p, host: "svc", method: "POST" }), send({ port: p, host: "svc", method: "POST" })]);
    expect(statuses(results)).toEqual([200, 200]);
    expect(up.sessions).toBe(2);
    expect(counters(proxy)).toMatchObject({ refusedStreams: 1, retries: 1, resets: 0 });
    expect(refusedMetric(proxy)).toBe(1);
  });

  it("with an error code (ENHANCE_YOUR_CALM), retries the stream above the last stream id and fails the one at it (it may have been processed): 502 UR", async () => {
    const up = await goingAway(h2c.NGHTTP2_ENHANCE_YOUR_CALM);
    const { p, proxy } = await proxyFor([up]);
    const results = await Promise.all([send({ port: p, host: "svc", method: "POST" }), send({ port: p, host: "svc", method: "POST" })]);
    expect(results.map((r) => `${r.status} ${r.headers["x-weft-flags"] ?? "-"}`).sort()).toEqual(["200 -", "502 UR"]);
    expect(counters(proxy)).toMatchObject({ refusedStreams: 1, retries: 1, resets: 1 });
  });
});

describe("an HTTP/2 upstream that processed the request and then reset it", () => {
  it("does not send a POST twice after INTERNAL_ERROR before the response headers: 502 UR", async () => {
    const up = await h2Upstream((stream) => stream.close(h2c.NGHTTP2_INTERNAL_ERROR));
    const other = await h2Upstream();
    const { p, proxy } = await proxyFor([up, other]);
    const r = await send({ port: p, host: "svc", method: "POST", body: "charge-card" });
    expect(r.status).toBe(502);
    expect(r.headers["x-weft-flags"]).toBe("UR");
    expect(up.seen).toEqual([{ method: "POST", body: "charge-card" }]);
    expect(other.seen).toHaveLength(0);
    expect(counters(proxy)).toMatchObject({ refusedStreams: 0, retries: 0, resets: 1 });
  });

  it("does not send a POST twice after INTERNAL_ERROR after the response headers: the caller's response is cut", async () => {
    const up = await h2Upstream((stream) => {
      stream.respond({ ":status": 200 });
      stream.write("partial");
      stream.close(h2c.NGHTTP2_INTERNAL_ERROR);
    });
    const other = await h2Upstream();
    const { p, proxy } = await proxyFor([up, other]);
    const outcome = await send({ port: p, host: "svc", method: "POST", body: "charge-card" }).then(
      (r) => `complete ${r.status}`,
      () => "cut",
    );
    expect(outcome).toBe("cut");
    expect(up.seen).toHaveLength(1);
    expect(other.seen).toHaveLength(0);
    expect(counters(proxy)).toMatchObject({ refusedStreams: 0, retries: 0 });
  });
});
