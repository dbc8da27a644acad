import { describe, expect, it } from "vitest";
import { ChunkedScanner } from "./chunked.ts";

function scanAll(parts: string[]): { done: boolean; consumed: number; error?: string } {
  const s = new ChunkedScanner();
  let consumed = 0;
  for (const p of parts) {
    const r = s.scan(Buffer.from(p, "latin1"));
    if (r.kind === "error") return { done: false, consumed, error: r.reason };
    consumed += r.consumed;
    if (r.kind === "done") return { done: true, consumed };
  }
  return { done: false, consumed };
}

describe("ChunkedScanner", () => {
  it.each<[string, string[], boolean, number]>([
    ["one chunk", ["5\r\nhello\r\n0\r\n\r\n"], true, 15],
    ["split anywhere", ["5\r", "\nhel", "lo\r\n0", "\r\n", "\r\n"], true, 15],
    ["extensions and trailers", ['3;name="v"\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n'], true, 32],
    ["upper-case hex", ["A\r\n0123456789\r\n0\r\n\r\n"], true, 20],
    ["stops at the end: the rest is the next message", ["0\r\n\r\nGET / HTTP/1.1\r\n"], true, 5],
    ["not finished yet", ["5\r\nhel"], false, 6],
  ])("%s", (_name, parts, done, consumed) => {
    expect(scanAll(parts)).toEqual({ done, consumed });
  });

  it.each([
    ["a non-hex size", "zz\r\nhello\r\n0\r\n\r\n"],
    ["a size with a sign", "+5\r\nhello\r\n0\r\n\r\n"],
    ["a size over 15 hex digits", "1000000000000000\r\n"],
    ["data longer than its size", "3\r\nhello\r\n0\r\n\r\n"],
    ["a bare LF after the size", "5\nhello\r\n0\r\n\r\n"],
    ["a bare CR after the data", "5\r\nhello\r0\r\n\r\n"],
    ["a control character in an extension", "5;a\x01\r\nhello\r\n0\r\n\r\n"],
    ["a trailer starting with a space", "0\r\n X: 1\r\n\r\n"],
    ["an extension without a name", "5;\r\nhello\r\n0\r\n\r\n"],
    ["a trailer without a colon", "0\r\na\r\n0\r\n\r\n"],
  ])("refuses %s", (_name, body) => {
    expect(scanAll([body]).error).toBeDefined();
  });
});
