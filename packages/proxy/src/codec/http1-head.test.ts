import { describe, expect, it } from "vitest";
import { parseRequestHead, parseResponseHead, validHost } from "./http1-head.ts";

const LIMITS = { maxHeaderBytes: 16_384, maxHeaderCount: 100, maxUriLength: 8192 };
const req = (s: string) => parseRequestHead(Buffer.from(s, "latin1"), 0, LIMITS);

describe("parseRequestHead", () => {
  it("parses a request head, its framing and where it ends", () => {
    const text = "POST /a?b=1 HTTP/1.1\r\nHost: svc:8080\r\nContent-Length: 5\r\nX-Two: a\r\nx-two: b\r\n\r\nhello";
    const r = req(text);
    if (r.kind !== "head") throw new Error(r.kind);
    expect(r.head).toMatchObject({ method: "POST", url: "/a?b=1", httpVersion: "1.1", contentLength: 5, chunked: false, close: false, length: text.length - 5 });
    expect(r.head.headers).toEqual({ host: "svc:8080", "content-length": "5", "x-two": "a, b" });
    expect(r.head.lines.map((l) => text.slice(l.start, l.end))).toEqual(["Host: svc:8080\r\n", "Content-Length: 5\r\n", "X-Two: a\r\n", "x-two: b\r\n"]);
  });

  it.each([
    ["GET / HTTP/1.1\r\nHost: a\r\n", "no blank line yet"],
    ["GET / HTT", "version not all there"],
    ["GE", "method not all there"],
    ["\r\n\r\nGET / HTTP/1.1\r\nHost: a", "leading empty lines are skipped"],
  ])("waits for more: %j (%s)", (text) => {
    expect(req(text).kind).toBe("incomplete");
  });

  it.each<[string, string, number]>([
    ["two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["an empty second Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: \r\n\r\n", 400],
    ["a missing Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400],
    ["an invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400],
    ["HTTP/0.9", "GET http://svc/\r\n\r\n", 400],
    ["an unknown HTTP version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505],
    ["a malformed version", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400],
    ["an unknown method", "FETCH / HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["a lower-case method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["two spaces in the request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["a control character in the target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["whitespace before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", 400],
    ["a bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400],
    ["a bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r2\r\n\r\n", 400],
    ["NUL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\x002\r\n\r\n", 400],
    ["Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["two Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400],
    ["a signed Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400],
    ["chunked not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400],
    ["a transfer coding without chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400],
    ["Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["a target over maxUriLength", `GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: a\r\n\r\n`, 414],
    ["a target over maxUriLength still arriving", `GET /${"a".repeat(9000)}`, 414],
    ["a head over maxHeaderBytes", `GET / HTTP/1.1\r\nHost: a\r\nX: ${"a".repeat(17_000)}\r\n\r\n`, 431],
    ["more headers than maxHeaderCount", `GET / HTTP/1.1\r\nHost: a\r\n${"X: 1\r\n".repeat(101)}\r\n`, 431],
  ])("refuses %s with %i", (_name, text, status) => {
    const r = req(text);
    expect(r.kind).toBe("error");
    if (r.kind === "error") expect(r.status).toBe(status);
  });

  it.each([
    ["HTTP/1.0 closes unless it asks for keep-alive", "GET / HTTP/1.0\r\n\r\n", true],
    ["HTTP/1.0 with keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", false],
    ["HTTP/1.1 keeps the connection", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", false],
    ["HTTP/1.1 with Connection: close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, close\r\n\r\n", true],
  ])("%s", (_name, text, close) => {
    const r = req(text);
    expect(r.kind === "head" && r.head.close).toBe(close);
  });

  it("accepts gzip, chunked as a chunked body, and an empty Host beside an absolute-form target", () => {
    const te = req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    expect(te.kind === "head" && te.head.chunked).toBe(true);
    expect(req("GET http://svc/ HTTP/1.1\r\nHost:\r\n\r\n").kind).toBe("head");
  });
});

describe("parseResponseHead", () => {
  it("parses a status line, headers and framing", () => {
    const r = parseResponseHead(Buffer.from("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"), 0, LIMITS);
    expect(r.kind === "head" && { status: r.head.status, reason: r.head.reason, cl: r.head.contentLength, close: r.head.close, length: r.head.length }).toEqual({ status: 404, reason: "Not Found", cl: 3, close: true, length: 64 });
  });

  it.each([
    ["HTTP/1.1 200\r\n\r\n", 200],
    ["HTTP/1.1 204 \r\n\r\n", 204],
  ])("accepts a status line without a reason: %j", (text, status) => {
    const r = parseResponseHead(Buffer.from(text), 0, LIMITS);
    expect(r.kind === "head" && r.head.status).toBe(status);
  });

  it.each(["HTTP/1.1 20x OK\r\n\r\n", "ICY 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\r\nX : b\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"])(
    "refuses a malformed response head with 502: %j",
    (text) => {
      const r = parseResponseHead(Buffer.from(text), 0, LIMITS);
      expect(r.kind === "error" && r.status).toBe(502);
    },
  );
});

describe("validHost", () => {
  it.each([
    ["svc", true],
    ["svc.ns:8080", true],
    ["[::1]:80", true],
    ["10.0.0.1", true],
    ["", false],
    ["a b", false],
    ["a:b", false],
    ["[::1", false],
    ["a@b", false],
  ])("%j → %s", (host, ok) => {
    expect(validHost(host)).toBe(ok);
  });
});
