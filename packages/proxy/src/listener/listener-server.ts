// The servers behind a listener. An HTTP listener accepts HTTP/1.1 and
// HTTP/2 on one port: on a plain port the HTTP/2 connection preface
// (prior-knowledge h2c) is detected in the first bytes; with TLS, ALPN
// decides. A TCP listener hands each connection to the passthrough.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import type { Limits, ListenerTls, MtlsMode } from "@weft/mesh-model/proxy-config";
import { FLAGS_HEADER, ResponseFlag } from "../core/response-flags.ts";
import type { IdentityMaterial, PeerIdentity } from "../security/workload-identity.ts";

/** Where an mTLS listener leaves the authenticated peer: a property of the TLS socket (read through `peerOf`). */
export const PEER = Symbol("weft.peer");

/** The peer a request's connection authenticated with mTLS, if any (HTTP/1.1 and HTTP/2 alike). */
export function peerOf(req: IncomingMessage): PeerIdentity | undefined {
  return (req.socket as unknown as { [PEER]?: PeerIdentity } | undefined)?.[PEER];
}

/** mTLS of an inbound listener; read per connection, so mode and material change without a new socket. */
export interface InboundMtls {
  mode(): MtlsMode;
  material(): IdentityMaterial | undefined;
  /** Validates the client of a finished handshake by the X.509-SVID rules; undefined refuses it. */
  verify(socket: TLSSocket): PeerIdentity | undefined;
  /** A refused connection: `plaintext` (STRICT), `handshake` (OpenSSL refused) or an SVID failure code. */
  onRefused(reason: string): void;
}

/** TLS record type of a handshake: the first byte a TLS ClientHello starts with. */
const TLS_HANDSHAKE = 0x16;

/** A bound listener, whatever its protocol. */
export interface ListenerRuntime {
  readonly bound: { address: string; port: number };
  /** Stops accepting; idle HTTP/1.1 connections close, HTTP/2 sessions get GOAWAY, open requests finish. */
  stopAccepting(): void;
  /** Closes every connection now. */
  destroyAll(): void;
  /** Resolves once the listener and all its connections are closed. */
  readonly closed: Promise<void>;
}

export interface HttpListenerOptions {
  limits: Limits;
  http2: boolean;
  tls: ListenerTls | undefined;
  /** Called for malformed requests the parser refused (for metrics). */
  onProtocolError: (status: number) => void;
  /** HTTP/1.1 and HTTP/2 requests (HTTP/2 through the compatibility API, which has the same shape). */
  onRequest: (req: IncomingMessage, res: ServerResponse, h2: boolean) => void;
  /** HTTP/1.1 Upgrade requests (WebSocket). */
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Inbound listeners without `tls`: STRICT / PERMISSIVE / DISABLE mTLS. */
  mtls?: InboundMtls;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

function rawResponse(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\n${FLAGS_HEADER}: ${ResponseFlag.DownstreamProtocolError}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
}

/**
 * A Duplex over `socket` that first replays `head`. node:http2 (Node 20)
 * reads a net.Socket's handle directly and would miss bytes already read
 * while sniffing the preface; through a JS stream it sees them.
 */
function replaying(socket: Socket, head: Buffer): Duplex {
  const d = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _enc, cb) => void socket.write(chunk, cb),
    final: (cb) => {
      socket.end();
      cb();
    },
    destroy: (err, cb) => {
      socket.destroy();
      cb(err);
    },
  });
  Object.defineProperty(d, "remoteAddress", { value: socket.remoteAddress });
  d.push(head);
  socket.on("data", (c: Buffer) => {
    if (!d.push(c)) socket.pause();
  });
  socket.on("end", () => d.push(null));
  socket.on("close", () => d.destroy());
  socket.on("error", (err) => d.destroy(err));
  return d;
}

/**
 * An HTTP/1.1 (+ HTTP/2) listener. `insecureHTTPParser` stays off, so llhttp
 * refuses the usual request-smuggling shapes (Content-Length with
 * Transfer-Encoding, duplicate Content-Length, obfuscated chunked, bare CR,
 * spaces before the colon...); those and oversized heads are answered here
 * and the socket closed.
 *
 * mTLS (inbound): STRICT hands every connection to a TLS server that
 * requires a client certificate (OpenSSL checks the chain against the
 * bundle, then the SPIFFE X.509-SVID rules run); PERMISSIVE looks at the first
 * byte: a TLS handshake goes to that server, anything else to plain HTTP;
 * DISABLE is plain HTTP. The TLS context follows the identity material: a new
 * SVID or bundle applies to new connections, open ones keep theirs.
 */
export async function openHttpListener(options: HttpListenerOptions, port: number, address: string): Promise<ListenerRuntime> {
  const h1 = createHttpServer(
    {
      insecureHTTPParser: false,
      maxHeaderSize: options.limits.maxHeaderBytes,
      requireHostHeader: true,
      // Slow-loris guards: the head within 30 s, the whole request within 5 min.
      headersTimeout: 30_000,
      requestTimeout: 300_000,
      keepAliveTimeout: 5_000,
    },
    (req, res) => options.onRequest(req, res, false),
  );
  // One more than the limit, so the handler can tell "over" from "exactly at".
  h1.maxHeadersCount = options.limits.maxHeaderCount + 1;
  // h1 never listens itself (connections are handed to it); 'listening' starts its timeout checks.
  h1.emit("listening");
  h1.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
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
  h1.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    socket.on("error", () => socket.destroy());
    socket.end("HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  h1.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    options.onUpgrade(req, socket, head);
  });

  const sessions = new Set<ServerHttp2Session>();
  const h2 = options.http2
    ? createH2Server(
        {
          maxHeaderListPairs: options.limits.maxHeaderCount + 1,
          maxSendHeaderBlockLength: 65536,
          settings: { maxHeaderListSize: options.limits.maxHeaderBytes, enablePush: false },
        },
        (req: Http2ServerRequest, res: Http2ServerResponse) => options.onRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse, true),
      )
    : undefined;
  h2?.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on("error", () => session.destroy());
    session.once("close", () => sessions.delete(session));
  });
  h2?.on("sessionError", () => undefined);

  const sockets = new Set<Socket>();
  const dispatchPlain = (socket: Socket, prefetched?: Buffer) => {
    if (!h2) {
      if (prefetched) socket.unshift(prefetched);
      h1.emit("connection", socket);
      if (prefetched) socket.resume();
      return;
    }
    // Sniff the HTTP/2 preface: no valid HTTP/1.1 request starts with "PRI ".
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const n = Math.min(head.length, PREFACE.length);
      const maybeH2 = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (maybeH2 && head.length < 4) return; // "P" could still be POST
      socket.off("data", onData);
      socket.pause();
      if (maybeH2) h2.emit("connection", replaying(socket, head));
      else {
        socket.unshift(head);
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    if (prefetched) {
      socket.resume();
      onData(prefetched);
    }
  };

  const alpn = options.http2 ? ["h2", "http/1.1"] : ["http/1.1"];
  const mtls = options.mtls;
  let mtlsServer: TlsServer | undefined;
  let mtlsGeneration = -1;
  /** The mTLS server, its context following the current material (created on first use). */
  const mtlsFront = (): TlsServer | undefined => {
    const material = mtls?.material();
    if (!mtls || !material) return undefined;
    const context = { cert: material.certChainPem, key: material.keyPem, ca: material.caPem };
    if (!mtlsServer) {
      mtlsServer = createTlsServer({ ...context, noDelay: true, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2", ALPNProtocols: alpn });
      mtlsServer.on("secureConnection", (socket: TLSSocket) => {
        const peer = mtls.verify(socket);
        if (!peer) {
          socket.destroy();
          return;
        }
        (socket as unknown as { [PEER]: PeerIdentity })[PEER] = peer;
        if (socket.alpnProtocol === "h2" && h2) h2.emit("connection", socket);
        else h1.emit("connection", socket);
      });
      mtlsServer.on("tlsClientError", (err: Error & { code?: string }, socket) => {
        mtls.onRefused(/WRONG_VERSION_NUMBER|HTTP_REQUEST|http request/i.test(`${err.code ?? ""} ${err.message}`) ? "plaintext" : "handshake");
        socket.destroy();
      });
    } else if (material.generation !== mtlsGeneration) {
      // New connections get the new SVID / bundle; established ones keep the context they negotiated.
      mtlsServer.setSecureContext(context);
    }
    mtlsGeneration = material.generation;
    return mtlsServer;
  };
  const dispatchInbound = (socket: Socket) => {
    const mode = mtls?.mode() ?? "DISABLE";
    if (mode === "DISABLE") {
      dispatchPlain(socket);
      return;
    }
    const server = mtlsFront();
    if (!server) {
      // Validation guarantees an identity for STRICT; without material only plaintext is possible.
      if (mode === "PERMISSIVE") dispatchPlain(socket);
      else socket.destroy();
      return;
    }
    if (mode === "STRICT") {
      // Nothing read yet, so node:tls can drive the socket's handle directly.
      server.emit("connection", socket);
      return;
    }
    socket.once("data", (head: Buffer) => {
      socket.pause();
      if (head[0] === TLS_HANDSHAKE) server.emit("connection", replaying(socket, head));
      else dispatchPlain(socket, head);
    });
  };

  let front: NetServer;
  if (options.tls) {
    const tlsServer = createTlsServer({
      // Nagle would hold small responses back for a delayed ACK (tens of ms).
      noDelay: true,
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      ALPNProtocols: alpn,
    });
    tlsServer.on("secureConnection", (socket: TLSSocket) => {
      if (socket.alpnProtocol === "h2" && h2) h2.emit("connection", socket);
      else h1.emit("connection", socket);
    });
    tlsServer.on("tlsClientError", (_err, socket) => socket.destroy());
    front = tlsServer;
  } else {
    // Nagle would hold small responses back for a delayed ACK (tens of ms).
    front = createNetServer({ noDelay: true }, mtls ? dispatchInbound : (socket) => dispatchPlain(socket));
  }
  front.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.once("close", () => sockets.delete(socket));
  });

  const closed = new Promise<void>((resolve) =>
    front.once("close", () => {
      h1.close();
      resolve();
    }),
  );
  const bound = await bind(front, port, address);
  return {
    bound,
    closed,
    stopAccepting() {
      front.close();
      h1.closeIdleConnections();
      for (const s of sessions) if (!s.closed) s.close();
    },
    destroyAll() {
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
    },
  };
}

/** A TCP passthrough listener: every accepted connection goes to `onConnection`. */
export async function openTcpListener(onConnection: (socket: Socket) => void, port: number, address: string): Promise<ListenerRuntime> {
  const sockets = new Set<Socket>();
  const server = createNetServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  const bound = await bind(server, port, address);
  return {
    bound,
    closed,
    stopAccepting: () => void server.close(),
    destroyAll() {
      for (const s of sockets) s.destroy();
    },
  };
}

/** Resolves once the server listens; rejects on a bind error (EADDRINUSE...). */
export function bind(server: NetServer, port: number, address: string): Promise<{ address: string; port: number }> {
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
