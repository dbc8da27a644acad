// Strict request heads on both paths (RFC 9110 / 9112): the cases issue 16
// found wrong are refused with 400 / 414, counted in
// weft_downstream_protocol_errors_total, and never reach an upstream; the
// proxy keeps serving.
import { afterEach, describe, expect, it } from "vitest";
import type { WeftProxy } from "../src/index.ts";
import { backend, config, port, raw, send, Stack, vhost } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

function protocolErrors(proxy: WeftProxy, code: string): number {
  const line = proxy
    .metricsText()
    .split("\n")
    .find((l) => l.startsWith("weft_downstream_protocol_errors_total{") && l.includes(`response_code="${code}"`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe.each([
  ["fast path", true],
  ["node:http path", false],
])("strict request heads (%s)", (_name, fastPath) => {
  async function setup() {
    const up = await stack.upstream("up");
    const proxy = await stack.proxy(config({ backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] }), { fastPath });
    return { up, proxy, p: port(proxy) };
  }

  it.each([
    ["two Host headers", 400, "GET / HTTP/1.1\r\nHost: svc\r\nHost: other\r\n\r\n"],
    ["an empty second Host", 400, "GET / HTTP/1.1\r\nHost: svc\r\nHost: \r\n\r\n"],
    ["an absolute-form target without an HTTP version (HTTP/0.9)", 400, "GET http://svc/\r\n\r\n"],
    ["a missing Host", 400, "GET / HTTP/1.1\r\n\r\n"],
    ["a request target over 16 KB", 414, `GET /${"a".repeat(17_000)} HTTP/1.1\r\nHost: svc\r\n\r\n`],
  ])("%s → %i, counted, nothing forwarded, still serving", async (_case, status, request) => {
    const { up, proxy, p } = await setup();
    const before = protocolErrors(proxy, String(status));
    const response = await raw(p, request);
    expect(response).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(response.toLowerCase()).toContain("x-weft-flags: dpe");
    expect(protocolErrors(proxy, String(status))).toBe(before + 1);
    expect(up.seen).toHaveLength(0);
    expect((await send({ port: p, host: "svc" })).status).toBe(200);
  });
});
