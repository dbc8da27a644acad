// Which protocol a new connection speaks, decided from its first bytes or
// its TLS handshake, and who gets it: on a plain port the HTTP/2 connection
// preface (prior-knowledge h2c) is recognised in the first bytes; after TLS,
// ALPN decides. Inbound mTLS: STRICT hands every connection to a TLS server
// that requires a client certificate (OpenSSL checks the chain against the
// bundle, then the SPIFFE X.509-SVID rules run); PERMISSIVE looks at the
// first byte (a TLS handshake goes to that server, anything else to plain
// HTTP); DISABLE is plain HTTP. The mTLS context follows the identity
// material: a new SVID or bundle applies to new connections, open ones keep theirs.
import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import type { MtlsMode } from "@weft/mesh-model/proxy-config";
import type { IdentityMaterial } from "../core/identity-material.ts";
import { setPeer, type PeerIdentity } from "../core/peer-identity.ts";

/** mTLS of an inbound listener; read per connection, so mode and material change without a new socket. */
export interface InboundMtls {
  mode(): MtlsMode;
  material(): IdentityMaterial | undefined;
  /** Validates the client of a finished handshake by the X.509-SVID rules; undefined refuses it. */
  verify(socket: TLSSocket): PeerIdentity | undefined;
  /** A refused connection: `plaintext` (STRICT), `handshake` (OpenSSL refused) or an SVID failure code. */
  onRefused(reason: string): void;
}

/** Where a connection goes once its protocol is known. */
export interface ProtocolSinks {
  /** HTTP/1.1 (a plain socket, or a TLS socket that negotiated http/1.1 or nothing). */
  h1(socket: Duplex): void;
  /** HTTP/2; undefined when the listener does not speak it. */
  h2: ((socket: Duplex) => void) | undefined;
}

/** TLS record type of a handshake: the first byte a TLS ClientHello starts with. */
const TLS_HANDSHAKE = 0x16;

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * A Duplex over `socket` that first replays `head`. node:http2 (Node 20)
 * reads a net.Socket's handle directly and would miss bytes already read
 * while sniffing the preface; through a JS stream it sees them.
 */
export function replaying(socket: Socket, head: Buffer): Duplex {
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

/** A TLS socket after its handshake: ALPN picks the protocol. */
export function byAlpn(socket: TLSSocket, sinks: ProtocolSinks): void {
  if (socket.alpnProtocol === "h2" && sinks.h2) sinks.h2(socket);
  else sinks.h1(socket);
}

/** Routes a plain connection: HTTP/2 preface or HTTP/1.1. `prefetched` are bytes already read from it. */
export function routePlain(socket: Socket, sinks: ProtocolSinks, prefetched?: Buffer): void {
  const h2 = sinks.h2;
  if (!h2) {
    if (prefetched) socket.unshift(prefetched);
    sinks.h1(socket);
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
    if (maybeH2) h2(replaying(socket, head));
    else {
      socket.unshift(head);
      sinks.h1(socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
  if (prefetched) {
    socket.resume();
    onData(prefetched);
  }
}

/** The inbound mTLS front: a TLS server requiring client certificates, its context following the current material. */
export class MtlsFront {
  private server: TlsServer | undefined;
  private generation = -1;

  constructor(
    private readonly mtls: InboundMtls,
    private readonly alpn: string[],
    private readonly sinks: ProtocolSinks,
  ) {}

  /** Routes a new inbound connection by the listener's current mTLS mode. */
  route(socket: Socket): void {
    const mode = this.mtls.mode();
    if (mode === "DISABLE") {
      routePlain(socket, this.sinks);
      return;
    }
    const server = this.current();
    if (!server) {
      // Validation guarantees an identity for STRICT; without material only plaintext is possible.
      if (mode === "PERMISSIVE") routePlain(socket, this.sinks);
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
      else routePlain(socket, this.sinks, head);
    });
  }

  /** The TLS server (created on first use), or undefined without identity material. */
  private current(): TlsServer | undefined {
    const mtls = this.mtls;
    const material = mtls.material();
    if (!material) return undefined;
    const context = { cert: material.certChainPem, key: material.keyPem, ca: material.caPem };
    if (!this.server) {
      const server = createTlsServer({ ...context, noDelay: true, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2", ALPNProtocols: this.alpn });
      server.on("secureConnection", (socket: TLSSocket) => {
        const peer = mtls.verify(socket);
        if (!peer) {
          socket.destroy();
          return;
        }
        setPeer(socket, peer);
        byAlpn(socket, this.sinks);
      });
      server.on("tlsClientError", (err: Error & { code?: string }, socket) => {
        mtls.onRefused(/WRONG_VERSION_NUMBER|HTTP_REQUEST|http request/i.test(`${err.code ?? ""} ${err.message}`) ? "plaintext" : "handshake");
        socket.destroy();
      });
      this.server = server;
    } else if (material.generation !== this.generation) {
      // New connections get the new SVID / bundle; established ones keep the context they negotiated.
      this.server.setSecureContext(context);
    }
    this.generation = material.generation;
    return this.server;
  }
}
