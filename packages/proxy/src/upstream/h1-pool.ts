// The fast path's upstream connections: raw keep-alive sockets (plain TCP,
// TLS or mTLS) per endpoint, with the backend's connection limit. Above the
// limit an attempt waits in a queue of its own, bounded by its own timeout
// and dropped at once when its request is cancelled (Envoy's pending
// requests). Each socket gets its listeners once; the exchange in progress
// (h1-exchange.ts) receives its bytes.
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import type { AttemptFailure } from "./retry.ts";
import type { TlsFor } from "./tls-options.ts";
import { isPeerIdentityFailure, type Cancel } from "./upstream-attempt.ts";

/** What an exchange on a pooled connection receives. */
export interface ConnectionUser {
  data(chunk: Buffer): void;
  /** The socket closed or failed while this user had it. */
  closed(): void;
  /** The socket was idle longer than its timeout while this user had it. */
  timedOut(): void;
}

export interface RawEndpoint {
  address: string;
  port: number;
  sni?: string | undefined;
}

/** One upstream connection. */
export class RawConnection {
  /** Responses it has carried. */
  served = 0;
  /** When it went back to the idle list (the sweep closes it after the pool's idle timeout). */
  idleSince = 0;
  /** Taken from the idle list (a failure before any byte may be a keep-alive race). */
  reused = false;
  user: ConnectionUser | undefined;
  closed = false;

  constructor(
    readonly socket: Socket,
    readonly key: string,
  ) {}
}

export type AcquireResult = { kind: "connection"; conn: RawConnection } | { kind: "failure"; failure: AttemptFailure; reason: string };

interface Waiter {
  key: string;
  endpoint: RawEndpoint;
  connectTimeoutMs: number;
  resolve: (r: AcquireResult) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
  /** A connection is being opened for it (it no longer needs a free slot). */
  connecting: boolean;
}

export interface H1PoolLimits {
  /** A connection in use that sees no byte for this long is cut (the backend's idleTimeoutMs). */
  streamIdleTimeoutMs: number;
  /** The backend's circuit-breaker maxConnections. */
  maxTotal: number;
  maxPerEndpoint: number;
  /** Idle sockets close after this long. */
  idleTimeoutMs: number;
  /** Close a socket after this many responses. */
  maxRequestsPerConnection: number | undefined;
  /** mTLS with a SPIFFE check: certificate failures are "peer-identity". */
  verifiesPeer: boolean;
}

export function endpointKey(e: RawEndpoint): string {
  return e.sni === undefined ? `${e.address}:${e.port}` : `${e.address}:${e.port}#${e.sni}`;
}

export class H1Pool {
  private readonly idle = new Map<string, RawConnection[]>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly waiters: Waiter[] = [];
  private readonly tlsOptions = new Map<string, ConnectionOptions>();
  /** The last TLS session per endpoint: new connections resume it instead of a full (mTLS) handshake, as https.Agent does. */
  private readonly sessions = new Map<string, Buffer>();
  private open = 0;
  private closedPool = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly tlsFor: TlsFor | undefined,
    private readonly limits: H1PoolLimits,
  ) {}

  /** Waiters in the queue (the breaker's pending gauge counts them). */
  get pending(): number {
    return this.waiters.length;
  }

  /**
   * A connection to `endpoint`: an idle one, a new one within the limits, or
   * after waiting in the queue at most `waitTimeoutMs` (then "timeout").
   * `cancel` removes a waiter at once.
   */
  acquire(endpoint: RawEndpoint, connectTimeoutMs: number, waitTimeoutMs: number | undefined, cancel: Cancel): AcquireResult | Promise<AcquireResult> {
    const key = endpointKey(endpoint);
    const conn = this.takeIdle(key);
    if (conn) return { kind: "connection", conn };
    if (this.hasRoom(key)) return this.connect(endpoint, key, connectTimeoutMs);
    return new Promise<AcquireResult>((resolve) => {
      const waiter: Waiter = { key, endpoint, connectTimeoutMs, resolve, timer: undefined, done: false, connecting: false };
      const leave = (r: AcquireResult) => {
        if (waiter.done) return;
        waiter.done = true;
        clearTimeout(waiter.timer);
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        resolve(r);
      };
      if (waitTimeoutMs !== undefined) waiter.timer = setTimeout(() => leave({ kind: "failure", failure: "timeout", reason: `no connection within ${waitTimeoutMs} ms` }), Math.max(1, waitTimeoutMs));
      cancel.onCancel(() => leave({ kind: "failure", failure: "reset", reason: "downstream went away while waiting for a connection" }));
      waiter.resolve = leave;
      this.waiters.push(waiter);
    });
  }

  /** Gives a connection back after a response (`served`): kept for reuse when `reusable`, closed otherwise. */
  release(conn: RawConnection, reusable: boolean, served = true): void {
    conn.user = undefined;
    if (served) conn.served++;
    const max = this.limits.maxRequestsPerConnection;
    if (!reusable || conn.closed || this.closedPool || (max !== undefined && conn.served >= max)) {
      conn.socket.destroy();
      return;
    }
    const waiter = this.waiters.find((w) => w.key === conn.key && !w.connecting);
    if (waiter) {
      conn.reused = true;
      waiter.resolve({ kind: "connection", conn });
      return;
    }
    conn.reused = true;
    let list = this.idle.get(conn.key);
    if (!list) {
      list = [];
      this.idle.set(conn.key, list);
    }
    list.push(conn);
    // One sweep timer per pool instead of re-arming a timer on the socket for every response.
    conn.idleSince = Date.now();
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(250, Math.min(1000, this.limits.idleTimeoutMs / 4))).unref();
    // A waiter for another endpoint may use the room this idle socket takes.
    if (this.waiters.length > 0) this.serveWaiters();
  }

  /** Closes every idle connection and refuses new ones; busy ones close when released. */
  close(): void {
    this.closedPool = true;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const list of this.idle.values()) for (const c of list) c.socket.destroy();
    this.idle.clear();
    for (const w of [...this.waiters]) w.resolve({ kind: "failure", failure: "reset", reason: "pool closed" });
  }

  private takeIdle(key: string): RawConnection | undefined {
    const list = this.idle.get(key);
    const conn = list?.pop();
    if (!conn) return undefined;
    return conn;
  }

  /** Closes idle connections older than the pool's idle timeout (oldest first in each list). */
  private sweep(): void {
    const cutoff = Date.now() - this.limits.idleTimeoutMs;
    let idle = 0;
    for (const list of this.idle.values()) {
      while (list.length > 0 && (list[0] as RawConnection).idleSince <= cutoff) (list.shift() as RawConnection).socket.destroy();
      idle += list.length;
    }
    if (idle === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private hasRoom(key: string): boolean {
    return this.open < this.limits.maxTotal && (this.perEndpoint.get(key) ?? 0) < this.limits.maxPerEndpoint;
  }

  /** Serves queued attempts that an idle socket or free room can take now. */
  private serveWaiters(): void {
    for (const w of [...this.waiters]) {
      if (w.done || w.connecting) continue;
      const conn = this.takeIdle(w.key);
      if (conn) w.resolve({ kind: "connection", conn });
      else if (this.hasRoom(w.key)) {
        w.connecting = true;
        void this.connect(w.endpoint, w.key, w.connectTimeoutMs).then((r) => {
          // Its request gave up meanwhile: the new connection serves the next one.
          if (w.done && r.kind === "connection") this.release(r.conn, true, false);
          else w.resolve(r);
        });
      } else if (this.open >= this.limits.maxTotal) {
        // Make room by closing an idle socket of another endpoint.
        if (!this.evictIdle()) return;
      }
    }
  }

  private evictIdle(): boolean {
    for (const list of this.idle.values()) {
      const c = list.shift();
      if (c) {
        c.socket.destroy();
        return true;
      }
    }
    return false;
  }

  private tls(endpoint: RawEndpoint): ConnectionOptions | undefined {
    if (!this.tlsFor) return undefined;
    const key = endpoint.sni === undefined ? endpoint.address : `${endpoint.address}#${endpoint.sni}`;
    let options = this.tlsOptions.get(key);
    if (!options) {
      options = this.tlsFor(endpoint.address, ["http/1.1"], endpoint.sni);
      this.tlsOptions.set(key, options);
    }
    return options;
  }

  private connect(endpoint: RawEndpoint, key: string, connectTimeoutMs: number): Promise<AcquireResult> {
    this.open++;
    this.perEndpoint.set(key, (this.perEndpoint.get(key) ?? 0) + 1);
    const tls = this.tls(endpoint);
    // Nagle would hold a request head back for a delayed ACK (tens of ms).
    const session = tls ? this.sessions.get(key) : undefined;
    const socket = tls
      ? tlsConnect({ host: endpoint.address, port: endpoint.port, noDelay: true, ...tls, ...(session ? { session } : {}) } as ConnectionOptions)
      : netConnect({ host: endpoint.address, port: endpoint.port, noDelay: true });
    if (tls) {
      socket.on("session", (s: Buffer) => {
        if (this.sessions.size >= 1024 && !this.sessions.has(key)) this.sessions.clear();
        this.sessions.set(key, s);
      });
    }
    const conn = new RawConnection(socket, key);
    socket.on("data", (chunk: Buffer) => {
      if (conn.user) conn.user.data(chunk);
      else socket.destroy(); // bytes nobody asked for: the upstream is confused
    });
    // Armed once: it fires only after idleTimeoutMs without a byte either way, whoever holds the connection.
    socket.setTimeout(this.limits.streamIdleTimeoutMs);
    socket.on("timeout", () => {
      if (conn.user) conn.user.timedOut();
      else socket.destroy();
    });
    socket.on("error", () => undefined);
    socket.once("close", () => this.forget(conn));
    return new Promise<AcquireResult>((resolve) => {
      let settled = false;
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connect timeout after ${connectTimeoutMs} ms`), { code: "ETIMEDOUT" })), connectTimeoutMs);
      const onError = (err: Error & { code?: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const failure: AttemptFailure = this.limits.verifiesPeer && isPeerIdentityFailure(err) ? "peer-identity" : "connect-failure";
        resolve({ kind: "failure", failure, reason: err.message });
      };
      socket.once("error", onError);
      socket.once(tls ? "secureConnect" : "connect", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off("error", onError);
        resolve({ kind: "connection", conn });
      });
      // Closed before it connected without an error (destroyed by a pool close).
      socket.once("close", () => onError(new Error("closed before connecting")));
    });
  }

  /** A closed socket leaves the pool and frees its room. */
  private forget(conn: RawConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.open--;
    const n = (this.perEndpoint.get(conn.key) ?? 1) - 1;
    if (n <= 0) this.perEndpoint.delete(conn.key);
    else this.perEndpoint.set(conn.key, n);
    const list = this.idle.get(conn.key);
    const i = list?.indexOf(conn) ?? -1;
    if (list && i !== -1) list.splice(i, 1);
    const user = conn.user;
    conn.user = undefined;
    user?.closed();
    if (this.waiters.length > 0) this.serveWaiters();
  }
}
