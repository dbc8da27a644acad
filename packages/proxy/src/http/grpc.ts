// gRPC over HTTP/2 as the proxy sees it: recognising calls, the
// `grpc-timeout` deadline, and answering proxy-generated errors the way a
// gRPC client understands them (trailers-only: HTTP 200 with grpc-status).

/** gRPC status codes the proxy produces itself. */
export const GrpcStatus = {
  INTERNAL: 13,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Whether a request is a gRPC call (`application/grpc`, `+proto`, `+json`, grpc-web...). */
export function isGrpc(contentType: string | string[] | undefined): boolean {
  const v = Array.isArray(contentType) ? contentType[0] : contentType;
  return v !== undefined && v.startsWith("application/grpc");
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/** Parses `grpc-timeout` (1 to 8 digits and a unit H M S m u n) into milliseconds; undefined when absent or malformed. */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * (UNIT_MS[m[2] ?? "m"] ?? 1);
}

/** Formats a remaining deadline for the upstream, in whole milliseconds (at least 1). */
export function formatGrpcTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}m`;
}

/**
 * The gRPC status for a proxy-generated HTTP status (the gRPC spec's HTTP to
 * gRPC mapping); timeouts are DEADLINE_EXCEEDED whatever the HTTP status.
 */
export function grpcStatusFor(httpStatus: number, timedOut: boolean): number {
  if (timedOut) return GrpcStatus.DEADLINE_EXCEEDED;
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return httpStatus >= 500 ? GrpcStatus.INTERNAL : GrpcStatus.UNKNOWN;
  }
}

/** Percent-encodes a grpc-message as the spec asks (everything outside printable ASCII, and '%'). */
export function encodeGrpcMessage(message: string): string {
  return Buffer.from(message, "utf8")
    .toString("latin1")
    .replace(/[^\x20-\x24\x26-\x7e]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** The gRPC status in a header block (trailers-only responses carry it in the headers). */
export function grpcStatusOf(headers: Readonly<Record<string, unknown>>): number | undefined {
  const v = headers["grpc-status"];
  const n = typeof v === "string" ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
}
