// Creates the node:http server behind a listener, with the parser kept
// strict and every socket-level failure answered or contained.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Limits } from "@weft/mesh-model/proxy-config";
import { FLAGS_HEADER, ResponseFlag } from "./response-flags.ts";

export interface ListenerServerOptions {
  limits: Limits;
  /** Called for malformed requests the parser refused (for metrics). */
  onProtocolError: (status: number) => void;
}

function rawResponse(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\n${FLAGS_HEADER}: ${ResponseFlag.DownstreamProtocolError}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
}

/**
 * An HTTP/1.1 server. `insecureHTTPParser` stays off, so llhttp refuses the
 * usual request-smuggling shapes (Content-Length with Transfer-Encoding,
 * duplicate Content-Length, obfuscated chunked, bare CR, spaces before the
 * colon...); those and oversized heads are answered here and the socket closed.
 *
 * Seam for mTLS: the inbound listener will build a `node:tls` / `https`
 * server with the workload certificate here, verify the peer's SPIFFE ID, and
 * pass it on the request for the `source_service` label and authorization.
 */
export function createListenerServer(
  options: ListenerServerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  const server = createServer(
    {
      insecureHTTPParser: false,
      maxHeaderSize: options.limits.maxHeaderBytes,
      requireHostHeader: true,
      // Slow-loris guards: the head within 30 s, the whole request within 5 min.
      headersTimeout: 30_000,
      requestTimeout: 300_000,
      keepAliveTimeout: 5_000,
    },
    handler,
  );
  // One more than the limit, so the handler can tell "over" from "exactly at".
  server.maxHeadersCount = options.limits.maxHeaderCount + 1;

  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] =
      err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large"]
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "Request Timeout"]
          : [400, "Bad Request"];
    options.onProtocolError(status);
    socket.end(rawResponse(status, reason));
  });

  // CONNECT tunnels and protocol upgrades (WebSocket) are not supported yet.
  const refuse = (_req: IncomingMessage, socket: Duplex) => {
    socket.on("error", () => socket.destroy());
    socket.end("HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  };
  server.on("connect", refuse);
  server.on("upgrade", refuse);
  return server;
}

/** Resolves once the server listens; rejects on a bind error (EADDRINUSE...). */
export function listen(server: Server, port: number, address: string): Promise<{ address: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen(port, address, () => {
      server.off("error", onError);
      const a = server.address();
      if (a && typeof a === "object") resolve({ address: a.address, port: a.port });
      else reject(new Error("server has no address"));
    });
  });
}
