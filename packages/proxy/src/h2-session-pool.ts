// One HTTP/2 client session per upstream endpoint, shared by every request
// to it (h2c with prior knowledge, or h2 over TLS by ALPN). A session that
// fails, is told to go away or closes is dropped; the next request opens a
// new one.
import { connect, constants, type ClientHttp2Session } from "node:http2";
import type { TlsFor } from "./backend-runtime.ts";

export class H2SessionPool {
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private closed = false;

  constructor(
    private readonly tlsFor: TlsFor | undefined,
    private readonly idleTimeoutMs: number,
  ) {}

  /** The live session to `address:port`, connecting when there is none. `connected` is false while it handshakes. */
  session(address: string, port: number): { session: ClientHttp2Session; reused: boolean } {
    const key = `${address}:${port}`;
    const existing = this.sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return { session: existing, reused: true };
    const host = address.includes(":") ? `[${address}]` : address;
    const session = this.tlsFor ? connect(`https://${host}:${port}`, this.tlsFor(address, ["h2"])) : connect(`http://${host}:${port}`);
    const drop = () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    };
    session.on("error", drop);
    session.on("goaway", drop);
    session.on("close", drop);
    // An idle session (no streams) is closed; active streams have their own idle timeout.
    session.setTimeout(Math.max(this.idleTimeoutMs, 1000), () => session.close());
    session.unref();
    if (this.closed) session.destroy();
    else this.sessions.set(key, session);
    return { session, reused: false };
  }

  /** Closes every session gracefully (open streams finish). */
  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) {
      if (!s.closed) s.close();
      setTimeout(() => s.destroy(undefined, constants.NGHTTP2_CANCEL), 10_000).unref();
    }
    this.sessions.clear();
  }
}
