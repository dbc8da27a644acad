// Hop-by-hop header removal (RFC 9110 section 7.6.1): these describe one
// connection and must not be forwarded to the next.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"]);

/**
 * A copy of `headers` without hop-by-hop headers: the fixed list, every
 * `proxy-*` header and every header named in Connection. `host` is dropped
 * too; the forwarder sets it explicitly.
 */
export function stripHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set<string>();
  const connection = headers.connection;
  for (const value of Array.isArray(connection) ? connection : connection ? [connection] : []) {
    for (const token of value.split(",")) {
      const name = token.trim().toLowerCase();
      if (name) listed.add(name);
    }
  }
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === "host") continue;
    if (HOP_BY_HOP.has(name) || name.startsWith("proxy-") || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}
