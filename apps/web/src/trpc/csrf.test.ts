import { describe, expect, it } from "vitest";
import { CSRF_HEADER, csrfHeaders, readCookie } from "./csrf.ts";

describe("readCookie", () => {
  it.each([
    ["", "weft_csrf", null],
    ["weft_csrf=abc", "weft_csrf", "abc"],
    ["a=1; weft_csrf=abc%3D; b=2", "weft_csrf", "abc="],
    ["xweft_csrf=no; weft_csrf=yes", "weft_csrf", "yes"],
    ["weft_csrf=%E0%A4%A", "weft_csrf", "%E0%A4%A"],
    ["novalue; other=1", "weft_csrf", null],
  ])("%j → %s", (cookies, name, expected) => {
    expect(readCookie(cookies, name)).toBe(expected);
  });
});

describe("csrfHeaders", () => {
  it.each([
    ["weft_csrf=tok", { [CSRF_HEADER]: "tok" }],
    ["other=1", {}],
  ])("%j", (cookies, expected) => {
    expect(csrfHeaders(cookies)).toEqual(expected);
  });
});
