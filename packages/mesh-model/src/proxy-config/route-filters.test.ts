import { describe, expect, it } from "vitest";
import { HeaderModifierSchema, RouteMatchSchema, type PathModifier } from "./proxy-routes.schema.ts";
import { applyHeaderModifier, redirectLocation, rewritePath, splitHostPort, type RedirectSpec } from "./route-filters.ts";

const prefix = (value: string) => RouteMatchSchema.parse({ path: { type: "PathPrefix", value } });
const full = (replaceFullPath: string): PathModifier => ({ type: "ReplaceFullPath", replaceFullPath });
const swap = (replacePrefixMatch: string): PathModifier => ({ type: "ReplacePrefixMatch", replacePrefixMatch });

describe("rewritePath", () => {
  it.each([
    ["/foo/bar", "/foo", swap("/xyz"), "/xyz/bar"],
    ["/foo", "/foo", swap("/xyz"), "/xyz"],
    ["/foo/", "/foo", swap("/xyz"), "/xyz/"],
    ["/foo/bar", "/foo", swap("/"), "/bar"],
    ["/foo", "/foo", swap("/"), "/"],
    ["/foo/bar", "/foo/", swap("/xyz/"), "/xyz/bar"],
    ["/foo", "/", swap("/xyz"), "/xyz/foo"],
    ["/anything", "/", full("/fixed"), "/fixed"],
  ])("%s matched by %s rewritten with %o → %s", (path, matchPrefix, mod, expected) => {
    expect(rewritePath(path, prefix(matchPrefix), mod)).toBe(expected);
  });
});

describe("applyHeaderModifier", () => {
  it.each([
    ["set replaces", { a: "1" }, { set: [{ name: "A", value: "2" }] }, { a: "2" }],
    ["add appends", { a: "1" }, { add: [{ name: "a", value: "2" }] }, { a: "1, 2" }],
    ["add creates", {}, { add: [{ name: "b", value: "2" }] }, { b: "2" }],
    ["remove deletes case-insensitively", { a: "1", b: "2" }, { remove: ["A"] }, { b: "2" }],
    ["remove then set then add", { a: "1" }, { remove: ["a"], set: [{ name: "a", value: "s" }], add: [{ name: "a", value: "t" }] }, { a: "s, t" }],
    ["add Set-Cookie beside the upstream's: one more line, never comma-joined", { "set-cookie": ["a=1"] }, { add: [{ name: "Set-Cookie", value: "b=2; Path=/" }] }, { "set-cookie": ["a=1", "b=2; Path=/"] }],
    ["add Set-Cookie alone", {}, { add: [{ name: "Set-Cookie", value: "b=2" }] }, { "set-cookie": ["b=2"] }],
  ])("%s", (_name, headers, mod, expected) => {
    expect(applyHeaderModifier(headers, HeaderModifierSchema.parse(mod))).toEqual(expected);
  });

  it("does not mutate its input", () => {
    const headers = { a: "1" };
    applyHeaderModifier(headers, HeaderModifierSchema.parse({ set: [{ name: "a", value: "2" }] }));
    expect(headers).toEqual({ a: "1" });
  });
});

describe("redirectLocation", () => {
  const req = { scheme: "http" as const, host: "shop.example:8080", path: "/old/item", query: "a=1" };
  it.each<[string, RedirectSpec, string]>([
    ["keeps everything by default", {}, "http://shop.example:8080/old/item?a=1"],
    ["scheme change drops the request port", { scheme: "https" }, "https://shop.example/old/item?a=1"],
    ["explicit default port is omitted", { scheme: "https", port: 443 }, "https://shop.example/old/item?a=1"],
    ["explicit port is kept", { port: 9000 }, "http://shop.example:9000/old/item?a=1"],
    ["hostname", { hostname: "new.example" }, "http://new.example:8080/old/item?a=1"],
    ["full path", { path: full("/new") }, "http://shop.example:8080/new?a=1"],
    ["prefix path", { path: swap("/new") }, "http://shop.example:8080/new/item?a=1"],
  ])("%s", (_name, spec, expected) => {
    expect(redirectLocation(req, prefix("/old"), spec)).toBe(expected);
  });

  it.each([
    ["a", "a", undefined],
    ["a:1", "a", 1],
    ["[::1]:2", "[::1]", 2],
  ])("splitHostPort(%s)", (input, hostname, port) => {
    expect(splitHostPort(input)).toEqual({ hostname, port });
  });
});
