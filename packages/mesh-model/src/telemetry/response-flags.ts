// Response flags: short codes (Envoy's vocabulary) that say why a proxy, not
// the upstream, shaped a response. They are a wire contract: the proxy sends
// them in `x-weft-flags`, in the `response_flags` metric label ("-" when
// none) and in spans; the dashboard and the CLI put them in words. One
// vocabulary for all of them, so a new flag cannot reach an operator as an
// unexplained code.

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
  /** An HTTP/2 upstream refused the stream unprocessed (REFUSED_STREAM, or above a GOAWAY's last stream id) and it was not retried (503). */
  UpstreamRefusedStream: "URS",
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

/** What each flag means, as a phrase that completes "…: " (every code has one: the type says so). */
export const RESPONSE_FLAG_TEXT: Readonly<Record<ResponseFlagCode, string>> = {
  NR: "no route matched the request",
  NC: "the route has no backend with a positive weight",
  UH: "no healthy endpoint of the backend",
  UF: "upstream connection failed",
  UT: "upstream timed out before answering",
  UR: "upstream reset the connection before answering",
  URS: "the upstream refused the stream without processing it",
  URX: "retries ran out (attempt limit or retry budget)",
  DPE: "the request was malformed or over a limit",
  SI: "the stream was idle past its idle timeout",
  DC: "the caller went away before the answer was complete",
  RBAC: "an authorization policy denied the request",
  JWT: "the request carried an invalid JWT",
  UPE: "the upstream's mTLS identity was refused",
  UO: "a circuit-breaker limit of the backend was reached",
  FI: "fault injection aborted the request",
  DI: "fault injection delayed the request",
  RL: "a rate limit was exceeded",
  RLSE: "the rate-limit service failed and the limit fails closed",
};

/** Whether a string is one of the flag codes. */
export function isResponseFlagCode(code: string): code is ResponseFlagCode {
  return Object.hasOwn(RESPONSE_FLAG_TEXT, code);
}
