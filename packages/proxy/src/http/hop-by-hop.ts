// Hop-by-hop header removal (RFC 9110 section 7.6.1): these describe one
// connection and must not be forwarded to the next.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"]);

/**
 * A copy of `headers` without hop-by-hop headers: the fixed list, every
 * `proxy-*` header and every header named in Connection. `host` and HTTP/2
 * pseudo-headers are dropped too; the forwarder sets the authority explicitly.
 */
export function stripHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  let listed: Set<string> | undefined;
  const connection = headers.connection;
  // "keep-alive" / "close" name no other header; only build the set when something else is listed.
  if (connection !== undefined && !/^\s*(keep-alive|close)\s*$/i.test(String(connection))) {
    listed = new Set<string>();
    for (const value of Array.isArray(connection) ? connection : [connection]) {
      for (const token of value.split(",")) {
        const name = token.trim().toLowerCase();
        if (name) listed.add(name);
      }
    }
  }
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    // Pseudo-headers (`:path`, `:authority`...) of an HTTP/2 request are not headers to forward.
    if (value === undefined || name === "host" || name.charCodeAt(0) === 58) continue;
    if (HOP_BY_HOP.has(name) || name.startsWith("proxy-") || listed?.has(name)) continue;
    out[name] = value;
  }
  return out;
}
