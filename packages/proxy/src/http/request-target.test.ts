import { describe, expect, it } from "vitest";
import { parseTarget } from "./request-target.ts";

describe("parseTarget", () => {
  it.each([
    ["origin-form", "/a/b?x=1", "svc", { host: "svc", path: "/a/b", query: "x=1" }],
    ["absolute-form", "http://reviews.default:9080/a?x=1", "ignored", { host: "reviews.default:9080", path: "/a", query: "x=1" }],
    ["absolute-form without path", "http://reviews", undefined, { host: "reviews", path: "/", query: "" }],
    ["absolute-form with only a query", "http://reviews?x=1", undefined, { host: "reviews", path: "/", query: "x=1" }],
    ["upper-case scheme", "HTTP://reviews/", undefined, { host: "reviews", path: "/", query: "" }],
    ["fragment dropped", "/a#frag", "svc", { host: "svc", path: "/a", query: "" }],
    ["path kept raw (no dot-segment removal)", "/a/../b", "svc", { host: "svc", path: "/a/../b", query: "" }],
  ])("%s", (_name, url, host, expected) => {
    expect(parseTarget(url, host)).toEqual(expected);
  });

  it.each([
    ["origin-form without Host", "/a", undefined],
    ["https absolute-form", "https://svc/", "svc"],
    ["userinfo", "http://user@svc/", "svc"],
    ["asterisk-form", "*", "svc"],
    ["authority-form", "svc:80", "svc"],
    ["empty authority", "http:///a", "svc"],
  ])("refuses %s", (_name, url, host) => {
    expect(parseTarget(url, host)).toBeUndefined();
  });
});
