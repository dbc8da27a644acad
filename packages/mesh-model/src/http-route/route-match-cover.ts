import type { HeaderMatch, PathMatch, QueryParamMatch, RouteMatch } from "./http-route.schema.ts";
import { compileFullMatchRegex } from "./regex.ts";

// Coverage is decided conservatively: `true` only when every request matched
// by `inner` is certainly matched by `outer`. Regular expressions are compared
// by source, except that a regex is checked against concrete exact values and
// a few catch-all patterns are known to match every path.

const EVERY_PATH: PathMatch = { type: "PathPrefix", value: "/" };
const CATCH_ALL_PATH_REGEXES: ReadonlySet<string> = new Set([".*", "/.*", ".+", "/.*$", "^/.*"]);

/** A PathPrefix without its trailing `/` (which the data plane ignores). */
export function normalizePathPrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith("/") ? prefix.replace(/\/+$/, "") || "/" : prefix;
}

function regexMatches(source: string, value: string): boolean {
  try {
    return compileFullMatchRegex(source).test(value);
  } catch {
    return false;
  }
}

/** True when the PathPrefix `prefix` matches the concrete path `path` ('/'-segment boundaries). */
export function prefixMatchesPath(prefix: string, path: string): boolean {
  const p = normalizePathPrefix(prefix);
  if (p === "/") return path.startsWith("/");
  return path === p || path.startsWith(`${p}/`);
}

/** True when every path matched by `inner` is matched by `outer`. */
export function pathCovers(outer: PathMatch | undefined, inner: PathMatch | undefined): boolean {
  const o = outer ?? EVERY_PATH;
  const i = inner ?? EVERY_PATH;
  switch (o.type) {
    case "PathPrefix":
      if (normalizePathPrefix(o.value) === "/") return true;
      if (i.type === "Exact") return prefixMatchesPath(o.value, i.value);
      if (i.type === "PathPrefix") return prefixMatchesPath(o.value, normalizePathPrefix(i.value));
      return false;
    case "Exact":
      return i.type === "Exact" && i.value === o.value;
    case "RegularExpression":
      if (CATCH_ALL_PATH_REGEXES.has(o.value)) return true;
      if (i.type === "RegularExpression") return i.value === o.value;
      if (i.type === "Exact") return regexMatches(o.value, i.value);
      return false;
  }
}

function valueCovers(outer: { type: string; value: string }, inner: { type: string; value: string }): boolean {
  if (outer.type === inner.type) return outer.value === inner.value;
  return outer.type === "RegularExpression" && inner.type === "Exact" && regexMatches(outer.value, inner.value);
}

function conditionsCover<T extends HeaderMatch | QueryParamMatch>(outer: readonly T[] | undefined, inner: readonly T[] | undefined, key: (c: T) => string): boolean {
  // Every condition of outer must be implied by some condition of inner.
  return (outer ?? []).every((o) => (inner ?? []).some((i) => key(i) === key(o) && valueCovers(o, i)));
}

/** True when every request matched by `inner` is also matched by `outer`. */
export function matchCovers(outer: RouteMatch, inner: RouteMatch): boolean {
  if (outer.method !== undefined && outer.method !== inner.method) return false;
  if (!pathCovers(outer.path, inner.path)) return false;
  if (!conditionsCover(outer.headers, inner.headers, (h) => h.name.toLowerCase())) return false;
  return conditionsCover(outer.queryParams, inner.queryParams, (q) => q.name);
}

/** True when two matches select exactly the same requests by the same conditions. */
export function matchesEqual(a: RouteMatch, b: RouteMatch): boolean {
  const path = (m: RouteMatch) => {
    const p = m.path ?? EVERY_PATH;
    return `${p.type}:${p.type === "PathPrefix" ? normalizePathPrefix(p.value) : p.value}`;
  };
  const conditions = (list: readonly (HeaderMatch | QueryParamMatch)[] | undefined, fold: boolean) =>
    (list ?? [])
      .map((c) => `${fold ? c.name.toLowerCase() : c.name}\u0000${c.type}\u0000${c.value}`)
      .sort()
      .join("\u0001");
  return (
    a.method === b.method &&
    path(a) === path(b) &&
    conditions(a.headers, true) === conditions(b.headers, true) &&
    conditions(a.queryParams, false) === conditions(b.queryParams, false)
  );
}

/** Where a match ranks among the matches of a route (lower wins), per Gateway API precedence. */
export interface MatchPosition {
  rule: number;
  match: number;
}

function pathRank(m: RouteMatch): number {
  const type = m.path?.type ?? "PathPrefix";
  return type === "Exact" ? 0 : type === "RegularExpression" ? 1 : 2;
}

function pathLength(m: RouteMatch): number {
  const p = m.path ?? EVERY_PATH;
  return p.type === "PathPrefix" ? normalizePathPrefix(p.value).length : p.value.length;
}

function distinct(list: readonly { name: string }[] | undefined, fold: boolean): number {
  return new Set((list ?? []).map((c) => (fold ? c.name.toLowerCase() : c.name))).size;
}

/**
 * Gateway API precedence between two matches of one route, as the data plane
 * applies it (negative when `a` wins): Exact path, then regular expressions
 * (longest first), then the longest PathPrefix; then a method; then most
 * headers; then most query parameters; then the earlier rule and match.
 */
export function compareMatchPrecedence(a: RouteMatch, aAt: MatchPosition, b: RouteMatch, bAt: MatchPosition): number {
  return (
    pathRank(a) - pathRank(b) ||
    pathLength(b) - pathLength(a) ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    distinct(b.headers, true) - distinct(a.headers, true) ||
    distinct(b.queryParams, false) - distinct(a.queryParams, false) ||
    aAt.rule - bAt.rule ||
    aAt.match - bAt.match
  );
}
