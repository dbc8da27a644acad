// The fast path's request path: the same admission, routing, circuit
// breaker, retry gate, outlier detection and failure answers as node:http's
// path (shared code), but the upstream request is one head written on a
// raw pooled socket and the response is relayed as bytes: the head
// rewritten line by line, the body forwarded as framed.
import type { OutgoingHttpHeaders } from "node:http";
import type { InboundListener, OutboundListener } from "@weft/mesh-model/proxy-config";
import type { ResponseHead } from "../codec/http1-head.ts";
import type { Outcome } from "../core/outcome.ts";
import { FLAGS_HEADER } from "../core/response-flags.ts";
import { Exchange, type ExchangeEvents } from "../upstream/h1-exchange.ts";
import type { H1Pool } from "../upstream/h1-pool.ts";
import type { EndpointView } from "../upstream/load-balancer.ts";
import type { AttemptFailure } from "../upstream/retry.ts";
import { Cancel } from "../upstream/upstream-attempt.ts";
import { replyLocal, type FastDownstream } from "./fast-downstream.ts";
import type { ForwardEnv, ForwardPlan } from "./forward-env.ts";
import { admitAndRoute } from "./request-handler.ts";
import type { Routed } from "./route-resolution.ts";
import { nextAttempt } from "./next-attempt.ts";
import { RetryGate } from "./retry-gate.ts";
import { countFailure, countOverflow, failureAnswer } from "./upstream-failures.ts";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/** Response headers that describe the upstream connection, not the message (framing headers stay: the body is forwarded as framed). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]);

/** Handles a request the fast path took; `routed`: its target and route as the path decision matched them. */
export async function handleFast(env: ForwardEnv, listener: OutboundListener | InboundListener, down: FastDownstream, outcome: Outcome, routed?: Routed): Promise<void> {
  const resolving = admitAndRoute(env, listener, down.head, down.remoteAddress, outcome, routed);
  const r = resolving instanceof Promise ? await resolving : resolving;
  if (r.kind === "local") {
    replyLocal(down, r.status, outcome.flags, r.body, r.extra, r.close === true);
    return;
  }
  await forwardFast(env, down, outcome, r.plan);
}

/** The upstream request head, written in one piece. */
export function upstreamRequestHead(method: string, path: string, headers: OutgoingHttpHeaders, transferEncoding: string | undefined): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) head += `${name}: ${one}\r\n`;
    else head += `${name}: ${v}\r\n`;
  }
  // The body is forwarded as it was framed.
  if (transferEncoding !== undefined) head += `transfer-encoding: ${transferEncoding}\r\n`;
  return `${head}\r\n`;
}

/**
 * The downstream response head (without its blank line): the upstream's
 * header lines copied as they are, minus hop-by-hop ones and those its
 * Connection header names; our flags header when there are flags.
 */
export function downstreamResponseHead(head: ResponseHead, buf: Buffer, flags: readonly string[]): string {
  let listed: Set<string> | undefined;
  const connection = head.headers.connection;
  if (connection !== undefined && !/^\s*(keep-alive|close)\s*$/i.test(connection)) {
    listed = new Set(connection.split(",").map((t) => t.trim().toLowerCase()));
  }
  let out = `HTTP/1.1 ${head.status} ${head.reason}\r\n`;
  // Copies runs of kept lines with one slice each.
  let runStart = -1;
  let runEnd = -1;
  for (const line of head.lines) {
    const n = line.name;
    const drop = HOP_BY_HOP.has(n) || n.startsWith("proxy-") || (listed?.has(n) ?? false) || (flags.length > 0 && n === FLAGS_HEADER);
    if (drop) {
      if (runStart !== -1) out += buf.toString("latin1", runStart, runEnd);
      runStart = -1;
    } else {
      if (runStart === -1) runStart = line.start;
      runEnd = line.end;
    }
  }
  if (runStart !== -1) out += buf.toString("latin1", runStart, runEnd);
  if (flags.length > 0) out += `${FLAGS_HEADER}: ${flags.join(",")}\r\n`;
  return out;
}

type AttemptResult =
  | { kind: "response"; exchange: Exchange; head: ResponseHead; buf: Buffer; relay: RelayEvents }
  | {
      kind: "failure";
      failure: AttemptFailure;
      reason: string;
      staleReuse: boolean;
      /** Nothing of the request was written: no connection was had (the downstream body is untouched). */
      unsent: boolean;
    };

/** Events of an exchange: first the attempt's result, then the relay's body and end. */
class RelayEvents implements ExchangeEvents {
  onBody: (chunk: Buffer) => boolean = () => true;
  onEnd: () => void = () => undefined;
  onCut: () => void = () => undefined;
  private settle: ((r: AttemptResult) => void) | undefined;
  exchange: Exchange | undefined;

  constructor(settle: (r: AttemptResult) => void) {
    this.settle = settle;
  }

  head(head: ResponseHead, buf: Buffer): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.({ kind: "response", exchange: this.exchange as Exchange, head, buf, relay: this });
  }

  body(chunk: Buffer): boolean {
    return this.onBody(chunk);
  }

  end(): void {
    this.onEnd();
  }

  failure(failure: AttemptFailure, reason: string, beforeHead: boolean): void {
    if (beforeHead) {
      const settle = this.settle;
      this.settle = undefined;
      settle?.({ kind: "failure", failure, reason, staleReuse: this.exchange?.staleReuse ?? false, unsent: false });
    } else this.onCut();
  }
}

/**
 * One attempt: a connection from the pool (waiting at most the attempt's
 * time in its queue), the head and what body is at hand sent, then the
 * response head or a classified failure, all within `timeoutMs`.
 */
async function attemptFast(
  env: ForwardEnv,
  down: FastDownstream,
  plan: ForwardPlan,
  pool: H1Pool,
  view: EndpointView,
  timeoutMs: number | undefined,
  abort: Cancel,
): Promise<AttemptResult> {
  const backend = plan.backend;
  const cb = backend.breaker;
  const started = env.now();
  const acquiring = pool.acquire(view.endpoint, backend.spec.policy.connectTimeoutMs, timeoutMs, abort);
  let acquired;
  if (acquiring instanceof Promise) {
    cb.pending++;
    try {
      acquired = await acquiring;
    } finally {
      cb.pending--;
    }
  } else acquired = acquiring;
  // No connection: nothing was written, and the downstream body (read only once an exchange starts) is still there.
  if (acquired.kind === "failure") return { kind: "failure", failure: acquired.failure, reason: acquired.reason, staleReuse: false, unsent: true };
  if (abort.aborted) {
    pool.release(acquired.conn, true, false);
    return { kind: "failure", failure: "reset", reason: "downstream went away", staleReuse: false, unsent: true };
  }
  return new Promise<AttemptResult>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const events = new RelayEvents((r) => {
      clearTimeout(timer);
      abort.onCancel(r.kind === "response" ? () => exchange.abort() : undefined);
      resolve(r);
    });
    const head = down.head;
    const exchange = new Exchange(pool, acquired.conn, head.method === "HEAD", events);
    events.exchange = exchange;
    if (timeoutMs !== undefined) {
      const left = Math.max(1, timeoutMs - (env.now() - started));
      timer = setTimeout(() => {
        exchange.abort();
        events.failure("timeout", `no response headers within ${timeoutMs} ms`, true);
      }, left);
    }
    abort.onCancel(() => {
      exchange.abort();
      events.failure("reset", "downstream went away", true);
    });
    const firstBody = down.takeBufferedBody();
    // A body that broke its framing has been refused downstream; nothing of the request goes upstream.
    if (down.closed) {
      exchange.abort();
      events.failure("reset", "downstream refused", true);
      return;
    }
    exchange.send(upstreamRequestHead(head.method, plan.path, plan.headers, head.chunked ? head.headers["transfer-encoding"] : undefined), firstBody);
    if (down.hasBody) streamRequestBody(down, exchange);
  });
}

/** The rest of the request body, client to upstream, with backpressure both ways. */
function streamRequestBody(down: FastDownstream, exchange: Exchange): void {
  const control: { resume?: () => void } = {};
  const ctl = down.streamBody(
    (chunk) => {
      if (exchange.writeBody(chunk)) return true;
      exchange.onDrain(() => control.resume?.());
      return false;
    },
    () => undefined,
  );
  control.resume = ctl.resume;
}

/** Forwards a routed request on the fast path and answers `down`. */
// eslint-disable-next-line max-lines-per-function -- the attempt loop of forward.ts on raw sockets; its steps share the breaker, the gate and the cancel token.
export async function forwardFast(env: ForwardEnv, down: FastDownstream, outcome: Outcome, plan: ForwardPlan): Promise<void> {
  const { backend } = plan;
  const pool = backend.pool.raw as H1Pool;
  const cb = backend.breaker;
  if (cb.requests >= cb.limits.maxRequests) {
    replyLocal(down, 503, outcome.flags, countOverflow(env.metrics, outcome, backend, "requests"));
    return;
  }
  const deadline = plan.requestTimeoutMs === undefined ? undefined : env.now() + plan.requestTimeoutMs;
  cb.requests++;
  backend.counters.requests++;
  backend.budget.recordRequest();
  const abort = new Cancel();
  const gate = new RetryGate(backend, plan.retry, deadline, env.metrics, env.now, outcome.flags);
  gate.replayable = !down.hasBody;
  down.onDone((completed) => {
    cb.requests--;
    gate.release();
    if (!completed) abort.cancel();
  });
  const head = down.head;
  const hashKey = backend.hashKey(head.headers, down.remoteAddress);
  const tried = new Set<string>();
  let freeReconnect = !down.hasBody && IDEMPOTENT.has(head.method);
  /** An attempt got a connection and began to send the streamed body. */
  let bodySent = false;

  for (;;) {
    if (abort.aborted) return;
    // A retry whose backoff ran into the request deadline: 504 UT, no attempt.
    if (gate.attempt > 0 && gate.timedOut()) {
      backend.counters.timeouts++;
      const answer = failureAnswer(outcome, "timeout");
      replyLocal(down, answer.status, outcome.flags, answer.body);
      return;
    }
    gate.attempt++;
    const next = nextAttempt(env, backend, outcome, hashKey, tried, deadline, plan.perTryTimeoutMs);
    if (next.kind === "answer") {
      replyLocal(down, next.status, outcome.flags, next.body);
      return;
    }
    const { view, sentAt, timeoutMs } = next;
    view.stats.inflight++;
    view.stats.requests++;
    const release = backend.pool.hold();
    let finished = false;
    const finishAttempt = () => {
      if (finished) return;
      finished = true;
      view.stats.inflight--;
      release();
    };
    const r = await attemptFast(env, down, plan, pool, view, timeoutMs, abort);
    if (down.hasBody && !(r.kind === "failure" && r.unsent)) bodySent = true;
    gate.release();
    if (r.kind === "failure") {
      finishAttempt();
      view.stats.failures++;
      if (abort.aborted) return;
      // A kept-alive socket the upstream closed under us: replay once, as browsers do.
      if (r.staleReuse && r.failure === "reset" && freeReconnect) {
        freeReconnect = false;
        tried.delete(view.key);
        gate.attempt--;
        continue;
      }
      countFailure(env.metrics, backend, view, r.failure);
      // A body streams on this path and is gone once sent; before any connection it is still unread, so a connect failure may be retried with it.
      if (gate.retriesFailure(r.failure) && gate.mayRetry(r.unsent && !bodySent)) {
        await gate.backoff(env.random);
        continue;
      }
      const answer = gate.timedOut() ? failureAnswer(outcome, "timeout") : failureAnswer(outcome, r.failure);
      replyLocal(down, answer.status, outcome.flags, answer.body);
      return;
    }
    view.stats.observe(env.now() - sentAt, env.now());
    backend.outlier?.record(view, r.head.status);
    if (gate.retriesResponse(r.head.status, undefined)) {
      const again = gate.mayRetry();
      // A retriable answer after the deadline: the request ran out of time (504 UT, as if the timer had fired first).
      if (again || gate.timedOut()) {
        r.exchange.discard();
        finishAttempt();
        if (!again) {
          backend.counters.timeouts++;
          replyLocal(down, 504, outcome.flags, failureAnswer(outcome, "timeout").body);
          return;
        }
        await gate.backoff(env.random);
        continue;
      }
    }
    relay(env, down, outcome, r, finishAttempt);
    return;
  }
}

/** Relays a response: head rewritten, body bytes forwarded with backpressure, the attempt finished when the body ends. */
function relay(env: ForwardEnv, down: FastDownstream, outcome: Outcome, r: Extract<AttemptResult, { kind: "response" }>, finishAttempt: () => void): void {
  const { exchange, head, relay: events } = r;
  if (down.closed) {
    exchange.abort();
    finishAttempt();
    return;
  }
  // A response delimited by closing the connection can only end the same way downstream.
  const delimitedByClose = !head.chunked && head.contentLength === undefined && down.head.method !== "HEAD" && head.status !== 204 && head.status !== 304;
  down.writeHead(head.status, downstreamResponseHead(head, r.buf, outcome.flags), delimitedByClose || env.draining());
  events.onBody = (chunk) => {
    if (down.write(chunk)) return true;
    down.onDrain(() => exchange.resume());
    return false;
  };
  events.onEnd = () => {
    finishAttempt();
    down.end();
  };
  events.onCut = () => {
    finishAttempt();
    // The upstream went away mid-body: cut the downstream response rather than end it cleanly.
    down.destroy();
  };
  exchange.flow();
}
