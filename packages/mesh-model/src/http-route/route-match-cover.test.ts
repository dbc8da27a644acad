import { describe, expect, it } from "vitest";
import type { PathMatch, RouteMatch } from "./http-route.schema.ts";
import { compareMatchPrecedence, matchCovers, matchesEqual, pathCovers } from "./route-match-cover.ts";

const prefix = (value: string): PathMatch => ({ type: "PathPrefix", value });
const exact = (value: string): PathMatch => ({ type: "Exact", value });
const regex = (value: string): PathMatch => ({ type: "RegularExpression", value });

describe("pathCovers", () => {
  it.each<[string, PathMatch | undefined, PathMatch | undefined, boolean]>([
    ["no path covers everything", undefined, regex("/x.*"), true],
    ["/ covers a prefix", prefix("/"), prefix("/api"), true],
    ["/api covers /api/v1", prefix("/api"), prefix("/api/v1"), true],
    ["/api covers /api/ (trailing slash ignored)", prefix("/api"), prefix("/api/"), true],
    ["/api/ covers /api", prefix("/api/"), prefix("/api"), true],
    ["/api does not cover /apiv2", prefix("/api"), prefix("/apiv2"), false],
    ["/api/v1 does not cover /api", prefix("/api/v1"), prefix("/api"), false],
    ["/api covers Exact /api/items", prefix("/api"), exact("/api/items"), true],
    ["/api does not cover Exact /apix", prefix("/api"), exact("/apix"), false],
    ["a prefix never covers a regex", prefix("/api"), regex("/api/.*"), false],
    ["Exact covers the same Exact", exact("/a"), exact("/a"), true],
    ["Exact does not cover a prefix", exact("/a"), prefix("/a"), false],
    ["a regex covers an Exact it matches", regex("/v[0-9]+/items"), exact("/v2/items"), true],
    ["a regex does not cover an Exact it misses", regex("/v[0-9]+/items"), exact("/v2/items/1"), false],
    ["a regex covers the same regex", regex("/a.*"), regex("/a.*"), true],
    ["a regex does not cover a different regex", regex("/a.*"), regex("/ab.*"), false],
    ["a catch-all regex covers a prefix", regex(".*"), prefix("/api"), true],
  ])("%s", (_name, outer, inner, expected) => {
    expect(pathCovers(outer, inner)).toBe(expected);
  });
});

describe("matchCovers", () => {
  it.each<[string, RouteMatch, RouteMatch, boolean]>([
    ["fewer headers cover more", { headers: [{ type: "Exact", name: "x-a", value: "1" }] }, { headers: [{ type: "Exact", name: "X-A", value: "1" }, { type: "Exact", name: "x-b", value: "2" }] }, true],
    ["more headers do not cover fewer", { headers: [{ type: "Exact", name: "x-a", value: "1" }] }, {}, false],
    ["a different header value does not cover", { headers: [{ type: "Exact", name: "x-a", value: "1" }] }, { headers: [{ type: "Exact", name: "x-a", value: "2" }] }, false],
    ["a header regex covers an exact value it matches", { headers: [{ type: "RegularExpression", name: "x-a", value: "[0-9]+" }] }, { headers: [{ type: "Exact", name: "x-a", value: "42" }] }, true],
    ["query names are case-sensitive", { queryParams: [{ type: "Exact", name: "Q", value: "1" }] }, { queryParams: [{ type: "Exact", name: "q", value: "1" }] }, false],
    ["no method covers GET", {}, { method: "GET" }, true],
    ["GET does not cover no method", { method: "GET" }, {}, false],
    ["GET does not cover POST", { method: "GET" }, { method: "POST" }, false],
  ])("%s", (_name, outer, inner, expected) => {
    expect(matchCovers(outer, inner)).toBe(expected);
  });

  it("treats header order and name case as irrelevant for equality", () => {
    const a: RouteMatch = { headers: [{ type: "Exact", name: "x-a", value: "1" }, { type: "Exact", name: "x-b", value: "2" }] };
    const b: RouteMatch = { headers: [{ type: "Exact", name: "X-B", value: "2" }, { type: "Exact", name: "X-A", value: "1" }] };
    expect(matchesEqual(a, b)).toBe(true);
    expect(matchesEqual(a, { ...b, method: "GET" })).toBe(false);
  });
});

describe("compareMatchPrecedence", () => {
  const at = (rule: number) => ({ rule, match: 0 });
  it.each<[string, RouteMatch, RouteMatch]>([
    ["Exact beats a regex", { path: exact("/a") }, { path: regex("/a") }],
    ["a regex beats a prefix", { path: regex("/a.*") }, { path: prefix("/a/b/c/d") }],
    ["a longer prefix wins", { path: prefix("/api/v1") }, { path: prefix("/api") }],
    ["a method wins a tie", { path: prefix("/api"), method: "GET" }, { path: prefix("/api") }],
    ["more headers win a tie", { headers: [{ type: "Exact", name: "a", value: "1" }] }, {}],
  ])("%s", (_name, winner, loser) => {
    expect(compareMatchPrecedence(winner, at(1), loser, at(0))).toBeLessThan(0);
    expect(compareMatchPrecedence(loser, at(0), winner, at(1))).toBeGreaterThan(0);
  });

  it("breaks full ties by rule order", () => {
    expect(compareMatchPrecedence({}, at(0), {}, at(1))).toBeLessThan(0);
  });
});
