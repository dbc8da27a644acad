// Pure application of HTTPRoute filters: header modification, URL rewrite and
// redirect. The proxy calls these with plain values; nothing here touches a
// socket.
import { normalizePrefix } from "./route-match.ts";
import type { HeaderModifier, PathModifier, RouteMatch } from "./proxy-routes.schema.ts";

/** Headers keyed by lower-cased name, as node:http exposes them. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/**
 * Applies a header modifier in Gateway API order: remove, then set, then add
 * (add appends to an existing value with ", "; Set-Cookie, which must never be
 * comma-joined, becomes one more header line). Returns a new map.
 */
export function applyHeaderModifier(headers: Readonly<HeaderMap>, mod: HeaderModifier): HeaderMap {
  const out: HeaderMap = { ...headers };
  for (const name of mod.remove) delete out[name.toLowerCase()];
  for (const { name, value } of mod.set) out[name.toLowerCase()] = value;
  for (const { name, value } of mod.add) {
    const key = name.toLowerCase();
    const existing = out[key];
    if (key === "set-cookie") out[key] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), value];
    else if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) out[key] = [...existing, value];
    else out[key] = `${existing}, ${value}`;
  }
  return out;
}

/**
 * The new path after a path modifier. ReplacePrefixMatch swaps the matched
 * prefix element-wise: prefix `/foo`, replacement `/bar`: `/foo/x` → `/bar/x`;
 * replacement `/`: `/foo/x` → `/x`, `/foo` → `/`.
 */
export function rewritePath(path: string, match: RouteMatch, modifier: PathModifier): string {
  if (modifier.type === "ReplaceFullPath") return modifier.replaceFullPath;
  if (match.path.type !== "PathPrefix") return path; // the schema refuses this combination
  const prefix = normalizePrefix(match.path.value);
  const rest = prefix === "/" ? path : path.slice(prefix.length);
  const replacement = modifier.replacePrefixMatch.replace(/\/+$/, "");
  const joined = replacement + rest;
  return joined === "" ? "/" : joined.startsWith("/") ? joined : `/${joined}`;
}

export interface RedirectInput {
  scheme: "http" | "https";
  /** The request's Host (may carry a port). */
  host: string;
  path: string;
  /** Raw query string without `?`, or "" */
  query: string;
}

export interface RedirectSpec {
  scheme?: "http" | "https" | undefined;
  hostname?: string | undefined;
  path?: PathModifier | undefined;
  port?: number | undefined;
}

const DEFAULT_PORT = { http: 80, https: 443 } as const;

/**
 * The Location of a RequestRedirect. Port: the configured one; else, when the
 * scheme is redirected, the new scheme's default (omitted); else the request's.
 */
export function redirectLocation(req: RedirectInput, match: RouteMatch, spec: RedirectSpec): string {
  const scheme = spec.scheme ?? req.scheme;
  const { hostname: reqHostname, port: reqPort } = splitHostPort(req.host);
  const hostname = spec.hostname ?? reqHostname;
  let port: number | undefined;
  if (spec.port !== undefined) port = spec.port;
  else if (spec.scheme === undefined) port = reqPort;
  const path = spec.path ? rewritePath(req.path, match, spec.path) : req.path;
  const authority = port === undefined || port === DEFAULT_PORT[scheme] ? hostname : `${hostname}:${port}`;
  return `${scheme}://${authority}${path}${req.query ? `?${req.query}` : ""}`;
}

/** Splits `host[:port]` (IPv6 in brackets). */
export function splitHostPort(host: string): { hostname: string; port: number | undefined } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  if (!m) return { hostname: host, port: undefined };
  return { hostname: m[1] ?? host, port: m[2] === undefined ? undefined : Number(m[2]) };
}
