// The downstream side of one request on the fast path, as the request path
// sees it: the parsed head, the body as it arrives, and a raw socket to
// write the response to. listener/fast-connection.ts implements it.
import type { RequestHead } from "../codec/http1-head.ts";
import type { PeerIdentity } from "../core/peer-identity.ts";
import type { ResponseFlagCode } from "../core/response-flags.ts";
import { FLAGS_HEADER } from "../core/response-flags.ts";

export interface FastDownstream {
  readonly head: RequestHead;
  readonly remoteAddress: string | undefined;
  /** The caller's mTLS identity (inbound). */
  readonly peer: PeerIdentity | undefined;
  /** The request carries a body (Content-Length above 0, or chunked). */
  readonly hasBody: boolean;
  /** Body bytes already read with the head (framing included, as received). */
  takeBufferedBody(): Buffer | undefined;
  /**
   * The rest of the body, as it arrives: `chunk` returns false to pause the
   * client until `resume` is called; `end` once the body is complete.
   */
  streamBody(chunk: (b: Buffer) => boolean, end: () => void): { resume(): void };
  /** Sends a response head (without its blank line: the connection adds its own Connection header). */
  writeHead(status: number, head: string, upstreamClose: boolean): void;
  /** Response body bytes (framed as the head says); false when the client pushes back. */
  write(chunk: Buffer): boolean;
  onDrain(fn: () => void): void;
  /** The response is complete. */
  end(): void;
  /** Cuts the connection (a response cannot be finished). */
  destroy(): void;
  /** Called once when the request is over: its response ended, or the connection closed first. */
  onDone(fn: (completed: boolean) => void): void;
  /** True once the connection is gone. */
  readonly closed: boolean;
  /** The response status sent (0 before a head). */
  readonly status: number;
}

const REASONS: Record<number, string> = {
  200: "OK",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  413: "Content Too Large",
  414: "URI Too Long",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "Unknown";
}

/** Header lines of a response the proxy generates itself (no blank line). */
export function localResponseHead(status: number, flags: readonly ResponseFlagCode[], body: string, extra: Readonly<Record<string, unknown>> = {}): string {
  let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  for (const name in extra) {
    const v = extra[name];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${name}: ${String(one)}\r\n`;
  }
  if (flags.length > 0) head += `${FLAGS_HEADER}: ${flags.join(",")}\r\n`;
  return head;
}

/** Answers on the fast path with a response the proxy generates itself. */
export function replyLocal(down: FastDownstream, status: number, flags: readonly ResponseFlagCode[], body: string, extra: Readonly<Record<string, unknown>> = {}, close = false): void {
  if (down.closed) return;
  if (down.status !== 0) {
    down.destroy();
    return;
  }
  down.writeHead(status, localResponseHead(status, flags, body, extra), close);
  if (body.length > 0 && down.head.method !== "HEAD") down.write(Buffer.from(body));
  down.end();
}
