// Which path a request takes: the fast path (raw sockets, the head parsed
// once, the body forwarded as it arrives) or node:http (everything else).
// A pure function of what the request, its listener, its route and its
// backends need; the reason names the first feature that needs node:http.

export interface PathFeatures {
  /** The fast path is switched on for this proxy. */
  enabled: boolean;
  /** HTTP/1.0 client: node:http re-frames chunked responses for it. */
  http10: boolean;
  method: string;
  /** An Upgrade header (WebSocket tunnels). */
  upgrade: boolean;
  /** Expect: 100-continue. */
  expectContinue: boolean;
  /** content-type application/grpc*. */
  grpc: boolean;
  /** The request has a body. */
  hasBody: boolean;
  /** The listener verifies JWTs (jose, async key sets). */
  jwt: boolean;
  /** Filter types of the matched rule (none when no rule matched: the 404 is answered on either path). */
  filters: readonly string[];
  /** The rule may resend a request it has written (a retry on a reset or an answer; a connect-failure-only retry does not). */
  retries: boolean;
  /** Some backend the rule may pick speaks HTTP/2 upstream. */
  http2Backend: boolean;
}

export type PathChoice = { path: "fast" } | { path: "node"; reason: string };

const FAST: PathChoice = { path: "fast" };

/** Route filters the fast path applies itself: they only change the request head, or answer locally. */
const FAST_FILTERS = new Set(["URLRewrite", "RequestHeaderModifier", "RequestRedirect"]);

export function choosePath(f: PathFeatures): PathChoice {
  if (!f.enabled) return { path: "node", reason: "fast path off" };
  if (f.http10) return { path: "node", reason: "HTTP/1.0 client" };
  if (f.method === "CONNECT") return { path: "node", reason: "CONNECT" };
  if (f.upgrade) return { path: "node", reason: "upgrade" };
  if (f.expectContinue) return { path: "node", reason: "expect" };
  if (f.grpc) return { path: "node", reason: "gRPC" };
  if (f.jwt) return { path: "node", reason: "JWT" };
  for (const type of f.filters) if (!FAST_FILTERS.has(type)) return { path: "node", reason: type };
  // A body that a retry may replay has to be buffered first; bodies are only streamed on the fast path.
  if (f.retries && f.hasBody) return { path: "node", reason: "retry with a body" };
  if (f.http2Backend) return { path: "node", reason: "HTTP/2 upstream" };
  return FAST;
}
