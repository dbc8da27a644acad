// The request target (RFC 9112 section 3.2): origin-form with Host, or
// absolute-form as sent to an HTTP proxy. Parsed once per request and shared
// by security checks, rate limits and routing.
import type { IncomingMessage } from "node:http";
import type { RequestHead } from "../core/request-head.ts";

export interface RequestTarget {
  /** Authority as sent (absolute-form URI, else Host header), may carry a port. */
  host: string;
  path: string;
  /** Query string without `?`. */
  query: string;
}

/**
 * Reads the request target: origin-form (`/path`, authority from Host) or
 * absolute-form (`http://svc.ns/path`, as sent to an HTTP proxy; its
 * authority wins over Host, RFC 9112 section 3.2.2). Anything else is refused.
 */
export function parseTarget(url: string, hostHeader: string | undefined): RequestTarget | undefined {
  let host: string | undefined;
  let rest: string;
  if (url.startsWith("/")) {
    host = hostHeader;
    rest = url;
  } else if (/^http:\/\//i.test(url)) {
    const afterScheme = url.slice("http://".length);
    const end = afterScheme.search(/[/?#]/);
    host = end === -1 ? afterScheme : afterScheme.slice(0, end);
    rest = end === -1 ? "/" : afterScheme.slice(end);
    if (rest.startsWith("?")) rest = `/${rest}`;
    if (host.includes("@")) return undefined; // userinfo is deprecated and a classic confusion vector
  } else {
    return undefined;
  }
  if (!host) return undefined;
  const hash = rest.indexOf("#");
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  return { host, path: q === -1 ? rest : rest.slice(0, q), query: q === -1 ? "" : rest.slice(q + 1) };
}

/** The request's target, parsed once per request and shared by security checks and routing. */
export function requestTarget(req: RequestHead): RequestTarget | undefined {
  return parseTarget(req.url ?? "", requestAuthority(req));
}

/** The authority of a request: Host (HTTP/1.1) or :authority (HTTP/2). */
export function requestAuthority(req: RequestHead): string | undefined {
  return req.headers.host ?? (req.headers[":authority"] as string | undefined);
}

/** The client's address; for HTTP/2 over a sniffed plain connection it sits on the wrapped socket. */
export function remoteAddress(req: IncomingMessage): string | undefined {
  const socket = req.socket as (typeof req.socket & { stream?: { remoteAddress?: string } }) | undefined;
  return socket?.remoteAddress ?? socket?.stream?.remoteAddress;
}

