// One attempt to get response headers from one endpoint, with connect,
// per-try and idle timeouts, over HTTP/1.1 (keep-alive pool) or HTTP/2 (a
// shared session). The caller owns retries and the downstream side.
import { constants as h2c, type ClientHttp2Stream, type IncomingHttpHeaders as H2IncomingHeaders } from "node:http2";
import { request, type Agent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable, Writable } from "node:stream";
import type { ConnectionOptions } from "node:tls";
import type { H2SessionPool } from "./h2-session-pool.ts";
import type { AttemptFailure } from "./retry.ts";

/** The request body: fully buffered (replayable) or a live stream (one shot). */
export type RequestBody =
  | { kind: "none" }
  | { kind: "buffered"; chunks: readonly Buffer[]; length: number }
  | { kind: "stream"; head: readonly Buffer[]; rest: Readable };

export interface AttemptOptions {
  address: string;
  port: number;
  /** TLS server name of the endpoint (east-west gateways route on it); part of the HTTP/2 session key. */
  sni?: string | undefined;
  /** HTTP/1.1 pool (used when `h2` is undefined). */
  agent: Agent;
  /** HTTP/2 sessions, for backends with protocol http2. */
  h2: H2SessionPool | undefined;
  /** TLS options for this endpoint (already resolved); plain TCP when undefined. */
  tls: ConnectionOptions | undefined;
  /** mTLS with a SPIFFE check: certificate failures are "peer-identity", not connect failures. */
  verifiesPeer: boolean;
  method: string;
  path: string;
  /** Request headers without hop-by-hop headers; `host` becomes `:authority` on HTTP/2. */
  headers: OutgoingHttpHeaders;
  body: RequestBody;
  connectTimeoutMs: number;
  /** Time allowed for response headers (per-try timeout capped by the request deadline). */
  headersTimeoutMs: number | undefined;
  idleTimeoutMs: number;
  /** Called once the attempt has a connection (HTTP/1.1: a socket from the pool; HTTP/2: a stream). */
  onAssigned?: (() => void) | undefined;
}

/** An upstream response, the same shape for HTTP/1.1 and HTTP/2. */
export interface UpstreamResponse {
  status: number;
  statusMessage: string | undefined;
  /** Response headers (no pseudo-headers). */
  headers: IncomingHttpHeaders;
  /** The body stream; emits 'error' if the upstream fails mid-body. */
  body: Readable;
  /** HTTP/2 HEADERS with END_STREAM: a gRPC trailers-only response; there is no body. */
  endStream: boolean;
  /** Trailers, once the body has ended (undefined when there were none). */
  trailers(): IncomingHttpHeaders | undefined;
  /** True once the body ended normally. */
  complete(): boolean;
  destroy(): void;
}

export type AttemptResult =
  | { kind: "response"; res: UpstreamResponse }
  | { kind: "failure"; failure: AttemptFailure; reusedSocket: boolean; error: Error };

/**
 * Cancellation of a request (the downstream went away). A plain object
 * rather than an AbortController: one per request, on the hot path.
 */
export class Cancel {
  aborted = false;
  private listener: (() => void) | undefined;

  /** Registers the one listener (an attempt in flight); replaces any previous. */
  onCancel(listener: (() => void) | undefined): void {
    this.listener = listener;
  }

  cancel(): void {
    if (this.aborted) return;
    this.aborted = true;
    const l = this.listener;
    this.listener = undefined;
    l?.();
  }
}

class AttemptError extends Error {
  constructor(readonly failure: AttemptFailure, message: string) {
    super(message);
  }
}

export const CONNECT_ERRORS: ReadonlySet<string> = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EADDRNOTAVAIL"]);
/** OpenSSL's certificate verification failures (foreign root, expired, self-signed...). */
const CERTIFICATE_ERROR = /CERT|UNABLE_TO_(GET|VERIFY)|SELF_SIGNED|ERR_TLS_CERT/;

/** Whether a connection error is the server's identity being refused (checked on mTLS backends only). */
export function isPeerIdentityFailure(err: Error & { code?: string }): boolean {
  return err.name === "PeerIdentityError" || CERTIFICATE_ERROR.test(err.code ?? "");
}

function writeBody(body: RequestBody, sink: Writable): void {
  if (body.kind === "none") sink.end();
  else if (body.kind === "buffered") {
    for (const c of body.chunks) sink.write(c);
    sink.end();
  } else {
    for (const c of body.head) sink.write(c);
    body.rest.pipe(sink);
  }
}

/**
 * Sends the request and resolves with the response headers or a classified
 * failure. Never rejects. `abort` cancels it (the downstream went away).
 */
export function sendAttempt(opts: AttemptOptions, abort: Cancel): Promise<AttemptResult> {
  return opts.h2 ? sendH2(opts, opts.h2, abort) : sendH1(opts, abort);
}

function hasTrailers(t: IncomingHttpHeaders): boolean {
  for (const _ in t) return true;
  return false;
}

/** Removes a request that waits for a socket from its agent's queue (`agent.requests`, a documented property). */
function leaveAgentQueue(agent: Agent, req: ClientRequest): void {
  for (const name in agent.requests) {
    const queue = agent.requests[name];
    const i = (queue as unknown[] | undefined)?.indexOf(req) ?? -1;
    if (queue && i !== -1) queue.splice(i, 1);
    // The agent reads the first request of any queue it finds: an empty one must not stay.
    if (queue?.length === 0) delete (agent.requests as Record<string, unknown>)[name];
  }
}

 
function sendH1(opts: AttemptOptions, abort: Cancel): Promise<AttemptResult> {
  const options = {
    host: opts.address,
    port: opts.port,
    method: opts.method,
    path: opts.path,
    headers: opts.headers,
    agent: opts.agent,
    setHost: false,
  };
  const req = opts.tls ? httpsRequest({ ...options, ...opts.tls }) : request(options);
  let connected = false;
  let settled = false;
  const timers: NodeJS.Timeout[] = [];

  return new Promise<AttemptResult>((resolve) => {
    const fail = (failure: AttemptFailure, message: string) => {
      const error = new AttemptError(failure, message);
      if (!req.socket) {
        // Still queued in the agent for a socket (the backend's maxConnections): leave the queue now.
        // node:http would report the error only once a socket frees up, keeping the slot meanwhile.
        leaveAgentQueue(opts.agent, req);
        finish({ kind: "failure", failure, reusedSocket: false, error });
      }
      req.destroy(error);
    };
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      abort.onCancel(undefined);
      resolve(r);
    };
    const onAbort = () => fail("reset", "downstream went away");
    if (abort.aborted) onAbort();
    else abort.onCancel(onAbort);

    req.on("socket", (socket) => {
      opts.onAssigned?.();
      if (!socket.connecting) {
        connected = true;
        return;
      }
      const t = setTimeout(() => fail("connect-failure", `connect timeout after ${opts.connectTimeoutMs} ms`), opts.connectTimeoutMs);
      timers.push(t);
      socket.once(opts.tls ? "secureConnect" : "connect", () => {
        connected = true;
        clearTimeout(t);
      });
    });
    if (opts.headersTimeoutMs !== undefined) {
      timers.push(setTimeout(() => fail("timeout", `no response headers within ${opts.headersTimeoutMs} ms`), Math.max(1, opts.headersTimeoutMs)));
    }
    req.setTimeout(opts.idleTimeoutMs, () => fail("timeout", `idle for ${opts.idleTimeoutMs} ms`));

    req.on("response", (res: IncomingMessage) =>
      finish({
        kind: "response",
        res: {
          status: res.statusCode ?? 502,
          statusMessage: res.statusMessage,
          headers: res.headers,
          body: res,
          endStream: false,
          trailers: () => (hasTrailers(res.trailers) ? res.trailers : undefined),
          complete: () => res.complete,
          destroy: () => res.destroy(),
        },
      }),
    );
    // Stays attached for the life of the request: later errors surface on
    // the response stream, and an 'error' without a listener would crash.
    req.on("error", (err: Error & { code?: string }) => {
      if (settled) return;
      let failure: AttemptFailure;
      if (err instanceof AttemptError) failure = err.failure;
      else if (opts.verifiesPeer && isPeerIdentityFailure(err)) failure = "peer-identity";
      else if (!connected || CONNECT_ERRORS.has(err.code ?? "")) failure = "connect-failure";
      else failure = "reset";
      finish({ kind: "failure", failure, reusedSocket: req.reusedSocket && failure === "reset", error: err });
    });
    writeBody(opts.body, req);
  });
}

// eslint-disable-next-line max-lines-per-function -- one stream's life in one closure: the timers, the session error listener and the settle-once flag are shared by every event handler, and splitting them would pass that state around.
function sendH2(opts: AttemptOptions, pool: H2SessionPool, abort: Cancel): Promise<AttemptResult> {
  const { session, reused } = pool.session(opts.address, opts.port, opts.sni);
  const headers: OutgoingHttpHeaders = { ...opts.headers };
  const authority = headers.host;
  delete headers.host;
  headers[h2c.HTTP2_HEADER_METHOD] = opts.method;
  headers[h2c.HTTP2_HEADER_PATH] = opts.path;
  headers[h2c.HTTP2_HEADER_SCHEME] = opts.tls ? "https" : "http";
  if (authority !== undefined) headers[h2c.HTTP2_HEADER_AUTHORITY] = String(authority);

  // eslint-disable-next-line max-lines-per-function -- see above: the executor is the stream's life.
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const streamRef: { current?: ClientHttp2Stream } = {};
    const timers: NodeJS.Timeout[] = [];
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      abort.onCancel(undefined);
      session.off("error", onSessionError);
      resolve(r);
    };
    const fail = (failure: AttemptFailure, message: string) => {
      const error = new AttemptError(failure, message);
      streamRef.current?.close(h2c.NGHTTP2_CANCEL);
      // A session that never connected is useless to the next request too.
      if (failure === "connect-failure" && session.connecting) session.destroy();
      finish({ kind: "failure", failure, reusedSocket: false, error });
    };
    const onAbort = () => fail("reset", "downstream went away");
    // REFUSED_STREAM or above a GOAWAY's last stream: the upstream did not process it, so any method may go again.
    const refused = (): boolean => streamRef.current !== undefined && pool.refused(session, streamRef.current);
    const onSessionError = (err: Error & { code?: string }) =>
      fail(
        opts.verifiesPeer && isPeerIdentityFailure(err)
          ? "peer-identity"
          : session.connecting || CONNECT_ERRORS.has(err.code ?? "")
            ? "connect-failure"
            : refused()
              ? "refused-stream"
              : "reset",
        err.message,
      );
    if (abort.aborted) {
      onAbort();
      return;
    }
    abort.onCancel(onAbort);
    session.once("error", onSessionError);

    if (session.connecting) {
      const t = setTimeout(() => fail("connect-failure", `connect timeout after ${opts.connectTimeoutMs} ms`), opts.connectTimeoutMs);
      timers.push(t);
      session.once("connect", () => clearTimeout(t));
    }
    if (opts.headersTimeoutMs !== undefined) {
      timers.push(setTimeout(() => fail("timeout", `no response headers within ${opts.headersTimeoutMs} ms`), Math.max(1, opts.headersTimeoutMs)));
    }

    let s: ClientHttp2Stream;
    try {
      s = session.request(headers, { endStream: opts.body.kind === "none" });
    } catch (err) {
      // A session told to go away takes no new stream: nothing was sent.
      const goneAway = (err as { code?: string }).code === "ERR_HTTP2_GOAWAY_SESSION";
      fail(goneAway ? "refused-stream" : reused ? "reset" : "connect-failure", err instanceof Error ? err.message : String(err));
      return;
    }
    streamRef.current = s;
    s.once("close", pool.opened(session, opts.address, opts.port, opts.sni));
    opts.onAssigned?.();
    s.setTimeout(opts.idleTimeoutMs, () => {
      if (!settled) fail("timeout", `idle for ${opts.idleTimeoutMs} ms`);
      else s.destroy(new Error(`idle for ${opts.idleTimeoutMs} ms`));
    });
    let trailers: IncomingHttpHeaders | undefined;
    let ended = false;
    s.on("trailers", (t: H2IncomingHeaders) => (trailers = t as IncomingHttpHeaders));
    s.once("end", () => (ended = true));
    s.on("error", (err: Error & { code?: string }) => {
      if (settled) return;
      fail(session.connecting ? "connect-failure" : refused() ? "refused-stream" : "reset", err.message);
    });
    s.once("close", () => {
      if (!settled) fail(refused() ? "refused-stream" : "reset", `stream closed (code ${s.rstCode ?? "?"}) before the response`);
    });
    s.once("response", (raw: H2IncomingHeaders, flags: number) => {
      const status = Number(raw[h2c.HTTP2_HEADER_STATUS] ?? 502);
      const out: IncomingHttpHeaders = {};
      for (const name in raw) if (name.charCodeAt(0) !== 58 /* ':' */) out[name] = raw[name] as string;
      finish({
        kind: "response",
        res: {
          status,
          statusMessage: undefined,
          headers: out,
          body: s,
          endStream: (flags & h2c.NGHTTP2_FLAG_END_STREAM) !== 0,
          trailers: () => trailers,
          complete: () => ended,
          destroy: () => s.close(h2c.NGHTTP2_CANCEL),
        },
      });
    });
    if (opts.body.kind !== "none") writeBody(opts.body, s);
  });
}
