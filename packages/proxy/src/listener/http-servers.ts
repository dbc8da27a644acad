// The node:http and node:http2 servers behind an HTTP listener. They never
// listen themselves: the listener's front server hands them connections
// once the protocol is known (see connection-router.ts).
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { createServer as createH2Server, type Http2SecureServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import type { Duplex } from "node:stream";
import type { Limits } from "@weft/mesh-model/proxy-config";
import { FLAGS_HEADER, ResponseFlag } from "../core/response-flags.ts";

/** What the servers hand on. */
export interface HttpServerHooks {
  /** Called for malformed requests the parser refused (for metrics). */
  onProtocolError: (status: number) => void;
  /** HTTP/1.1 and HTTP/2 requests (HTTP/2 through the compatibility API, which has the same shape). */
  onRequest: (req: IncomingMessage, res: ServerResponse, h2: boolean) => void;
  /** HTTP/1.1 Upgrade requests (WebSocket). */
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** A whole HTTP/1.1 error response with the DPE flag, closing the connection. */
export function protocolErrorResponse(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\n${FLAGS_HEADER}: ${ResponseFlag.DownstreamProtocolError}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
}

/**
 * The HTTP/1.1 server. `insecureHTTPParser` stays off, so llhttp refuses the
 * usual request-smuggling shapes (Content-Length with Transfer-Encoding,
 * duplicate Content-Length, obfuscated chunked, bare CR, spaces before the
 * colon...); those and oversized heads are answered here and the socket closed.
 */
export function createH1Server(limits: Limits, hooks: HttpServerHooks): HttpServer {
  const h1 = createHttpServer(
    {
      insecureHTTPParser: false,
      maxHeaderSize: limits.maxHeaderBytes,
      // A missing Host is refused by the request dispatcher, which counts it (node:http would answer it uncounted).
      requireHostHeader: false,
      // Slow-loris guards: the head within 30 s, the whole request within 5 min.
      headersTimeout: 30_000,
      requestTimeout: 300_000,
      keepAliveTimeout: 5_000,
    },
    (req, res) => hooks.onRequest(req, res, false),
  );
  // One more than the limit, so the handler can tell "over" from "exactly at".
  h1.maxHeadersCount = limits.maxHeaderCount + 1;
  // h1 never listens itself (connections are handed to it); 'listening' starts its timeout checks.
  h1.emit("listening");
  h1.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] =
      err.code === "HPE_HEADER_OVERFLOW" && targetTooLong((err as { rawPacket?: Buffer }).rawPacket, limits.maxUriLength)
        ? [414, "URI Too Long"]
        : err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large"]
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "Request Timeout"]
          : [400, "Bad Request"];
    hooks.onProtocolError(status);
    socket.end(protocolErrorResponse(status, reason));
  });
  h1.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    socket.on("error", () => socket.destroy());
    socket.end("HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  h1.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    hooks.onUpgrade(req, socket, head);
  });
  return h1;
}

/** Whether the request line in `raw` (the bytes node:http refused) carries a target longer than `max`: that is a 414, not a 431. */
function targetTooLong(raw: Buffer | undefined, max: number): boolean {
  if (!raw) return false;
  const firstSpace = raw.indexOf(0x20);
  if (firstSpace === -1) return false;
  const secondSpace = raw.indexOf(0x20, firstSpace + 1);
  const lineEnd = raw.indexOf(0x0d, firstSpace + 1);
  const end = secondSpace === -1 ? (lineEnd === -1 ? raw.length : lineEnd) : lineEnd === -1 ? secondSpace : Math.min(secondSpace, lineEnd);
  return end - firstSpace - 1 > max;
}

/** The HTTP/2 server (h2c by prior knowledge, or h2 by ALPN); its sessions are tracked in `sessions` for draining. */
export function createHttp2Server(limits: Limits, hooks: HttpServerHooks, sessions: Set<ServerHttp2Session>): Http2Server | Http2SecureServer {
  const h2 = createH2Server(
    {
      maxHeaderListPairs: limits.maxHeaderCount + 1,
      maxSendHeaderBlockLength: 65536,
      settings: { maxHeaderListSize: limits.maxHeaderBytes, enablePush: false },
    },
    (req: Http2ServerRequest, res: Http2ServerResponse) => hooks.onRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse, true),
  );
  h2.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on("error", () => session.destroy());
    session.once("close", () => sessions.delete(session));
  });
  h2.on("sessionError", () => undefined);
  return h2;
}
