import { describe, expect, it } from "vitest";
import { HttpRouteEntrySchema, VirtualHostSchema, type HttpRouteEntry } from "./proxy-routes.schema.ts";
import type { z } from "zod";
import { buildHostTable, matchRoute, normalizeHost, pathPrefixMatches, type RouteRequest } from "./route-match.ts";

type RouteInput = z.input<typeof HttpRouteEntrySchema>;
type MatchInput = NonNullable<NonNullable<RouteInput["rules"][number]["matches"]>[number]>;

function route(name: string, matches: MatchInput[][], opts: { namespace?: string; created?: string } = {}): HttpRouteEntry {
  return HttpRouteEntrySchema.parse({
    name,
    namespace: opts.namespace ?? "default",
    creationTimestamp: opts.created ?? "2024-01-01T00:00:00Z",
    rules: matches.map((m, i) => ({ name: `${name}-r${i}`, matches: m })),
  });
}

function request(url: string, init: { method?: string; headers?: Record<string, string> } = {}): RouteRequest {
  const u = new URL(url, "http://x");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  return { method: init.method ?? "GET", path: u.pathname, headers, query: u.searchParams };
}

function winner(routes: HttpRouteEntry[], req: RouteRequest): string | undefined {
  const sel = matchRoute(routes, req);
  return sel ? `${sel.route.name}/${sel.rule.name ?? sel.ruleIndex}` : undefined;
}

describe("pathPrefixMatches", () => {
  it.each([
    ["/", "/", true],
    ["/", "/anything/at/all", true],
    ["/abc", "/abc", true],
    ["/abc", "/abc/", true],
    ["/abc", "/abc/def", true],
    ["/abc", "/abcd", false],
    ["/abc/", "/abc", true],
    ["/abc/", "/abc/def", true],
    ["/abc/", "/abcd", false],
    ["/abc", "/ab", false],
    ["/abc", "/ABC", false],
  ])("prefix %s against %s → %s", (prefix, path, expected) => {
    expect(pathPrefixMatches(prefix, path)).toBe(expected);
  });
});

describe("match kinds", () => {
  type Case = [string, MatchInput, RouteRequest, boolean];
  const cases: Case[] = [
    ["Exact path hit", { path: { type: "Exact", value: "/a" } }, request("/a"), true],
    ["Exact path with trailing slash misses", { path: { type: "Exact", value: "/a" } }, request("/a/"), false],
    ["Exact path ignores query", { path: { type: "Exact", value: "/a" } }, request("/a?x=1"), true],
    ["PathPrefix hit", { path: { type: "PathPrefix", value: "/api" } }, request("/api/v1"), true],
    ["PathPrefix miss on partial element", { path: { type: "PathPrefix", value: "/api" } }, request("/apis"), false],
    ["default match is PathPrefix /", {}, request("/whatever"), true],
    ["RegularExpression hit", { path: { type: "RegularExpression", value: "/users/[0-9]+" } }, request("/users/42"), true],
    ["RegularExpression is anchored (suffix)", { path: { type: "RegularExpression", value: "/users/[0-9]+" } }, request("/users/42/x"), false],
    ["RegularExpression is anchored (prefix)", { path: { type: "RegularExpression", value: "/users" } }, request("/x/users"), false],
    ["header Exact hit", { headers: [{ type: "Exact", name: "x-env", value: "canary" }] }, request("/", { headers: { "X-Env": "canary" } }), true],
    ["header name is case-insensitive", { headers: [{ type: "Exact", name: "X-ENV", value: "canary" }] }, request("/", { headers: { "x-env": "canary" } }), true],
    ["header value is case-sensitive", { headers: [{ type: "Exact", name: "x-env", value: "canary" }] }, request("/", { headers: { "x-env": "Canary" } }), false],
    ["header absent misses", { headers: [{ type: "Exact", name: "x-env", value: "canary" }] }, request("/"), false],
    ["header RegularExpression hit", { headers: [{ type: "RegularExpression", name: "x-user", value: "user-[a-f]+" }] }, request("/", { headers: { "x-user": "user-abc" } }), true],
    ["header RegularExpression anchored", { headers: [{ type: "RegularExpression", name: "x-user", value: "user-[a-f]+" }] }, request("/", { headers: { "x-user": "xuser-abc" } }), false],
    ["all headers must match", { headers: [{ type: "Exact", name: "a", value: "1" }, { type: "Exact", name: "b", value: "2" }] }, request("/", { headers: { a: "1", b: "3" } }), false],
    ["query Exact hit", { queryParams: [{ type: "Exact", name: "debug", value: "1" }] }, request("/?debug=1"), true],
    ["query Exact miss", { queryParams: [{ type: "Exact", name: "debug", value: "1" }] }, request("/?debug=2"), false],
    ["query name is case-sensitive", { queryParams: [{ type: "Exact", name: "debug", value: "1" }] }, request("/?DEBUG=1"), false],
    ["query first occurrence counts", { queryParams: [{ type: "Exact", name: "v", value: "1" }] }, request("/?v=2&v=1"), false],
    ["query RegularExpression hit", { queryParams: [{ type: "RegularExpression", name: "id", value: "[0-9]{3}" }] }, request("/?id=123"), true],
    ["query RegularExpression anchored", { queryParams: [{ type: "RegularExpression", name: "id", value: "[0-9]{3}" }] }, request("/?id=1234"), false],
    ["method hit", { method: "POST" }, request("/", { method: "POST" }), true],
    ["method miss", { method: "POST" }, request("/", { method: "GET" }), false],
    ["all conditions combined", { path: { type: "Exact", value: "/p" }, method: "PUT", headers: [{ type: "Exact", name: "h", value: "v" }], queryParams: [{ type: "Exact", name: "q", value: "w" }] }, request("/p?q=w", { method: "PUT", headers: { h: "v" } }), true],
  ];
  it.each(cases)("%s", (_name, match, req, expected) => {
    expect(matchRoute([route("r", [[match]])], req) !== undefined).toBe(expected);
  });
});

describe("Gateway API precedence", () => {
  type Case = [string, HttpRouteEntry[], RouteRequest, string];
  const cases: Case[] = [
    [
      "Exact path beats a longer prefix",
      [route("prefix", [[{ path: { type: "PathPrefix", value: "/a/b/c" } }]]), route("exact", [[{ path: { type: "Exact", value: "/a/b/c" } }]])],
      request("/a/b/c"),
      "exact/exact-r0",
    ],
    [
      "Exact path beats a prefix with more headers",
      [route("prefix", [[{ path: { type: "PathPrefix", value: "/a" }, headers: [{ type: "Exact", name: "h", value: "1" }] }]]), route("exact", [[{ path: { type: "Exact", value: "/a" } }]])],
      request("/a", { headers: { h: "1" } }),
      "exact/exact-r0",
    ],
    [
      "longest prefix wins",
      [route("short", [[{ path: { type: "PathPrefix", value: "/api" } }]]), route("long", [[{ path: { type: "PathPrefix", value: "/api/v1" } }]])],
      request("/api/v1/users"),
      "long/long-r0",
    ],
    [
      "longest prefix beats method and headers",
      [route("short", [[{ path: { type: "PathPrefix", value: "/api" }, method: "GET", headers: [{ type: "Exact", name: "h", value: "1" }] }]]), route("long", [[{ path: { type: "PathPrefix", value: "/api/v1" } }]])],
      request("/api/v1", { headers: { h: "1" } }),
      "long/long-r0",
    ],
    [
      "trailing slash does not lengthen a prefix (older route wins the tie)",
      [route("slash", [[{ path: { type: "PathPrefix", value: "/api/" } }]], { created: "2024-02-01T00:00:00Z" }), route("plain", [[{ path: { type: "PathPrefix", value: "/api" } }]])],
      request("/api/x"),
      "plain/plain-r0",
    ],
    [
      "method match beats more headers",
      [route("headers", [[{ headers: [{ type: "Exact", name: "a", value: "1" }, { type: "Exact", name: "b", value: "2" }] }]]), route("method", [[{ method: "GET" }]])],
      request("/", { headers: { a: "1", b: "2" } }),
      "method/method-r0",
    ],
    [
      "most header matches wins",
      [route("one", [[{ headers: [{ type: "Exact", name: "a", value: "1" }] }]]), route("two", [[{ headers: [{ type: "Exact", name: "a", value: "1" }, { type: "Exact", name: "b", value: "2" }] }]])],
      request("/", { headers: { a: "1", b: "2" } }),
      "two/two-r0",
    ],
    [
      "more headers beat more query params",
      [route("query", [[{ queryParams: [{ type: "Exact", name: "a", value: "1" }, { type: "Exact", name: "b", value: "2" }] }]]), route("header", [[{ headers: [{ type: "Exact", name: "h", value: "1" }] }]])],
      request("/?a=1&b=2", { headers: { h: "1" } }),
      "header/header-r0",
    ],
    [
      "most query matches wins",
      [route("one", [[{ queryParams: [{ type: "Exact", name: "a", value: "1" }] }]]), route("two", [[{ queryParams: [{ type: "Exact", name: "a", value: "1" }, { type: "RegularExpression", name: "b", value: "\\d" }] }]])],
      request("/?a=1&b=2"),
      "two/two-r0",
    ],
    [
      "oldest route wins a full tie",
      [route("newer", [[{}]], { created: "2024-06-01T00:00:00Z" }), route("older", [[{}]], { created: "2023-01-01T00:00:00Z" })],
      request("/"),
      "older/older-r0",
    ],
    [
      "creation time compares instants, not strings",
      [route("a", [[{}]], { created: "2024-01-01T01:00:00+02:00" }), route("b", [[{}]], { created: "2024-01-01T00:00:00Z" })],
      request("/"),
      "a/a-r0",
    ],
    [
      "same age: namespace/name alphabetically",
      [route("zeta", [[{}]], { namespace: "alpha" }), route("alpha", [[{}]], { namespace: "beta" })],
      request("/"),
      "zeta/zeta-r0",
    ],
    [
      "same namespace: name alphabetically",
      [route("b-route", [[{}]]), route("a-route", [[{}]])],
      request("/"),
      "a-route/a-route-r0",
    ],
    [
      "within a route, the first matching rule",
      [route("r", [[{ path: { type: "PathPrefix", value: "/x" } }], [{ path: { type: "PathPrefix", value: "/x" } }]])],
      request("/x"),
      "r/r-r0",
    ],
    [
      "within a route, a more specific later rule still wins by precedence",
      [route("r", [[{ path: { type: "PathPrefix", value: "/" } }], [{ path: { type: "Exact", value: "/x" } }]])],
      request("/x"),
      "r/r-r1",
    ],
    [
      "precedence is per match: a rule's specific match wins over another rule's general one",
      [route("r", [[{ path: { type: "PathPrefix", value: "/" } }], [{ path: { type: "PathPrefix", value: "/nope" } }, { path: { type: "PathPrefix", value: "/y" } }]])],
      request("/y/1"),
      "r/r-r1",
    ],
    [
      "non-matching higher-precedence candidates are skipped",
      [route("exact", [[{ path: { type: "Exact", value: "/a" }, method: "POST" }]]), route("prefix", [[{ path: { type: "PathPrefix", value: "/a" } }]])],
      request("/a", { method: "GET" }),
      "prefix/prefix-r0",
    ],
    [
      "regular expression ranks between Exact and PathPrefix",
      [route("prefix", [[{ path: { type: "PathPrefix", value: "/users/1" } }]]), route("regex", [[{ path: { type: "RegularExpression", value: "/users/\\d+" } }]])],
      request("/users/1"),
      "regex/regex-r0",
    ],
  ];
  it.each(cases)("%s", (_name, routes, req, expected) => {
    expect(winner(routes, req)).toBe(expected);
    // Declaration order of routes must not change the outcome.
    expect(winner([...routes].reverse(), req)).toBe(expected);
  });

  it("returns undefined when nothing matches", () => {
    expect(matchRoute([route("r", [[{ path: { type: "Exact", value: "/a" } }]])], request("/b"))).toBeUndefined();
  });
});

describe("virtual host lookup", () => {
  const vhosts = [
    VirtualHostSchema.parse({ name: "reviews", domains: ["reviews", "reviews.default", "reviews.default.svc.cluster.local"] }),
    VirtualHostSchema.parse({ name: "wild-long", domains: ["*.api.example.com"] }),
    VirtualHostSchema.parse({ name: "wild", domains: ["*.example.com"] }),
    VirtualHostSchema.parse({ name: "exact-in-wild", domains: ["x.example.com"] }),
    VirtualHostSchema.parse({ name: "any", domains: ["*"] }),
  ];
  const table = buildHostTable(vhosts);
  it.each([
    ["reviews", "reviews"],
    ["Reviews.Default:9080", "reviews"],
    ["reviews.default.svc.cluster.local.", "reviews"],
    ["x.example.com", "exact-in-wild"],
    ["y.example.com", "wild"],
    ["a.api.example.com", "wild-long"],
    ["example.com", "any"],
    ["ratings", "any"],
  ])("%s → %s", (host, expected) => {
    expect(table.lookup(host)?.name).toBe(expected);
  });

  it("returns undefined without a catch-all", () => {
    expect(buildHostTable(vhosts.slice(0, 1)).lookup("ratings")).toBeUndefined();
  });

  it.each([
    ["a:80", "a"],
    ["[::1]:8080", "[::1]"],
    ["A.B.", "a.b"],
  ])("normalizeHost(%s) = %s", (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });
});
