// One request/response exchange on a raw pooled connection (the fast path):
// writes the request head (one write, body bytes corked with it), parses the
// response head with the strict parser, then hands the body bytes on as
// they arrive, unchanged, and knows where the response ends (Content-Length,
// chunked, or the close of the connection) so the socket can be reused.
// Informational (1xx) responses are skipped, as node:http's client does.
import { ChunkedScanner } from "../codec/chunked.ts";
import { parseResponseHead, type HeadLimits, type ResponseHead } from "../codec/http1-head.ts";
import type { ConnectionUser, H1Pool, RawConnection } from "./h1-pool.ts";
import type { AttemptFailure } from "./retry.ts";

/** What the caller of an exchange hears. */
export interface ExchangeEvents {
  /** The response head; `buf` holds it in [0, head.length). */
  head(head: ResponseHead, buf: Buffer): void;
  /** Body bytes exactly as the upstream framed them. Return false to pause the upstream. */
  body(chunk: Buffer): boolean;
  /** The response is complete (the connection is back in the pool or closed). */
  end(): void;
  /** Failed before the head (`beforeHead`), or cut mid-body. */
  failure(failure: AttemptFailure, reason: string, beforeHead: boolean): void;
}

const enum Phase {
  Head,
  Body,
  Done,
}

const enum Framing {
  None,
  Length,
  Chunked,
  Close,
}

const RESPONSE_LIMITS: HeadLimits = { maxHeaderBytes: 65_536, maxHeaderCount: 1000, maxUriLength: 0 };

export class Exchange implements ConnectionUser {
  private phase = Phase.Head;
  private pending: Buffer | undefined;
  private framing = Framing.None;
  private remaining = 0;
  private chunked: ChunkedScanner | undefined;
  private reusable = true;
  private gotBytes = false;
  /** Body delivery starts once the caller has decided what to do with the head (`flow`). */
  private flowing = false;
  private held: Buffer[] = [];
  private closedEarly = false;

  constructor(
    private readonly pool: H1Pool,
    readonly conn: RawConnection,
    /** A HEAD request: the response has no body whatever it says. */
    private readonly isHead: boolean,
    private readonly events: ExchangeEvents,
  ) {
    conn.user = this;
  }

  /** Whether the connection came from the idle list and nothing came back on it yet (a keep-alive race). */
  get staleReuse(): boolean {
    return this.conn.reused && !this.gotBytes;
  }

  /** Sends the request head and, if given, the first body bytes in one write. */
  send(head: string, body?: Buffer): void {
    const socket = this.conn.socket;
    const bytes = Buffer.from(head, "latin1");
    if (body && body.length > 0) {
      socket.cork();
      socket.write(bytes);
      socket.write(body);
      socket.uncork();
    } else socket.write(bytes);
  }

  /** More request body; false when the upstream is pushing back (wait for `onDrain`). */
  writeBody(chunk: Buffer): boolean {
    return this.conn.socket.write(chunk);
  }

  onDrain(fn: () => void): void {
    this.conn.socket.once("drain", fn);
  }

  pause(): void {
    this.conn.socket.pause();
  }

  resume(): void {
    this.conn.socket.resume();
  }

  /** Gives up on the exchange (downstream gone, timeout): the connection is closed. */
  abort(): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    this.conn.user = undefined;
    this.conn.socket.destroy();
  }

  /** The caller does not want the response (a retried answer): the connection is closed rather than drained. */
  discard(): void {
    this.abort();
  }

  data(chunk: Buffer): void {
    this.gotBytes = true;
    if (this.phase === Phase.Head) this.headData(chunk);
    else if (this.phase === Phase.Body) {
      if (this.flowing) this.bodyData(chunk, 0);
      else this.held.push(chunk);
    }
  }

  /** Starts handing on the body (and ends a body-less response): called once the caller is ready for it. */
  flow(): void {
    if (this.phase !== Phase.Body || this.flowing) return;
    this.flowing = true;
    if (this.framing === Framing.None || (this.framing === Framing.Length && this.remaining === 0)) {
      if (this.held.some((b) => b.length > 0)) this.reusable = false;
      this.finish();
      return;
    }
    const held = this.held;
    this.held = [];
    for (const b of held) {
      if (this.phase !== Phase.Body) return;
      this.bodyData(b, 0);
    }
    if (this.closedEarly && this.phase === Phase.Body) this.closed();
  }

  closed(): void {
    if (this.phase === Phase.Done) return;
    if (this.phase === Phase.Body && !this.flowing) {
      // Closed before the caller took the body: it learns when it calls flow().
      this.closedEarly = true;
      return;
    }
    if (this.phase === Phase.Body && this.framing === Framing.Close) {
      this.reusable = false;
      this.finish();
      return;
    }
    const beforeHead = this.phase === Phase.Head;
    this.phase = Phase.Done;
    this.events.failure("reset", beforeHead ? "upstream closed before responding" : "upstream closed mid-body", beforeHead);
  }

  timedOut(): void {
    if (this.phase === Phase.Done) return;
    const beforeHead = this.phase === Phase.Head;
    this.phase = Phase.Done;
    this.conn.user = undefined;
    this.conn.socket.destroy();
    this.events.failure("timeout", "upstream idle timeout", beforeHead);
  }

  private headData(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      const r = parseResponseHead(buf, 0, RESPONSE_LIMITS);
      if (r.kind === "incomplete") {
        this.pending = buf;
        return;
      }
      this.pending = undefined;
      if (r.kind === "error") {
        this.phase = Phase.Done;
        this.conn.user = undefined;
        this.conn.socket.destroy();
        this.events.failure("reset", `malformed response: ${r.reason}`, true);
        return;
      }
      const head = r.head;
      if (head.status >= 100 && head.status < 200) {
        if (head.status === 101) {
          this.phase = Phase.Done;
          this.conn.user = undefined;
          this.conn.socket.destroy();
          this.events.failure("reset", "unexpected 101 Switching Protocols", true);
          return;
        }
        // Informational: skipped; the final response follows.
        buf = buf.subarray(head.length);
        if (buf.length === 0) return;
        continue;
      }
      this.startBody(head);
      if (buf.length > head.length) this.held.push(buf.subarray(head.length));
      this.events.head(head, buf);
      return;
    }
  }

  private startBody(head: ResponseHead): void {
    if (head.close) this.reusable = false;
    if (this.isHead || head.status === 204 || head.status === 304) {
      this.framing = Framing.None;
    } else if (head.transferEncoding) {
      this.framing = head.chunked ? Framing.Chunked : Framing.Close;
      if (head.chunked) this.chunked = new ChunkedScanner();
    } else if (head.contentLength !== undefined) {
      this.framing = Framing.Length;
      this.remaining = head.contentLength;
    } else this.framing = Framing.Close;
    if (this.framing === Framing.Close) this.reusable = false;
    this.phase = Phase.Body;
  }

  private bodyData(buf: Buffer, start: number): void {
    let end = buf.length;
    let complete = false;
    switch (this.framing) {
      case Framing.None:
        end = start;
        complete = true;
        break;
      case Framing.Length: {
        const take = Math.min(this.remaining, buf.length - start);
        this.remaining -= take;
        end = start + take;
        complete = this.remaining === 0;
        break;
      }
      case Framing.Chunked: {
        const r = (this.chunked as ChunkedScanner).scan(buf, start);
        if (r.kind === "error") {
          this.phase = Phase.Done;
          this.conn.user = undefined;
          this.conn.socket.destroy();
          this.events.failure("reset", `malformed chunked body: ${r.reason}`, false);
          return;
        }
        end = start + r.consumed;
        complete = r.kind === "done";
        break;
      }
      case Framing.Close:
        break;
    }
    // Bytes past the end of the response: the upstream cannot be trusted with another request.
    if (complete && end < buf.length) this.reusable = false;
    const slice = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    const more = slice.length === 0 ? true : this.events.body(slice);
    if (complete) this.finish();
    else if (!more) this.pause();
  }

  private finish(): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    this.pool.release(this.conn, this.reusable);
    this.events.end();
  }
}
