// Response flags in words: the proxy's short codes (Envoy's vocabulary, see
// packages/proxy/src/core/response-flags.ts) say why a proxy, not the
// upstream, shaped a response. An operator reads the sentence, not the code.

/** What each flag means, as a phrase that completes "…: ". */
export const RESPONSE_FLAG_TEXT: Readonly<Record<string, string>> = {
  NR: "no route matched the request",
  NC: "the route has no backend with a positive weight",
  UH: "no healthy endpoint of the backend",
  UF: "upstream connection failed",
  UT: "upstream timed out before answering",
  UR: "upstream reset the connection before answering",
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

/** The flags of a span ("UF,URX" or "-" or "") in words, joined by "; "; unknown codes are named as such. */
export function describeFlags(flags: string): string {
  const codes = flags.split(/[,\s]+/).filter((c) => c && c !== "-");
  return codes.map((c) => RESPONSE_FLAG_TEXT[c] ?? `proxy flag ${c}`).join("; ");
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  0: "no response",
  400: "bad request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not found",
  429: "too many requests",
  500: "internal server error",
  502: "bad gateway",
  503: "service unavailable",
  504: "gateway timeout",
};

/** An HTTP status in words, for when no proxy flag explains it. */
export function describeStatus(status: number | null): string {
  if (status === null) return "failed (not HTTP)";
  return STATUS_TEXT[status] ?? (status >= 500 ? "server error" : status >= 400 ? "client error" : "answered");
}
