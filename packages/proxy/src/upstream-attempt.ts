// One attempt to get response headers from one endpoint, with connect,
// per-try and idle timeouts. The caller owns retries and the downstream side.
import { request, type Agent, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import type { AttemptFailure } from "./retry.ts";

/** The request body: fully buffered (replayable) or a live stream (one shot). */
export type RequestBody =
  | { kind: "none" }
  | { kind: "buffered"; chunks: readonly Buffer[]; length: number }
  | { kind: "stream"; head: readonly Buffer[]; rest: Readable };

export interface AttemptOptions {
  address: string;
  port: number;
  agent: Agent;
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body: RequestBody;
  connectTimeoutMs: number;
  /** Time allowed for response headers (per-try timeout capped by the request deadline). */
  headersTimeoutMs: number | undefined;
  idleTimeoutMs: number;
}

export type AttemptResult =
  | { kind: "response"; req: ClientRequest; res: IncomingMessage }
  | { kind: "failure"; failure: AttemptFailure; reusedSocket: boolean; error: Error };

class AttemptError extends Error {
  constructor(readonly failure: AttemptFailure, message: string) {
    super(message);
  }
}

const CONNECT_ERRORS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EADDRNOTAVAIL"]);

/**
 * Sends the request and resolves with the response headers or a classified
 * failure. Never rejects. `abort` cancels it (the downstream went away).
 */
export function sendAttempt(opts: AttemptOptions, abort: AbortSignal): { result: Promise<AttemptResult>; req: ClientRequest } {
  const req = request({
    host: opts.address,
    port: opts.port,
    method: opts.method,
    path: opts.path,
    headers: opts.headers,
    agent: opts.agent,
    setHost: false,
  });
  let connected = false;
  let settled = false;
  const timers: NodeJS.Timeout[] = [];

  const result = new Promise<AttemptResult>((resolve) => {
    const fail = (failure: AttemptFailure, message: string) => req.destroy(new AttemptError(failure, message));
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      abort.removeEventListener("abort", onAbort);
      resolve(r);
    };
    const onAbort = () => fail("reset", "downstream went away");
    if (abort.aborted) onAbort();
    else abort.addEventListener("abort", onAbort, { once: true });

    req.on("socket", (socket) => {
      if (!socket.connecting) {
        connected = true;
        return;
      }
      const t = setTimeout(() => fail("connect-failure", `connect timeout after ${opts.connectTimeoutMs} ms`), opts.connectTimeoutMs);
      timers.push(t);
      socket.once("connect", () => {
        connected = true;
        clearTimeout(t);
      });
    });
    if (opts.headersTimeoutMs !== undefined) {
      timers.push(setTimeout(() => fail("timeout", `no response headers within ${opts.headersTimeoutMs} ms`), Math.max(1, opts.headersTimeoutMs)));
    }
    req.setTimeout(opts.idleTimeoutMs, () => fail("timeout", `idle for ${opts.idleTimeoutMs} ms`));

    req.on("response", (res) => finish({ kind: "response", req, res }));
    // Stays attached for the life of the request: later errors surface on
    // the response stream, and an 'error' without a listener would crash.
    req.on("error", (err: Error & { code?: string }) => {
      if (settled) return;
      let failure: AttemptFailure;
      if (err instanceof AttemptError) failure = err.failure;
      else if (!connected || CONNECT_ERRORS.has(err.code ?? "")) failure = "connect-failure";
      else failure = "reset";
      finish({ kind: "failure", failure, reusedSocket: req.reusedSocket && failure === "reset", error: err });
    });

    const body = opts.body;
    if (body.kind === "none") req.end();
    else if (body.kind === "buffered") {
      for (const c of body.chunks) req.write(c);
      req.end();
    } else {
      for (const c of body.head) req.write(c);
      body.rest.pipe(req);
    }
  });
  return { result, req };
}
