// Forwarding one routed request: the circuit breaker, the body (buffered
// when a retry or a mirror may need it), attempts with timeouts until the
// retry gate says stop, then the response relay.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestMirror } from "@weft/mesh-model/proxy-config";
import type { Outcome } from "../core/outcome.ts";
import { ResponseFlag } from "../core/response-flags.ts";
import type { BackendRuntime } from "../upstream/backend-runtime.ts";
import type { EndpointView } from "../upstream/load-balancer.ts";
import { replaysSentRequests, type AttemptFailure } from "../upstream/retry.ts";
import { Cancel, sendAttempt, type AttemptResult, type RequestBody, type UpstreamResponse } from "../upstream/upstream-attempt.ts";
import type { ForwardEnv, ForwardPlan } from "./forward-env.ts";
import { formatGrpcTimeout, grpcStatusOf } from "./grpc.ts";
import { sendLocal } from "./local-reply.ts";
import { sendMirror } from "./mirror.ts";
import { hasBody, readBodyUpTo } from "./request-body.ts";
import { remoteAddress } from "./request-target.ts";
import { relayResponse } from "./response-relay.ts";
import { nextAttempt } from "./next-attempt.ts";
import { RetryGate } from "./retry-gate.ts";
import { countFailure, countOverflow, failureAnswer } from "./upstream-failures.ts";

const NO_BODY: RequestBody = { kind: "none" };

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/** Forwards `req` by `plan` and answers `res`; never rejects for upstream trouble. */
export async function forward(env: ForwardEnv, req: IncomingMessage, res: ServerResponse, outcome: Outcome, plan: ForwardPlan): Promise<void> {
  const { backend } = plan;
  const cb = backend.breaker;
  if (cb.requests >= cb.limits.maxRequests) {
    overflow(env, res, outcome, backend, "requests");
    return;
  }
  const deadline = plan.requestTimeoutMs === undefined ? undefined : env.now() + plan.requestTimeoutMs;
  cb.requests++;
  backend.counters.requests++;
  backend.budget.recordRequest();
  const abort = new Cancel();
  const gate = new RetryGate(backend, plan.retry, deadline, env.metrics, env.now, outcome.flags);
  res.once("close", () => {
    cb.requests--;
    gate.release();
    if (!res.writableFinished && !outcome.respondedTrailersOnly) abort.cancel();
  });

  const body = await requestBody(env, req, res, outcome, plan);
  if (!body) return;
  const replayable = body.kind !== "stream";
  gate.replayable = replayable;
  const hashKey = backend.hashKey(req.headers, remoteAddress(req));
  const tried = new Set<string>();
  const method = req.method ?? "GET";
  let freeReconnect = replayable && IDEMPOTENT.has(method);

  for (;;) {
    if (abort.aborted) return;
    // A retry whose backoff ran into the request deadline: 504 UT, no attempt.
    if (gate.attempt > 0 && gate.timedOut()) {
      backend.counters.timeouts++;
      answerFailure(env, res, outcome, "timeout");
      return;
    }
    gate.attempt++;
    const next = nextAttempt(env, backend, outcome, hashKey, tried, deadline, plan.perTryTimeoutMs);
    if (next.kind === "answer") {
      sendLocal(res, next.status, outcome.flags, next.body, {}, env.draining(), outcome);
      return;
    }
    const { view, sentAt, remaining, timeoutMs: headersTimeoutMs } = next;
    if (outcome.grpc && remaining !== undefined) plan.headers["grpc-timeout"] = formatGrpcTimeout(remaining);

    const { result: r, finishAttempt } = await attempt(backend, view, plan, method, body, headersTimeoutMs, abort);
    // The retry (if this was one) is no longer in flight once it has an answer.
    gate.release();
    if (r.kind === "failure") {
      finishAttempt();
      view.stats.failures++;
      if (abort.aborted) return;
      // A kept-alive socket the upstream closed under us: replay once, as browsers do.
      if (r.reusedSocket && freeReconnect) {
        freeReconnect = false;
        tried.delete(view.key);
        gate.attempt--;
        continue;
      }
      countFailure(env.metrics, backend, view, r.failure);
      if (gate.retriesFailure(r.failure) && gate.mayRetry()) {
        await gate.backoff(env.random);
        continue;
      }
      answerFailure(env, res, outcome, gate.timedOut() ? "timeout" : r.failure);
      return;
    }
    view.stats.observe(env.now() - sentAt, env.now());
    if (await answered(env, res, outcome, plan, gate, view, r.res, finishAttempt)) return;
  }
}

/**
 * An upstream response: relayed, or discarded for a retry (after the
 * backoff; false). Wires the end of the attempt to the end of its body.
 */
async function answered(
  env: ForwardEnv,
  res: ServerResponse,
  outcome: Outcome,
  plan: ForwardPlan,
  gate: RetryGate,
  view: EndpointView,
  upRes: UpstreamResponse,
  finishAttempt: () => void,
): Promise<boolean> {
  let piping = false;
  upRes.body.once("close", () => {
    finishAttempt();
    // The upstream went away mid-body: cut the downstream response rather than end it cleanly.
    if (piping && !upRes.complete()) res.destroy();
  });
  // An upstream that dies mid-body truncates the downstream response; a
  // discarded (retried) response just goes away.
  upRes.body.on("error", () => {
    if (piping) res.destroy();
  });
  plan.backend.outlier?.record(view, upRes.status);
  const grpcCode = outcome.grpc ? grpcStatusOf(upRes.headers) : undefined;
  if (gate.retriesResponse(upRes.status, grpcCode)) {
    const again = gate.mayRetry();
    // A retriable answer after the deadline: the request ran out of time (504 UT, as if the timer had fired first).
    if (again || gate.timedOut()) {
      upRes.body.resume(); // discard the body so the connection can be reused
      if (!again) {
        plan.backend.counters.timeouts++;
        answerFailure(env, res, outcome, "timeout");
        return true;
      }
      await gate.backoff(env.random);
      return false;
    }
  }
  if (grpcCode !== undefined) outcome.grpcStatus = grpcCode;
  piping = relayResponse(res, upRes, outcome, plan.responseModifiers, env.draining());
  return true;
}

/** Answers an attempt failure that is not retried (502 UR, 503 UF / UPE, 504 UT), its flag first. */
function answerFailure(env: ForwardEnv, res: ServerResponse, outcome: Outcome, failure: AttemptFailure): void {
  const mapped = failureAnswer(outcome, failure);
  sendLocal(res, mapped.status, outcome.flags, mapped.body, {}, env.draining(), outcome);
}

/**
 * The request body as the attempts will send it: none, buffered (when a
 * retry could replay it or a mirror copy it) or streamed at once. Sends the
 * mirror copies. Undefined when the client went away while we read. A
 * connect-failure-only retry (the default) does not buffer: a streamed body
 * is piped as the attempt starts, so such a request is not retried here (the
 * fast path, where bodies go, retries it while its body is unread).
 */
async function requestBody(env: ForwardEnv, req: IncomingMessage, res: ServerResponse, outcome: Outcome, plan: ForwardPlan): Promise<RequestBody | undefined> {
  // Mirrors are drawn before the body is read: a copy needs the whole body in memory.
  let mirrors: RequestMirror[] | undefined;
  if (plan.mirrors) for (const m of plan.mirrors) if (env.random() * 100 < m.percent) (mirrors ??= []).push(m);
  let body: RequestBody;
  try {
    body = !hasBody(req)
      ? NO_BODY
      : replaysSentRequests(plan.retry) || mirrors
        ? await readBodyUpTo(req, env.snapshot.config.limits.retryBufferBytes)
        : { kind: "stream", head: [], rest: req };
  } catch {
    outcome.flags.push(ResponseFlag.DownstreamConnectionTermination);
    res.destroy();
    return undefined;
  }
  for (const m of mirrors ?? []) {
    const shadow = env.snapshot.backends.get(m.backend);
    if (!shadow) continue;
    if (body.kind === "stream") env.metrics.mirrors.inc({ destination_service: shadow.spec.service, result: "too_large" });
    else sendMirror(env, shadow, m, req.method ?? "GET", plan.path, plan.headers, body);
  }
  return body;
}

/** One attempt to `view`, counted in the breaker's pending gauge until it has a connection and in the endpoint's in-flight count until `finishAttempt`. */
async function attempt(
  backend: BackendRuntime,
  view: EndpointView,
  plan: ForwardPlan,
  method: string,
  body: RequestBody,
  headersTimeoutMs: number | undefined,
  abort: Cancel,
): Promise<{ result: AttemptResult; finishAttempt: () => void }> {
  const cb = backend.breaker;
  cb.pending++;
  let waiting = true;
  const assigned = () => {
    if (!waiting) return;
    waiting = false;
    cb.pending--;
  };
  const stats = view.stats;
  stats.inflight++;
  stats.requests++;
  const release = backend.pool.hold();
  let done = false;
  const finishAttempt = () => {
    if (done) return;
    done = true;
    stats.inflight--;
    release();
  };
  const pool = backend.pool;
  const result = await sendAttempt(
    {
      address: view.endpoint.address,
      port: view.endpoint.port,
      sni: view.endpoint.sni,
      agent: pool.agent,
      h2: pool.h2,
      tls: pool.tlsFor?.(view.endpoint.address, pool.h2 ? ["h2"] : ["http/1.1"], view.endpoint.sni),
      verifiesPeer: pool.verifiesPeer,
      method,
      path: plan.path,
      headers: plan.headers,
      body,
      connectTimeoutMs: backend.spec.policy.connectTimeoutMs,
      headersTimeoutMs,
      idleTimeoutMs: backend.spec.policy.idleTimeoutMs,
      onAssigned: assigned,
    },
    abort,
  );
  assigned();
  return { result, finishAttempt };
}

/** A circuit-breaker limit was reached: fail fast with 503 UO. */
function overflow(env: ForwardEnv, res: ServerResponse, outcome: Outcome, backend: BackendRuntime, limit: "requests" | "pending"): void {
  sendLocal(res, 503, outcome.flags, countOverflow(env.metrics, outcome, backend, limit), {}, env.draining(), outcome);
}
