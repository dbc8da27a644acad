// The servers behind a listener. An HTTP listener accepts HTTP/1.1 and
// HTTP/2 on one port (connection-router.ts decides which a connection
// speaks; http-servers.ts serves it). A TCP listener hands each connection
// to the passthrough.
import type { ServerHttp2Session } from "node:http2";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { Limits, ListenerTls } from "@weft/mesh-model/proxy-config";
import { byAlpn, MtlsFront, routePlain, type InboundMtls, type ProtocolSinks } from "./connection-router.ts";
import { FastConnection, type FastConnectionHooks } from "./fast-connection.ts";
import { createH1Server, createHttp2Server, type HttpServerHooks } from "./http-servers.ts";

export type { InboundMtls } from "./connection-router.ts";

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

export interface HttpListenerOptions extends HttpServerHooks {
  limits: Limits;
  http2: boolean;
  tls: ListenerTls | undefined;
  /** Inbound listeners without `tls`: STRICT / PERMISSIVE / DISABLE mTLS. */
  mtls?: InboundMtls;
  /** The HTTP/1.1 fast path: its connections read requests themselves and hand a connection to node:http only when a request needs it. */
  fast?: Pick<FastConnectionHooks, "request" | "draining">;
}

/** An HTTP/1.1 (+ HTTP/2) listener, plain, TLS-terminating, or inbound with mTLS. */
export async function openHttpListener(options: HttpListenerOptions, port: number, address: string): Promise<ListenerRuntime> {
  const h1 = createH1Server(options.limits, options);
  const sessions = new Set<ServerHttp2Session>();
  const h2 = options.http2 ? createHttp2Server(options.limits, options, sessions) : undefined;
  const fastConnections = new Set<FastConnection>();
  const toNode = (socket: Duplex) => h1.emit("connection", socket);
  const fast = options.fast;
  const fastHooks: FastConnectionHooks | undefined = fast && {
    limits: options.limits,
    request: fast.request,
    draining: fast.draining,
    protocolError: options.onProtocolError,
    handOff(socket, buffered) {
      if (buffered.length > 0) socket.unshift(buffered);
      toNode(socket);
      socket.resume();
    },
  };
  const sinks: ProtocolSinks = {
    h1: fastHooks
      ? (socket) => {
          const conn = new FastConnection(socket, fastHooks);
          fastConnections.add(conn);
          socket.once("close", () => fastConnections.delete(conn));
        }
      : toNode,
    h2: h2 ? (socket) => h2.emit("connection", socket) : undefined,
  };
  const alpn = options.http2 ? ["h2", "http/1.1"] : ["http/1.1"];

  let front: NetServer;
  if (options.tls) {
    const tlsServer = createTlsServer({
      // Nagle would hold small responses back for a delayed ACK (tens of ms).
      noDelay: true,
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      ALPNProtocols: alpn,
    });
    tlsServer.on("secureConnection", (socket: TLSSocket) => byAlpn(socket, sinks));
    tlsServer.on("tlsClientError", (_err, socket) => socket.destroy());
    front = tlsServer;
  } else {
    const mtls = options.mtls ? new MtlsFront(options.mtls, alpn, sinks) : undefined;
    // Nagle would hold small responses back for a delayed ACK (tens of ms).
    front = createNetServer({ noDelay: true }, mtls ? (socket) => mtls.route(socket) : (socket) => routePlain(socket, sinks));
  }
  const sockets = new Set<Socket>();
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
      for (const c of fastConnections) c.closeIfIdle();
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
