// Bounded property tests: random bytes, random header sets and random HTTP/2
// frames against the listeners. The proxy must answer sanely or close, never
// crash, and keep serving. Deterministic: fixed seed, bounded runs.
import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WeftProxy } from "../src/index.ts";
import { backend, config, port, send, Stack, vhost } from "./harness.ts";

const SEED = 20_240_601;
const stack = new Stack();
let proxy: WeftProxy;
let p: number;

beforeAll(async () => {
  const up = await stack.upstream("up");
  proxy = await stack.proxy(
    config({
      backends: [backend("svc.default", [up])],
      virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }], retry: { maxAttempts: 2 } }])],
      limits: { maxHeaderCount: 20, maxHeaderBytes: 4096, maxUriLength: 512 },
    }),
  );
  p = port(proxy);
});
afterAll(() => stack.close());

/** Writes `data`, collects what comes back until the proxy closes or 300 ms of silence. */
function exchange(data: Uint8Array | string, silenceMs = 300): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(p, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.setTimeout(silenceMs, () => socket.destroy());
    socket.write(data);
  });
}

async function stillServing(): Promise<void> {
  expect(proxy.ready()).toBe(true);
  expect((await send({ port: p, host: "svc" })).status).toBe(200);
}

const tokenChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~".split(""));
const anyChar = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const headerName = fc.oneof(
  fc.string({ unit: tokenChar, minLength: 1, maxLength: 40 }),
  fc.constantFrom("content-length", "transfer-encoding", "connection", "upgrade", "host", "te", "expect", "traceparent", "b3", "grpc-timeout", "content-type"),
  fc.string({ unit: anyChar, minLength: 0, maxLength: 20 }),
);
const headerValue = fc.oneof(
  fc.string({ unit: anyChar, maxLength: 80 }),
  fc.constantFrom("chunked", "0", "-1", "10", "close", "keep-alive", "websocket", "gzip, chunked", "application/grpc", "100m", "00-zz-00-01", " 5", "5 , 6"),
);

describe("fuzzing the listeners", () => {
  it("survives random bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), async (bytes) => {
        const reply = await exchange(bytes);
        expect(reply === "" || reply.startsWith("HTTP/1.1 ")).toBe(true);
      }),
      { seed: SEED, numRuns: 120 },
    );
    await stillServing();
  });

  it("survives random header sets on a valid request line", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "HEAD", "OPTIONS", "DELETE", "BREW"),
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 30 }),
        fc.string({ unit: anyChar, maxLength: 64 }),
        async (method, headers, body) => {
          const head = headers.map(([n, v]) => `${n}: ${v}\r\n`).join("");
          const reply = await exchange(`${method} /fuzz HTTP/1.1\r\nHost: svc\r\n${head}\r\n${body}`);
          if (reply !== "") expect(reply).toMatch(/^HTTP\/1\.1 [1-5]\d\d /);
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
    await stillServing();
  });

  it("survives random bytes after the HTTP/2 preface", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 1024 }), async (bytes) => {
        // Incomplete frames leave the session waiting: 50 ms of silence ends a run.
        await exchange(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), bytes]), 50);
      }),
      { seed: SEED, numRuns: 60 },
    );
    await stillServing();
  }, 20_000);
});
