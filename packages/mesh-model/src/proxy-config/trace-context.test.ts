import { describe, expect, it } from "vitest";
import { extractTraceContext, formatTraceparent, injectTraceContext, parseB3Single, parseTraceparent } from "./trace-context.ts";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const S = "00f067aa0ba902b7";

describe("trace context", () => {
  it.each([
    [`00-${T}-${S}-01`, { traceId: T, spanId: S, sampled: true }],
    [`00-${T}-${S}-00`, { traceId: T, spanId: S, sampled: false }],
    [`01-${T}-${S}-01-future`, { traceId: T, spanId: S, sampled: true }],
    [`00-${T.toUpperCase()}-${S}-01`, { traceId: T, spanId: S, sampled: true }],
    [`00-${"0".repeat(32)}-${S}-01`, undefined],
    [`00-${T}-${"0".repeat(16)}-01`, undefined],
    [`ff-${T}-${S}-01`, undefined],
    [`00-${T}-${S}-01-extra`, undefined],
    [`00-${T}-${S}`, undefined],
    ["garbage", undefined],
  ])("parses traceparent %s", (value, want) => {
    expect(parseTraceparent(value)).toEqual(want);
  });

  it.each([
    [`${T}-${S}-1`, { traceId: T, spanId: S, sampled: true }],
    [`${T}-${S}-0-0000000000000001`, { traceId: T, spanId: S, sampled: false }],
    [`${T}-${S}-d`, { traceId: T, spanId: S, sampled: true }],
    [`a3ce929d0e0e4736-${S}`, { traceId: `${"0".repeat(16)}a3ce929d0e0e4736`, spanId: S, sampled: true }],
    ["1", undefined],
    ["0", undefined],
  ])("parses b3 %s", (value, want) => {
    expect(parseB3Single(value)).toEqual(want);
  });

  it("prefers W3C over B3 and remembers every form that arrived", () => {
    const got = extractTraceContext({ traceparent: `00-${T}-${S}-01`, "x-b3-traceid": T, "x-b3-spanid": "1111111111111111", "x-b3-sampled": "0" });
    expect(got?.context).toEqual({ traceId: T, spanId: S, sampled: true });
    expect(got?.formats).toEqual({ w3c: true, b3Single: false, b3Multi: true });
    expect(extractTraceContext({})).toBeUndefined();
  });

  it("injects the new span in each form it arrived in", () => {
    const headers: Record<string, unknown> = { "x-b3-flags": "1" };
    const child = { traceId: T, spanId: "1234567890abcdef", sampled: true };
    injectTraceContext(headers, child, { w3c: true, b3Single: true, b3Multi: true }, S);
    expect(headers).toEqual({
      traceparent: formatTraceparent(child),
      b3: `${T}-1234567890abcdef-1-${S}`,
      "x-b3-traceid": T,
      "x-b3-spanid": "1234567890abcdef",
      "x-b3-sampled": "1",
      "x-b3-parentspanid": S,
    });
  });
});
