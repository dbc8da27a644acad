// Response flags in words: the proxy's short codes (Envoy's vocabulary, one
// list with their meaning in mesh-model's telemetry/response-flags.ts) say why
// a proxy, not the upstream, shaped a response. An operator reads the
// sentence, not the code.
import { isResponseFlagCode, RESPONSE_FLAG_TEXT } from "@weft/mesh-model";

/** The flags of a span ("UF,URX" or "-" or "") in words, joined by "; "; unknown codes are named as such. */
export function describeFlags(flags: string): string {
  const codes = flags.split(/[,\s]+/).filter((c) => c && c !== "-");
  return codes.map((c) => (isResponseFlagCode(c) ? RESPONSE_FLAG_TEXT[c] : `proxy flag ${c}`)).join("; ");
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
