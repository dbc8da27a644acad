// Response flags: short codes (Envoy's vocabulary) that say why the proxy,
// not the upstream, shaped a response. They go out in `x-weft-flags` and in
// the `response_flags` metric label ("-" when none).

export const FLAGS_HEADER = "x-weft-flags";

export const ResponseFlag = {
  /** No virtual host or route matched the request (404). */
  NoRoute: "NR",
  /** The rule has no backend with a positive weight (500). */
  NoBackend: "NC",
  /** The backend has no healthy endpoint (503). */
  NoHealthyUpstream: "UH",
  /** Could not connect to the upstream, or the connect timeout fired (503). */
  UpstreamConnectFailure: "UF",
  /** The request or per-try timeout fired before the response headers (504). */
  UpstreamTimeout: "UT",
  /** The upstream reset or closed the connection before responding (502). */
  UpstreamReset: "UR",
  /** Retries were needed but the attempt limit or the retry budget ran out. */
  RetryLimitExceeded: "URX",
  /** The downstream request was malformed or over a limit (400, 414, 431). */
  DownstreamProtocolError: "DPE",
  /** A stream (TCP connection, WebSocket tunnel) was idle longer than the idle timeout. */
  StreamIdleTimeout: "SI",
  /** The downstream client went away before the response was complete. */
  DownstreamConnectionTermination: "DC",
  /** An AuthorizationPolicy denied the request (403). */
  AuthorizationDenied: "RBAC",
  /** The request carried an invalid JWT (401). */
  Unauthenticated: "JWT",
  /** The upstream's mTLS identity was refused: not a valid X.509-SVID of the bundle, or not a SPIFFE ID the destination may have (503). */
  UpstreamPeerIdentity: "UPE",
  /** A circuit-breaker limit of the backend was reached (503). */
  UpstreamOverflow: "UO",
  /** A fault-injection filter aborted the request. */
  FaultInjected: "FI",
  /** A fault-injection filter delayed the request. */
  DelayInjected: "DI",
  /** A rate limit was exceeded (429). */
  RateLimited: "RL",
  /** The global rate-limit service (Redis) failed and the limit fails closed (429). */
  RateLimitServiceError: "RLSE",
} as const;

export type ResponseFlagCode = (typeof ResponseFlag)[keyof typeof ResponseFlag];

/** Joins flags for the header and the metric label. */
export function formatFlags(flags: readonly ResponseFlagCode[]): string {
  return flags.length === 0 ? "-" : flags.join(",");
}
