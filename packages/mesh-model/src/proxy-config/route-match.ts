// Pure HTTPRoute matching with Gateway API precedence. The proxy builds one
// RouteTable per virtual host when a config is applied and calls `match` per
// request, so the sort and regex compilation happen once per config.
import type { HttpRouteEntry, RouteMatch, RouteRule, VirtualHost } from "./proxy-routes.schema.ts";

/** What the matcher needs to know about a request. */
export interface RouteRequest {
  method: string;
  /** Path without the query string, exactly as received (not decoded). */
  path: string;
  /** Header values by lower-cased name (node:http's `req.headers` shape). */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Query parameters; `get` returns the first occurrence (URLSearchParams fits). */
  query: { get(name: string): string | null };
}

/** The rule chosen for a request, and the match that selected it. */
export interface RouteSelection {
  route: HttpRouteEntry;
  rule: RouteRule;
  ruleIndex: number;
  match: RouteMatch;
  matchIndex: number;
}

/** One (route, rule, match) triple, ordered by precedence in a RouteTable. */
export interface RouteCandidate extends RouteSelection {
  test(req: RouteRequest): boolean;
}

export interface RouteTable {
  /** Candidates in precedence order: the first that matches wins. */
  readonly candidates: readonly RouteCandidate[];
  match(req: RouteRequest): RouteSelection | undefined;
}

/** `/foo/` and `/foo` are the same prefix (Gateway API ignores a trailing `/`). */
export function normalizePrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith("/") ? prefix.replace(/\/+$/, "") || "/" : prefix;
}

/** Element-wise prefix match: `/abc` matches `/abc`, `/abc/` and `/abc/def`, not `/abcd`. */
export function pathPrefixMatches(prefix: string, path: string): boolean {
  const p = normalizePrefix(prefix);
  if (p === "/") return path.startsWith("/");
  if (!path.startsWith(p)) return false;
  return path.length === p.length || path.charCodeAt(p.length) === 47; /* "/" */
}

/** Patterns are matched against the whole value, as Envoy's RE2 full match does. */
function anchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function headerValue(headers: RouteRequest["headers"], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  return typeof v === "string" ? v : v.join(", ");
}

function compileMatch(match: RouteMatch): (req: RouteRequest) => boolean {
  const tests: ((req: RouteRequest) => boolean)[] = [];
  const { path } = match;
  if (path.type === "Exact") tests.push((req) => req.path === path.value);
  else if (path.type === "PathPrefix") tests.push((req) => pathPrefixMatches(path.value, req.path));
  else {
    const re = anchored(path.value);
    tests.push((req) => re.test(req.path));
  }
  if (match.method !== undefined) {
    const method = match.method;
    tests.push((req) => req.method === method);
  }
  // Gateway API: when several entries name the same header, only the first counts.
  const seenHeaders = new Set<string>();
  for (const h of match.headers) {
    const name = h.name.toLowerCase();
    if (seenHeaders.has(name)) continue;
    seenHeaders.add(name);
    if (h.type === "Exact") tests.push((req) => headerValue(req.headers, name) === h.value);
    else {
      const re = anchored(h.value);
      tests.push((req) => {
        const v = headerValue(req.headers, name);
        return v !== undefined && re.test(v);
      });
    }
  }
  const seenParams = new Set<string>();
  for (const q of match.queryParams) {
    if (seenParams.has(q.name)) continue;
    seenParams.add(q.name);
    if (q.type === "Exact") tests.push((req) => req.query.get(q.name) === q.value);
    else {
      const re = anchored(q.value);
      tests.push((req) => {
        const v = req.query.get(q.name);
        return v !== null && re.test(v);
      });
    }
  }
  return (req) => tests.every((t) => t(req));
}

/**
 * Path kind rank: Exact first, then RegularExpression (implementation-specific
 * in Gateway API; Weft ranks it above prefixes, longer patterns first, as
 * Contour and Envoy Gateway do), then PathPrefix by length.
 */
function pathRank(match: RouteMatch): number {
  return match.path.type === "Exact" ? 0 : match.path.type === "RegularExpression" ? 1 : 2;
}

function pathLength(match: RouteMatch): number {
  return match.path.type === "PathPrefix" ? normalizePrefix(match.path.value).length : match.path.value.length;
}

function distinctCount(items: readonly { name: string }[], fold: boolean): number {
  return new Set(items.map((i) => (fold ? i.name.toLowerCase() : i.name))).size;
}

function creationTime(route: HttpRouteEntry): number {
  return Date.parse(route.creationTimestamp);
}

/**
 * Gateway API HTTPRoute precedence between two (route, rule, match) triples.
 * Negative when `a` wins. Order: Exact path; longest prefix; method match;
 * most header matches; most query matches; oldest route; `namespace/name`
 * alphabetically; first rule; first match.
 */
export function compareRoutePrecedence(a: RouteSelection, b: RouteSelection): number {
  return (
    pathRank(a.match) - pathRank(b.match) ||
    pathLength(b.match) - pathLength(a.match) ||
    Number(b.match.method !== undefined) - Number(a.match.method !== undefined) ||
    distinctCount(b.match.headers, true) - distinctCount(a.match.headers, true) ||
    distinctCount(b.match.queryParams, false) - distinctCount(a.match.queryParams, false) ||
    creationTime(a.route) - creationTime(b.route) ||
    compareStrings(`${a.route.namespace}/${a.route.name}`, `${b.route.namespace}/${b.route.name}`) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compiles the routes of one virtual host into a precedence-ordered table. */
export function buildRouteTable(routes: readonly HttpRouteEntry[]): RouteTable {
  const candidates: RouteCandidate[] = [];
  for (const route of routes) {
    route.rules.forEach((rule, ruleIndex) => {
      rule.matches.forEach((match, matchIndex) => {
        candidates.push({ route, rule, ruleIndex, match, matchIndex, test: compileMatch(match) });
      });
    });
  }
  candidates.sort(compareRoutePrecedence);
  return {
    candidates,
    match(req) {
      for (const c of candidates) {
        if (c.test(req)) return { route: c.route, rule: c.rule, ruleIndex: c.ruleIndex, match: c.match, matchIndex: c.matchIndex };
      }
      return undefined;
    },
  };
}

/** One-shot convenience over `buildRouteTable(routes).match(req)`. */
export function matchRoute(routes: readonly HttpRouteEntry[], req: RouteRequest): RouteSelection | undefined {
  return buildRouteTable(routes).match(req);
}

export interface HostTable {
  /** The virtual host serving `host` (a Host header or URL authority; port and case ignored). */
  lookup(host: string): VirtualHost | undefined;
}

/** Strips the port and a trailing dot and lower-cases: `Reviews.Default.:9080` → `reviews.default`. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    h = end === -1 ? h : h.slice(0, end + 1);
  } else {
    const colon = h.indexOf(":");
    if (colon !== -1) h = h.slice(0, colon);
  }
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

/**
 * Virtual host selection: an exact domain wins, then the longest matching
 * `*.suffix` wildcard (which needs at least one more label), then `*`.
 */
export function buildHostTable(virtualHosts: readonly VirtualHost[]): HostTable {
  const exact = new Map<string, VirtualHost>();
  const wildcards: { suffix: string; vh: VirtualHost }[] = [];
  let any: VirtualHost | undefined;
  for (const vh of virtualHosts) {
    for (const d of vh.domains) {
      if (d === "*") any ??= vh;
      else if (d.startsWith("*.")) wildcards.push({ suffix: d.slice(1), vh });
      else if (!exact.has(d)) exact.set(d, vh);
    }
  }
  wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  return {
    lookup(host) {
      const h = normalizeHost(host);
      const hit = exact.get(h);
      if (hit) return hit;
      for (const w of wildcards) if (h.length > w.suffix.length && h.endsWith(w.suffix)) return w.vh;
      return any;
    },
  };
}
