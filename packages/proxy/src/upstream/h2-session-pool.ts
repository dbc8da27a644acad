// HTTP/2 client sessions per upstream endpoint, shared by every request to
// it (h2c with prior knowledge, or h2 over TLS by ALPN). Normally one session
// per endpoint; with `maxConcurrentStreams` another one opens when every
// session is full, and with `maxRequestsPerSession` a session that served its
// quota stops taking streams and closes once they finish. A session that
// fails, is told to go away or closes is dropped; the next request opens a new one.
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import type { TlsFor } from "./tls-options.ts";

interface Tracked {
  session: ClientHttp2Session;
  active: number;
  served: number;
  /** The last stream id of a GOAWAY the upstream sent: streams above it were not processed (RFC 9113 §6.8). */
  goawayLastStreamId?: number;
}

export class H2SessionPool {
  private readonly sessions = new Map<string, Tracked[]>();
  private readonly bySession = new WeakMap<ClientHttp2Session, Tracked>();
  private closed = false;

  constructor(
    private readonly tlsFor: TlsFor | undefined,
    private readonly idleTimeoutMs: number,
    private readonly maxConcurrentStreams: number | undefined = undefined,
    private readonly maxRequestsPerSession: number | undefined = undefined,
  ) {}

  /** A live session to `address:port` (with TLS server name `sni`) with room for a stream, connecting when there is none. */
  session(address: string, port: number, sni?: string): { session: ClientHttp2Session; reused: boolean } {
    const key = sni === undefined ? `${address}:${port}` : `${address}:${port}#${sni}`;
    const list = this.sessions.get(key);
    if (list) {
      for (const t of list) {
        if (t.session.closed || t.session.destroyed) continue;
        if (this.maxConcurrentStreams === undefined || t.active < this.maxConcurrentStreams) return { session: t.session, reused: true };
      }
    }
    const host = address.includes(":") ? `[${address}]` : address;
    const session = this.tlsFor ? connect(`https://${host}:${port}`, this.tlsFor(address, ["h2"], sni)) : connect(`http://${host}:${port}`);
    const tracked: Tracked = { session, active: 0, served: 0 };
    const drop = () => this.remove(key, tracked);
    session.on("error", drop);
    // Node emits it before nghttp2 closes the streams above the last stream id, so their errors find it recorded.
    session.on("goaway", (_code: number, lastStreamId: number) => {
      tracked.goawayLastStreamId = Math.min(lastStreamId, tracked.goawayLastStreamId ?? lastStreamId);
      drop();
    });
    session.on("close", drop);
    // An idle session (no streams) is closed; active streams have their own idle timeout.
    session.setTimeout(Math.max(this.idleTimeoutMs, 1000), () => session.close());
    session.unref();
    this.bySession.set(session, tracked);
    if (this.closed) session.destroy();
    else this.sessions.set(key, [...(this.sessions.get(key) ?? []), tracked]);
    return { session, reused: false };
  }

  /**
   * Whether the upstream refused the stream unprocessed (RFC 9113 §8.7): it
   * reset it with REFUSED_STREAM, or the session's GOAWAY names a last stream
   * below it (a stream without an id never went out). Such a request may go
   * again, whatever its method.
   */
  refused(session: ClientHttp2Session, stream: ClientHttp2Stream): boolean {
    if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) return true;
    const last = this.bySession.get(session)?.goawayLastStreamId;
    return last !== undefined && (stream.id === undefined || stream.id > last);
  }

  /** Counts a stream opened on `session`; call the returned function when it closes. */
  opened(session: ClientHttp2Session, address: string, port: number, sni?: string): () => void {
    const t = this.bySession.get(session);
    if (!t) return () => undefined;
    t.active++;
    t.served++;
    if (this.maxRequestsPerSession !== undefined && t.served >= this.maxRequestsPerSession) {
      // Served its quota: no new streams; open ones finish, then it closes.
      this.remove(sni === undefined ? `${address}:${port}` : `${address}:${port}#${sni}`, t);
      session.close();
    }
    return () => {
      t.active--;
    };
  }

  private remove(key: string, t: Tracked): void {
    const list = this.sessions.get(key);
    if (!list) return;
    const rest = list.filter((x) => x !== t);
    if (rest.length === 0) this.sessions.delete(key);
    else this.sessions.set(key, rest);
  }

  /** Closes every session gracefully (open streams finish). */
  close(): void {
    this.closed = true;
    for (const list of this.sessions.values()) {
      for (const { session: s } of list) {
        if (!s.closed) s.close();
        setTimeout(() => s.destroy(undefined, constants.NGHTTP2_CANCEL), 10_000).unref();
      }
    }
    this.sessions.clear();
  }
}
