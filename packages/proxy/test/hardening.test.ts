import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { backend, config, port, raw, send, Stack, vhost } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

async function setup() {
  const up = await stack.upstream("up");
  const proxy = await stack.proxy(config({ backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] }));
  return { up, proxy, p: port(proxy) };
}

describe("malformed and smuggling-shaped requests", () => {
  it.each([
    ["Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\nHost: svc\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: svc\r\n\r\n"],
    ["conflicting Content-Length headers", "POST / HTTP/1.1\r\nHost: svc\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nbody"],
    ["non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: svc\r\nContent-Length: 4x\r\n\r\nbody"],
    ["obfuscated Transfer-Encoding value", "POST / HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"],
    ["chunked not last", "POST / HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"],
    ["space before the header colon", "POST / HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"],
    ["invalid chunk size", "POST / HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"],
    ["NUL in a header value", "GET / HTTP/1.1\r\nHost: svc\r\nX-A: a\0b\r\n\r\n"],
    ["bare CR in a header value", "GET / HTTP/1.1\r\nHost: svc\r\nX-A: a\rb\r\n\r\n"],
    ["obsolete line folding", "GET / HTTP/1.1\r\nHost: svc\r\nX-A: a\r\n b\r\n\r\n"],
    ["HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n"],
    ["garbage request line", "NOT HTTP AT ALL\r\n\r\n"],
    ["invalid method token", "G(T / HTTP/1.1\r\nHost: svc\r\n\r\n"],
    ["authority-form target outside CONNECT", "GET svc:80 HTTP/1.1\r\nHost: svc\r\n\r\n"],
    ["https absolute-form target", "GET https://svc/ HTTP/1.1\r\nHost: svc\r\n\r\n"],
    ["userinfo in the absolute-form target", "GET http://evil@svc/ HTTP/1.1\r\nHost: svc\r\n\r\n"],
  ])("%s → 400, nothing forwarded, still serving", async (_name, request) => {
    const { up, p } = await setup();
    const response = await raw(p, request);
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(up.seen.map((s) => s.url)).not.toContain("/smuggled");
    expect(up.seen).toHaveLength(0);
    expect((await send({ port: p, host: "svc" })).status).toBe(200);
  });

  it.each([
    ["header section over maxHeaderBytes", () => `GET / HTTP/1.1\r\nHost: svc\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
    ["more headers than maxHeaderCount", () => `GET / HTTP/1.1\r\nHost: svc\r\n${Array.from({ length: 120 }, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`, 431],
    ["URI over maxUriLength", () => `GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: svc\r\n\r\n`, 414],
  ])("%s → %i", async (_name, make, status) => {
    const { up, p, proxy } = await setup();
    const response = await raw(p, make());
    expect(response).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(response.toLowerCase()).toContain("x-weft-flags: dpe");
    expect(up.seen).toHaveLength(0);
    expect((await send({ port: p, host: "svc" })).status).toBe(200);
    expect(proxy.stats().downstream.protocolErrors).toBe(1);
  });

  it("refuses CONNECT and non-WebSocket upgrades with 501", async () => {
    const { p } = await setup();
    expect(await raw(p, "CONNECT svc:443 HTTP/1.1\r\nHost: svc:443\r\n\r\n")).toMatch(/^HTTP\/1\.1 501 /);
    expect(await raw(p, "GET / HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")).toMatch(/^HTTP\/1\.1 501 /);
    expect((await send({ port: p, host: "svc" })).status).toBe(200);
  });

  it("survives clients that vanish mid-request and mid-response", async () => {
    const { p } = await setup();
    const bigUp = await stack.upstream("big", (_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(4 * 1024 * 1024));
    });
    const proxy2 = await stack.proxy(config({ backends: [backend("big.default", [bigUp])], virtualHosts: [vhost("big", [{ backendRefs: [{ backend: "big.default" }] }])] }));
    const p2 = port(proxy2);
    for (let i = 0; i < 5; i++) {
      // Body promised, never sent.
      await new Promise<void>((resolve) => {
        const s = connect(p, "127.0.0.1", () => {
          s.write("POST / HTTP/1.1\r\nHost: svc\r\nContent-Length: 100\r\n\r\nabc");
          setTimeout(() => s.destroy(), 20);
        });
        s.on("error", () => undefined);
        s.on("close", () => resolve());
      });
      // Reads the first bytes of a large response, then disconnects.
      await new Promise<void>((resolve) => {
        const s = connect(p2, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\nHost: big\r\n\r\n"));
        s.once("data", () => s.destroy());
        s.on("error", () => undefined);
        s.on("close", () => resolve());
      });
    }
    expect((await send({ port: p, host: "svc" })).status).toBe(200);
    expect((await send({ port: p2, host: "big" })).status).toBe(200);
    await expect.poll(() => proxy2.stats().downstream.active).toBe(0);
  });
});
