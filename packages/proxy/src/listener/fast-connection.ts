// One downstream HTTP/1.1 connection on the fast path: reads request heads
// with the strict parser, hands each request to the dispatcher, frames its
// body (Content-Length or chunked, forwarded as received) and writes the
// response on the raw socket. A request that needs more than the fast path
// does (decided by http/path-decision.ts) hands the whole connection, bytes
// already read included, to node:http, which serves it from then on.
// Malformed heads are answered 400 / 414 / 431 / 501 / 505 and counted;
// nothing of them reaches an upstream.
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { ChunkedScanner } from "../codec/chunked.ts";
import { parseRequestHead, type HeadLimits, type RequestHead } from "../codec/http1-head.ts";
import { peerOfSocket, type PeerIdentity } from "../core/peer-identity.ts";
import type { FastDownstream } from "../http/fast-downstream.ts";
import { protocolErrorResponse } from "./http-servers.ts";

/** What a fast connection needs from its listener. */
export interface FastConnectionHooks {
  limits: HeadLimits;
  /** A parsed request: true when the fast path takes it, false to hand the connection to node:http. */
  request(req: FastRequest): boolean;
  /** A malformed head was refused with `status`. */
  protocolError(status: number): void;
  /** Hands the connection (with `buffered` bytes not yet consumed) to node:http. */
  handOff(socket: Duplex, buffered: Buffer): void;
  /** True while the listener drains: responses close the connection. */
  draining(): boolean;
}

/** Keep-alive between requests, and the time a head may take (node:http's defaults for the slow path). */
const KEEP_ALIVE_MS = 5_000;
const HEAD_TIMEOUT_MS = 30_000;
/** Bytes read ahead (pipelined requests, an unread body) before the client is paused. */
const READ_AHEAD_BYTES = 65_536;

const EMPTY = Buffer.alloc(0);
/** Body bytes up to this size are copied behind the response head for a single write; larger ones are written after it. */
const MERGE_BODY_BYTES = 16_384;

const STATUS_REASON: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

export class FastConnection {
  private buf: Buffer = EMPTY;
  private current: FastRequest | undefined;
  private headStartedAt = 0;
  private closed = false;
  private handedOff = false;
  private readonly peer: PeerIdentity | undefined;

  constructor(
    readonly socket: Socket | Duplex,
    private readonly hooks: FastConnectionHooks,
  ) {
    this.peer = peerOfSocket(socket);
    socket.on("data", this.onData);
    socket.on("error", () => socket.destroy());
    socket.once("close", () => this.onClose());
    (socket as Socket).setTimeout?.(KEEP_ALIVE_MS, () => this.onTimeout());
  }

  get remoteAddress(): string | undefined {
    return (this.socket as Socket).remoteAddress;
  }

  /** Closes the connection if no request is in flight (listener drain). */
  closeIfIdle(): void {
    if (!this.current && !this.handedOff) this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    const req = this.current;
    if (req) {
      if (req.streaming) req.feed(chunk);
      else this.readAhead(chunk);
      return;
    }
    if (this.buf.length === 0) this.headStartedAt = Date.now();
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.nextHead();
  };

  /** Bytes that arrive while a request is in flight and not streaming its body: kept for later. */
  private readAhead(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length > READ_AHEAD_BYTES) this.socket.pause();
  }

  /** Parses the next request head in the buffer, if it is all there. */
  private nextHead(): void {
    if (this.closed || this.handedOff || this.buf.length === 0) return;
    const r = parseRequestHead(this.buf, 0, this.hooks.limits);
    if (r.kind === "incomplete") {
      if (Date.now() - this.headStartedAt > HEAD_TIMEOUT_MS) this.refuse(408);
      return;
    }
    if (r.kind === "error") {
      this.refuse(r.status === 502 ? 400 : r.status);
      return;
    }
    const buf = this.buf;
    this.buf = EMPTY;
    const req = new FastRequest(this, r.head, buf, this.peer);
    if (req.bodyBroken) {
      // The body bytes that came with the head already break the chunked framing: refused before anything is forwarded.
      this.refuse(400);
      return;
    }
    this.current = req;
    if (!this.hooks.request(req)) {
      // node:http reads the request again from its first byte.
      this.current = undefined;
      this.buf = this.buf.length === 0 ? buf : Buffer.concat([buf, this.buf]);
      this.handOffNow();
    }
  }

  /** A malformed head: answered, counted, and the connection closed (its framing cannot be trusted). */
  private refuse(status: number): void {
    this.hooks.protocolError(status);
    this.closed = true;
    this.buf = EMPTY;
    if (this.socket.writable) this.socket.end(protocolErrorResponse(status, STATUS_REASON[status] ?? "Bad Request"));
    else this.socket.destroy();
  }

  private handOffNow(): void {
    this.handedOff = true;
    const socket = this.socket;
    socket.off("data", this.onData);
    socket.pause();
    (socket as Socket).setTimeout?.(0);
    socket.removeAllListeners("timeout");
    const buffered = this.buf;
    this.buf = EMPTY;
    this.hooks.handOff(socket, buffered);
  }

  private onTimeout(): void {
    if (this.current || this.handedOff || this.closed) return;
    if (this.buf.length > 0) this.refuse(408);
    else this.socket.destroy();
  }

  private onClose(): void {
    this.closed = true;
    const req = this.current;
    this.current = undefined;
    req?.connectionClosed();
  }

  /** Called by the request once its response is complete. */
  requestDone(req: FastRequest, rest: Buffer, keepAlive: boolean): void {
    if (this.current !== req) return;
    this.current = undefined;
    if (!keepAlive || this.closed) {
      this.closed = true;
      this.socket.end();
      return;
    }
    // What the request left unread comes before what was read ahead meanwhile.
    this.buf = rest.length === 0 ? this.buf : this.buf.length === 0 ? rest : Buffer.concat([rest, this.buf]);
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buf.length > 0) {
      this.headStartedAt = Date.now();
      this.nextHead();
    }
  }

  /** A request's body broke the framing rules: 400 when nothing was answered yet, and the connection closes. */
  bodyRefused(req: FastRequest): void {
    if (this.current !== req) return;
    this.current = undefined;
    this.hooks.protocolError(400);
    this.closed = true;
    if (req.status === 0 && this.socket.writable) this.socket.end(protocolErrorResponse(400, "Bad Request"));
    else this.socket.destroy();
    req.connectionClosed();
  }

  /** Bytes the connection read ahead while a request was in flight (the request takes them for its body). */
  takeReadAhead(): Buffer {
    const b = this.buf;
    this.buf = EMPTY;
    return b;
  }

  get draining(): boolean {
    return this.hooks.draining();
  }
}

const enum BodyFraming {
  None,
  Length,
  Chunked,
}

/** One request on a fast connection. */
export class FastRequest implements FastDownstream {
  status = 0;
  /** The body is being handed to a consumer as it arrives. */
  streaming = false;
  private bodyDone: boolean;
  private remaining = 0;
  private chunked: ChunkedScanner | undefined;
  private readonly framing: BodyFraming;
  /** Unconsumed bytes after the head: body first, then whatever follows. */
  private pending: Buffer;
  private onChunk: ((b: Buffer) => boolean) | undefined;
  private onBodyEnd: (() => void) | undefined;
  private doneListeners: ((completed: boolean) => void)[] = [];
  private finished = false;
  /** The response head, held until the first body bytes (one write with them) or the end of this tick. */
  private heldHead: string | undefined;
  private closeAfter = false;
  /** The body broke its framing (malformed chunked). */
  bodyBroken = false;
  /** Body bytes that came with the head, already checked against the framing. */
  private bufferedBody: Buffer | undefined;

  constructor(
    private readonly conn: FastConnection,
    readonly head: RequestHead,
    buf: Buffer,
    readonly peer: PeerIdentity | undefined,
  ) {
    this.pending = buf.length === head.length ? EMPTY : buf.subarray(head.length);
    if (head.chunked) {
      this.framing = BodyFraming.Chunked;
      this.chunked = new ChunkedScanner();
      this.bodyDone = false;
    } else if (head.contentLength !== undefined && head.contentLength > 0) {
      this.framing = BodyFraming.Length;
      this.remaining = head.contentLength;
      this.bodyDone = false;
    } else {
      this.framing = BodyFraming.None;
      this.bodyDone = true;
    }
    if (this.framing !== BodyFraming.None && this.pending.length > 0) {
      const [body, rest] = this.split(this.pending, false);
      this.pending = rest;
      this.bufferedBody = body.length > 0 ? body : undefined;
    }
  }

  get remoteAddress(): string | undefined {
    return this.conn.remoteAddress;
  }

  get hasBody(): boolean {
    return this.framing !== BodyFraming.None;
  }

  get closed(): boolean {
    const socket = this.conn.socket;
    return socket.destroyed || !socket.writable;
  }

  /** The body bytes among those already read; the rest stays for the next request. */
  takeBufferedBody(): Buffer | undefined {
    const body = this.bufferedBody;
    this.bufferedBody = undefined;
    return body;
  }

  streamBody(chunk: (b: Buffer) => boolean, end: () => void): { resume(): void } {
    this.onChunk = chunk;
    this.onBodyEnd = end;
    const socket = this.conn.socket;
    if (this.bodyDone) queueMicrotask(end);
    else {
      this.streaming = true;
      const ahead = this.conn.takeReadAhead();
      if (ahead.length > 0) this.feed(ahead);
      if (socket.isPaused() && !this.bodyDone) socket.resume();
    }
    return { resume: () => socket.resume() };
  }

  /** Socket data while the body streams. */
  feed(chunk: Buffer): void {
    if (this.bodyDone) {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      return;
    }
    const [body, rest] = this.split(chunk);
    if (rest.length > 0) this.pending = this.pending.length === 0 ? rest : Buffer.concat([this.pending, rest]);
    if (this.bodyBroken) return;
    const more = body.length === 0 || (this.onChunk?.(body) ?? true);
    if (this.bodyDone) {
      this.streaming = false;
      this.onBodyEnd?.();
    } else if (!more) this.conn.socket.pause();
  }

  /** Splits bytes into the part that belongs to the body and the part after it; `live`: the request is dispatched (a framing error is answered by the connection). */
  private split(b: Buffer, live = true): [Buffer, Buffer] {
    if (this.bodyDone) return [EMPTY, b];
    if (this.framing === BodyFraming.Length) {
      const take = Math.min(this.remaining, b.length);
      this.remaining -= take;
      if (this.remaining === 0) this.bodyDone = true;
      return take === b.length ? [b, EMPTY] : [b.subarray(0, take), b.subarray(take)];
    }
    const r = (this.chunked as ChunkedScanner).scan(b, 0);
    if (r.kind === "error") {
      // A malformed body: nothing more of it is forwarded; answered 400 (as node:http does) and the connection closed.
      this.bodyBroken = true;
      this.bodyDone = true;
      if (live) this.conn.bodyRefused(this);
      return [EMPTY, EMPTY];
    }
    if (r.kind === "done") this.bodyDone = true;
    return r.consumed === b.length ? [b, EMPTY] : [b.subarray(0, r.consumed), b.subarray(r.consumed)];
  }

  writeHead(status: number, head: string, upstreamClose: boolean): void {
    this.status = status;
    const h = this.head;
    // Keep-alive unless the client, the upstream's framing or a drain says otherwise; an unread body cannot be skipped safely.
    const close = upstreamClose || h.close || this.conn.draining || this.closeAfter;
    this.closeAfter = close;
    this.heldHead = close ? `${head}connection: close\r\n\r\n` : h.minor === 0 ? `${head}connection: keep-alive\r\n\r\n` : `${head}\r\n`;
    // The body usually follows in this same tick (the relay hands on what came with the upstream's head): then head and
    // body go out in one plain write, cheaper than a corked writev. A body that takes longer does not hold the head back.
    process.nextTick(() => this.flushHead());
  }

  private flushHead(): void {
    const head = this.heldHead;
    if (head === undefined) return;
    this.heldHead = undefined;
    this.conn.socket.write(Buffer.from(head, "latin1"));
  }

  write(chunk: Buffer): boolean {
    const head = this.heldHead;
    const socket = this.conn.socket;
    if (head === undefined) return socket.write(chunk);
    this.heldHead = undefined;
    if (chunk.length > MERGE_BODY_BYTES) {
      socket.write(Buffer.from(head, "latin1"));
      return socket.write(chunk);
    }
    // Latin1: one byte per character, so the head's length is its size.
    const out = Buffer.allocUnsafe(head.length + chunk.length);
    out.write(head, 0, "latin1");
    chunk.copy(out, head.length);
    return socket.write(out);
  }

  onDrain(fn: () => void): void {
    this.conn.socket.once("drain", fn);
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.flushHead();
    // The connection carries another request only once this body has been read to its end.
    const keepAlive = !this.closeAfter && this.bodyDone && !this.bodyBroken;
    this.emitDone(true);
    this.conn.requestDone(this, this.pending, keepAlive);
  }

  destroy(): void {
    this.conn.socket.destroy();
  }

  onDone(fn: (completed: boolean) => void): void {
    if (this.finished) fn(this.status !== 0);
    else this.doneListeners.push(fn);
  }

  /** The connection closed while this request was in flight. */
  connectionClosed(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.streaming && !this.bodyDone) this.bodyBroken = true;
    this.emitDone(false);
  }

  private emitDone(completed: boolean): void {
    const listeners = this.doneListeners;
    this.doneListeners = [];
    for (const fn of listeners) fn(completed);
  }
}
