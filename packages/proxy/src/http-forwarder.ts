// The request path of the outbound and inbound listeners: parse the target,
// route, apply filters, pick an endpoint, forward with retries and timeouts,
// and stream the response back.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import type { AuthorizationDecision } from "@weft/mesh-model/authorization";
import {
  applyHeaderModifier,
  pickWeighted,
  redirectLocation,
  rewritePath,
  type FaultInjection,
  type HeaderModifier,
  type InboundListener,
  type OutboundListener,
  type RandomSource,
  type RequestMirror,
  type RetryPolicy,
} from "@weft/mesh-model/proxy-config";
import { injectTraceContext } from "@weft/mesh-model/proxy-config";
import type { BackendRuntime } from "./backend-runtime.ts";
import { faultMatches } from "./fault-injection.ts";
import { sendMirror } from "./mirror.ts";
import type { RateLimitDecision } from "./rate-limit.ts";
import { encodeGrpcMessage, formatGrpcTimeout, grpcStatusFor, grpcStatusOf, parseGrpcTimeout } from "./grpc.ts";
import { stripHopByHop } from "./hop-by-hop.ts";
import { admit, queryWithout, setIdentityHeaders } from "./inbound-security.ts";
import type { TokenLocation, VerifiedJwt } from "./jwt-authenticator.ts";
import type { ProxyMetrics } from "./metrics.ts";
import { hasBody, readBodyUpTo } from "./request-body.ts";
import { FLAGS_HEADER, formatFlags, ResponseFlag, type ResponseFlagCode } from "./response-flags.ts";
import { backoffDelayMs, isRetriableFailure, isRetriableStatus, type AttemptFailure } from "./retry.ts";
import type { Snapshot } from "./snapshot.ts";
import type { SpanContextOut } from "./tracing.ts";
import { Cancel, sendAttempt, type RequestBody } from "./upstream-attempt.ts";
import type { PeerIdentity } from "./workload-identity.ts";

/** What the forwarder needs from the proxy around it. */
export interface ForwardEnv {
  snapshot: Snapshot;
  metrics: ProxyMetrics;
  random: RandomSource;
  now: () => number;
  /** True while the listener drains: responses ask the client to close. */
  draining: () => boolean;
  /** Rate limits of this listener, when it has any. */
  rateLimit?: ((req: IncomingMessage, outcome: Outcome) => RateLimitDecision | Promise<RateLimitDecision>) | undefined;
}

/** One request as it goes through the proxy: what it is and what it turned into (for metrics, logs and spans). */
export interface Outcome {
  sourceService: string;
  destinationService: string;
  destinationVersion: string;
  destinationCluster: string;
  /** The upstream endpoint of the last attempt (`address:port`), `-` when none. */
  upstreamHost: string;
  flags: ResponseFlagCode[];
  /** The downstream speaks HTTP/2 (no Connection header; trailers-only responses possible). */
  h2: boolean;
  /** A gRPC call: proxy errors become trailers-only responses with a grpc-status. */
  grpc: boolean;
  /** grpc-status of the response (from trailers, headers, or the proxy), when gRPC. */
  grpcStatus: number | undefined;
  /** Set when the proxy ended the response itself on the HTTP/2 stream (trailers-only). */
  respondedTrailersOnly: boolean;
  /** x-request-id sent upstream. */
  requestId: string | undefined;
  /** The proxy's span for this hop, when the request is traced. */
  trace: SpanContextOut | undefined;
  /** The caller's identity, authenticated by mTLS (inbound). */
  peer: PeerIdentity | undefined;
  /** This hop is mTLS: the inbound connection, or the upstream connection of an mTLS backend. */
  mtls: boolean;
  /** The request's verified JWT, when the listener authenticates tokens. */
  jwt: VerifiedJwt | undefined;
  /** Where that token was, to remove it before the app sees it. */
  stripToken: TokenLocation | undefined;
  /** The authorization decision, when the listener enforces policies. */
  authz: AuthorizationDecision | undefined;
}

const NO_BODY: RequestBody = { kind: "none" };
const NO_QUERY = { get: (): string | null => null };

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

export interface RequestTarget {
  /** Authority as sent (absolute-form URI, else Host header), may carry a port. */
  host: string;
  path: string;
  /** Query string without `?`. */
  query: string;
}

/**
 * Reads the request target: origin-form (`/path`, authority from Host) or
 * absolute-form (`http://svc.ns/path`, as sent to an HTTP proxy; its
 * authority wins over Host, RFC 9112 section 3.2.2). Anything else is refused.
 */
export function parseTarget(url: string, hostHeader: string | undefined): RequestTarget | undefined {
  let host: string | undefined;
  let rest: string;
  if (url.startsWith("/")) {
    host = hostHeader;
    rest = url;
  } else if (/^http:\/\//i.test(url)) {
    const afterScheme = url.slice("http://".length);
    const end = afterScheme.search(/[/?#]/);
    host = end === -1 ? afterScheme : afterScheme.slice(0, end);
    rest = end === -1 ? "/" : afterScheme.slice(end);
    if (rest.startsWith("?")) rest = `/${rest}`;
    if (host.includes("@")) return undefined; // userinfo is deprecated and a classic confusion vector
  } else {
    return undefined;
  }
  if (!host) return undefined;
  const hash = rest.indexOf("#");
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  return { host, path: q === -1 ? rest : rest.slice(0, q), query: q === -1 ? "" : rest.slice(q + 1) };
}

/** The authority of a request: Host (HTTP/1.1) or :authority (HTTP/2). */
/** The request's target, parsed once per request and shared by security checks and routing. */
export function requestTarget(req: IncomingMessage): RequestTarget | undefined {
  return parseTarget(req.url ?? "", requestAuthority(req));
}

export function requestAuthority(req: IncomingMessage): string | undefined {
  return req.headers.host ?? (req.headers[":authority"] as string | undefined);
}

/** The client's address; for HTTP/2 over a sniffed plain connection it sits on the wrapped socket. */
export function remoteAddress(req: IncomingMessage): string | undefined {
  const socket = req.socket as (typeof req.socket & { stream?: { remoteAddress?: string } }) | undefined;
  return socket?.remoteAddress ?? socket?.stream?.remoteAddress;
}

/** The HTTP/2 stream behind a compatibility-API response. */
function h2Stream(res: ServerResponse): Http2ServerResponse["stream"] {
  return (res as unknown as Http2ServerResponse).stream;
}

/**
 * Sends a response generated by the proxy itself. For a gRPC call it is a
 * trailers-only response (HTTP 200, grpc-status and grpc-message in the one
 * header block, END_STREAM) that gRPC clients turn into a status.
 */
export function sendLocal(
  res: ServerResponse,
  status: number,
  flags: readonly ResponseFlagCode[],
  body: string,
  extra: OutgoingHttpHeaders = {},
  close = false,
  outcome?: Outcome,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (outcome?.grpc) {
    const code = grpcStatusFor(status, flags.includes(ResponseFlag.UpstreamTimeout));
    outcome.grpcStatus = code;
    const headers: OutgoingHttpHeaders = {
      "content-type": "application/grpc",
      "grpc-status": String(code),
      "grpc-message": encodeGrpcMessage(body.trim()),
      ...extra,
    };
    if (flags.length > 0) headers[FLAGS_HEADER] = flags.join(",");
    if (outcome.h2) {
      outcome.respondedTrailersOnly = true;
      const stream = h2Stream(res);
      if (stream.destroyed || stream.closed) return;
      stream.respond({ ":status": 200, ...headers }, { endStream: true });
      return;
    }
    headers["content-length"] = 0;
    if (close) headers.connection = "close";
    res.writeHead(200, headers);
    res.end();
    return;
  }
  const headers: OutgoingHttpHeaders = { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), ...extra };
  if (flags.length > 0) headers[FLAGS_HEADER] = flags.join(",");
  if (close && !outcome?.h2) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(body);
}

function forwardedHeaders(req: IncomingMessage, host: string, outcome: Outcome): OutgoingHttpHeaders {
  const headers = stripHopByHop(req.headers);
  headers.host = host;
  const client = remoteAddress(req);
  if (client) {
    const prior = req.headers["x-forwarded-for"];
    headers["x-forwarded-for"] = prior ? `${prior}, ${client}` : client;
  }
  // The downstream hop is plain HTTP for now; keep what the app said if it said anything.
  headers["x-forwarded-proto"] ??= "http";
  headers["x-request-id"] ??= randomUUID();
  outcome.requestId = String(headers["x-request-id"]);
  if (outcome.trace) injectTraceContext(headers, outcome.trace.context, outcome.trace.formats, outcome.trace.parentSpanId);
  // gRPC servers (and HTTP/2 upstreams generally) need to know trailers are welcome.
  if (outcome.grpc) headers.te = "trailers";
  return headers;
}

/**
 * The request timeout of a call: the route's, or the gRPC deadline minus the
 * offset (so the proxy, not the client, records DEADLINE_EXCEEDED), whichever is shorter.
 */
function requestTimeout(req: IncomingMessage, outcome: Outcome, routeMs: number | undefined, offsetMs: number): number | undefined {
  if (!outcome.grpc) return routeMs;
  const grpcMs = parseGrpcTimeout(req.headers["grpc-timeout"]);
  if (grpcMs === undefined) return routeMs;
  const deadline = Math.max(1, grpcMs - Math.min(offsetMs, grpcMs / 10));
  return routeMs === undefined ? deadline : Math.min(routeMs, deadline);
}

/** What routing decided: answer locally, or forward with a plan. */
export type Resolution =
  | { kind: "local"; status: number; body: string; extra?: OutgoingHttpHeaders; close?: boolean }
  | { kind: "forward"; plan: ForwardPlan };

/** Routes an outbound request (the local app calling another service). */
export function resolveOutbound(env: ForwardEnv, listener: OutboundListener, req: IncomingMessage, outcome: Outcome, target = requestTarget(req)): Resolution {
  const { snapshot } = env;
  if (!target) {
    outcome.flags.push(ResponseFlag.DownstreamProtocolError);
    return { kind: "local", status: 400, body: "bad request target\n", close: true };
  }
  const vhost = listener.virtualHost !== undefined ? snapshot.virtualHosts.get(listener.virtualHost) : (() => {
    const vh = snapshot.hosts.lookup(target.host);
    return vh ? snapshot.virtualHosts.get(vh.name) : undefined;
  })();
  const selection = vhost?.routes.match({
    method: req.method ?? "GET",
    path: target.path,
    headers: req.headers,
    query: target.query === "" ? NO_QUERY : new URLSearchParams(target.query),
  });
  if (!vhost || !selection) {
    outcome.flags.push(ResponseFlag.NoRoute);
    return { kind: "local", status: 404, body: `no route for ${target.host}${target.path}\n` };
  }
  const { rule, match } = selection;

  let path = target.path;
  let host = target.host;
  let requestModifier: HeaderModifier | undefined;
  let responseModifier: HeaderModifier | undefined;
  let fault: FaultInjection | undefined;
  let mirrors: RequestMirror[] | undefined;
  for (const filter of rule.filters) {
    switch (filter.type) {
      case "RequestRedirect": {
        const location = redirectLocation({ scheme: "http", host: target.host, path: target.path, query: target.query }, match, filter.requestRedirect);
        return { kind: "local", status: filter.requestRedirect.statusCode, body: "", extra: { location } };
      }
      case "URLRewrite":
        if (filter.urlRewrite.path) path = rewritePath(path, match, filter.urlRewrite.path);
        if (filter.urlRewrite.hostname) host = filter.urlRewrite.hostname;
        break;
      case "RequestHeaderModifier":
        requestModifier = filter.requestHeaderModifier;
        break;
      case "ResponseHeaderModifier":
        responseModifier = filter.responseHeaderModifier;
        break;
      case "FaultInjection":
        fault = filter.faultInjection;
        break;
      case "RequestMirror":
        (mirrors ??= []).push(filter.requestMirror);
        break;
    }
  }

  const ref = pickWeighted(rule.backendRefs, env.random);
  const backend = ref ? snapshot.backends.get(ref.backend) : undefined;
  // Gateway API: a backend's own filters run after the rule's (a canary's session cookie).
  const responseModifiers = responseModifier ? [responseModifier] : [];
  for (const filter of ref?.filters ?? []) {
    if (filter.type === "ResponseHeaderModifier") responseModifiers.push(filter.responseHeaderModifier);
  }
  if (!backend) {
    outcome.flags.push(ResponseFlag.NoBackend);
    return { kind: "local", status: 500, body: "route has no backend\n" };
  }
  outcome.destinationService = backend.spec.service;
  outcome.destinationVersion = backend.spec.version ?? "unknown";
  outcome.mtls = backend.spec.mtls !== undefined;

  let headers = forwardedHeaders(req, host, outcome);
  if (outcome.stripToken && "header" in outcome.stripToken) delete headers[outcome.stripToken.header];
  if (requestModifier) headers = applyHeaderModifier(headers as Record<string, string | string[] | undefined>, requestModifier) as OutgoingHttpHeaders;
  for (const filter of ref?.filters ?? []) {
    if (filter.type === "RequestHeaderModifier") headers = applyHeaderModifier(headers as Record<string, string | string[] | undefined>, filter.requestHeaderModifier) as OutgoingHttpHeaders;
  }

  const query = outcome.stripToken && "param" in outcome.stripToken ? queryWithout(target.query, outcome.stripToken.param) : target.query;
  return {
    kind: "forward",
    plan: {
      backend,
      path: query ? `${path}?${query}` : path,
      headers,
      retry: rule.retry,
      requestTimeoutMs: requestTimeout(req, outcome, rule.timeouts.requestMs, rule.timeouts.grpcTimeoutOffsetMs),
      perTryTimeoutMs: rule.timeouts.perTryMs,
      responseModifiers,
      fault,
      mirrors,
    },
  };
}

/** Routes an inbound request (another proxy calling the local app). mTLS terminates in front of this (listener-server.ts); identity headers are the proxy's own. */
export function resolveInbound(env: ForwardEnv, listener: InboundListener, req: IncomingMessage, outcome: Outcome, target = requestTarget(req)): Resolution {
  const backend = env.snapshot.inbound.get(listener.name);
  if (!target || !backend) {
    outcome.flags.push(ResponseFlag.DownstreamProtocolError);
    return { kind: "local", status: 400, body: "bad request target\n", close: true };
  }
  outcome.destinationService = backend.spec.service;
  outcome.destinationVersion = backend.spec.version ?? "unknown";
  const headers = forwardedHeaders(req, target.host, outcome);
  setIdentityHeaders(headers, outcome, env.snapshot.identity?.spiffeId);
  const query = outcome.stripToken && "param" in outcome.stripToken ? queryWithout(target.query, outcome.stripToken.param) : target.query;
  return {
    kind: "forward",
    plan: {
      backend,
      path: query ? `${target.path}?${query}` : target.path,
      headers,
      retry: undefined,
      requestTimeoutMs: requestTimeout(req, outcome, listener.timeoutMs, 5),
      perTryTimeoutMs: undefined,
      responseModifiers: [],
      fault: undefined,
      mirrors: undefined,
    },
  };
}

/** Handles a request on an outbound or inbound listener. */
export async function handleHttp(env: ForwardEnv, listener: OutboundListener | InboundListener, req: IncomingMessage, res: ServerResponse, outcome: Outcome): Promise<void> {
  const target = requestTarget(req);
  const refused = await checkSecurity(env, listener, req, outcome, target);
  if (refused) {
    sendLocal(res, refused.status, outcome.flags, refused.body, refused.extra, env.draining(), outcome);
    return;
  }
  if (env.rateLimit) {
    const decision = await env.rateLimit(req, outcome);
    if (decision.kind === "limited") {
      outcome.flags.push(decision.flag);
      sendLocal(res, 429, outcome.flags, decision.flag === ResponseFlag.RateLimited ? "rate limit exceeded\n" : "rate limit service unavailable\n", decision.headers, env.draining(), outcome);
      return;
    }
  }
  const r = listener.kind === "outbound" ? resolveOutbound(env, listener, req, outcome, target) : resolveInbound(env, listener, req, outcome, target);
  if (r.kind === "local") {
    sendLocal(res, r.status, outcome.flags, r.body, r.extra, r.close === true || env.draining(), outcome);
    return;
  }
  if (r.plan.fault && faultMatches(r.plan.fault, req.headers) && (await injectFault(env, res, outcome, r.plan))) return;
  await forward(env, req, res, outcome, r.plan);
}

/**
 * Fault injection: the delay first, then the abort, each drawn on its own.
 * Returns true when the request was answered (aborted).
 */
async function injectFault(env: ForwardEnv, res: ServerResponse, outcome: Outcome, plan: ForwardPlan): Promise<boolean> {
  const fault = plan.fault;
  if (!fault) return false;
  const service = plan.backend.spec.service;
  if (fault.delay && env.random() * 100 < fault.delay.percentage) {
    outcome.flags.push(ResponseFlag.DelayInjected);
    env.metrics.faults.inc({ destination_service: service, kind: "delay" });
    await sleep(fault.delay.fixedDelayMs);
  }
  const abort = fault.abort;
  // An abort with only a gRPC status applies to gRPC calls only.
  if (!abort || (!outcome.grpc && abort.httpStatus === undefined) || env.random() * 100 >= abort.percentage) return false;
  outcome.flags.push(ResponseFlag.FaultInjected);
  env.metrics.faults.inc({ destination_service: service, kind: "abort" });
  if (outcome.grpc && abort.grpcStatus !== undefined) {
    sendLocal(res, 500, outcome.flags, "fault injected", { "grpc-status": String(abort.grpcStatus) }, env.draining(), outcome);
    outcome.grpcStatus = abort.grpcStatus;
  } else {
    sendLocal(res, abort.httpStatus ?? 500, outcome.flags, "fault injected\n", {}, env.draining(), outcome);
  }
  return true;
}

/**
 * JWT authentication and authorization, for listeners that have them (a
 * listener without either costs one map lookup). Returns the answer to
 * send when the request is refused; its flag is already on the outcome.
 */
export async function checkSecurity(env: ForwardEnv, listener: OutboundListener | InboundListener, req: IncomingMessage, outcome: Outcome, target = requestTarget(req)) {
  const security = env.snapshot.security.get(listener.name);
  if (!security) return undefined;
  // An unparseable target is refused by routing; there is nothing to authorize yet.
  if (!target) return undefined;
  const refusal = await admit(security, listener.name, req, target.path, target.query, outcome, env.metrics);
  if (refusal) outcome.flags.push(refusal.flag);
  return refusal;
}

export interface ForwardPlan {
  backend: BackendRuntime;
  path: string;
  headers: OutgoingHttpHeaders;
  retry: RetryPolicy | undefined;
  requestTimeoutMs: number | undefined;
  perTryTimeoutMs: number | undefined;
  /** Applied in order: the rule's, then the picked backend's. */
  responseModifiers: readonly HeaderModifier[];
  fault: FaultInjection | undefined;
  mirrors: RequestMirror[] | undefined;
}

const FAILURE_RESPONSE: Record<AttemptFailure, { status: number; flag: ResponseFlagCode; text: string }> = {
  "connect-failure": { status: 503, flag: ResponseFlag.UpstreamConnectFailure, text: "upstream connect failure" },
  reset: { status: 502, flag: ResponseFlag.UpstreamReset, text: "upstream reset before response" },
  timeout: { status: 504, flag: ResponseFlag.UpstreamTimeout, text: "upstream timeout" },
  "peer-identity": { status: 503, flag: ResponseFlag.UpstreamPeerIdentity, text: "upstream identity refused" },
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function forward(env: ForwardEnv, req: IncomingMessage, res: ServerResponse, outcome: Outcome, plan: ForwardPlan): Promise<void> {
  const { backend, retry } = plan;
  const method = req.method ?? "GET";
  const start = env.now();
  const deadline = plan.requestTimeoutMs === undefined ? undefined : start + plan.requestTimeoutMs;
  const maxAttempts = retry?.maxAttempts ?? 1;
  const cb = backend.breaker;
  if (cb.requests >= cb.limits.maxRequests) {
    overflow(env, res, outcome, backend, "requests");
    return;
  }
  cb.requests++;
  backend.counters.requests++;
  backend.budget.recordRequest();

  let retryHeld = false;
  const releaseRetry = () => {
    if (!retryHeld) return;
    retryHeld = false;
    cb.retries--;
  };
  const abort = new Cancel();
  res.once("close", () => {
    cb.requests--;
    releaseRetry();
    if (!res.writableFinished && !outcome.respondedTrailersOnly) abort.cancel();
  });

  // Mirrors are drawn before the body is read: a copy needs the whole body in memory.
  let mirrors: RequestMirror[] | undefined;
  if (plan.mirrors) for (const m of plan.mirrors) if (env.random() * 100 < m.percent) (mirrors ??= []).push(m);

  let body: RequestBody;
  try {
    // Buffer only when a retry could replay the body or a mirror copy it; otherwise stream at once.
    body = !hasBody(req)
      ? NO_BODY
      : maxAttempts > 1 || mirrors
        ? await readBodyUpTo(req, env.snapshot.config.limits.retryBufferBytes)
        : { kind: "stream", head: [], rest: req };
  } catch {
    outcome.flags.push(ResponseFlag.DownstreamConnectionTermination);
    res.destroy();
    return;
  }
  if (mirrors) {
    for (const m of mirrors) {
      const shadow = env.snapshot.backends.get(m.backend);
      if (!shadow) continue;
      if (body.kind === "stream") env.metrics.mirrors.inc({ destination_service: shadow.spec.service, result: "too_large" });
      else sendMirror(env, shadow, m, method, plan.path, plan.headers, body);
    }
  }
  const replayable = body.kind !== "stream";
  const hashKey = backend.hashKey(req.headers, remoteAddress(req));
  const tried = new Set<string>();
  let freeReconnect = replayable && IDEMPOTENT.has(method);
  let attempt = 0;

  /** True (and counted) when one more attempt is allowed; flags URX when not. */
  const mayRetry = (): boolean => {
    const timeLeft = deadline === undefined || env.now() < deadline;
    if (!retry || attempt >= maxAttempts || !replayable || !timeLeft) {
      if (retry && maxAttempts > 1 && replayable) outcome.flags.push(ResponseFlag.RetryLimitExceeded);
      return false;
    }
    if (!retryHeld && cb.retries >= cb.limits.maxRetries) {
      backend.counters.overflowRetries++;
      env.metrics.breakerOverflow.inc({ destination_service: backend.spec.service, limit: "retries" });
      outcome.flags.push(ResponseFlag.RetryLimitExceeded);
      return false;
    }
    if (!backend.budget.tryRetry()) {
      backend.counters.retryBudgetExhausted++;
      env.metrics.budgetExhausted.inc({ destination_service: backend.spec.service });
      outcome.flags.push(ResponseFlag.RetryLimitExceeded);
      return false;
    }
    backend.counters.retries++;
    env.metrics.retries.inc({ destination_service: backend.spec.service });
    if (!retryHeld) {
      retryHeld = true;
      cb.retries++;
    }
    return true;
  };

  for (;;) {
    if (abort.aborted) return;
    attempt++;
    const view = backend.pick({ random: env.random, now: env.now(), hashKey, tried });
    if (!view) {
      backend.counters.noHealthy++;
      outcome.flags.push(ResponseFlag.NoHealthyUpstream);
      sendLocal(res, 503, outcome.flags, "no healthy upstream\n", {}, env.draining(), outcome);
      return;
    }
    tried.add(view.key);
    outcome.destinationVersion = view.endpoint.version ?? backend.spec.version ?? "unknown";
    outcome.destinationCluster = view.endpoint.locality.cluster ?? "unknown";
    outcome.upstreamHost = view.key;

    const now = env.now();
    const remaining = deadline === undefined ? undefined : deadline - now;
    const headersTimeoutMs = remaining === undefined ? plan.perTryTimeoutMs : Math.min(remaining, plan.perTryTimeoutMs ?? remaining);
    if (headersTimeoutMs !== undefined && headersTimeoutMs <= 0) {
      backend.counters.timeouts++;
      outcome.flags.push(ResponseFlag.UpstreamTimeout);
      sendLocal(res, 504, outcome.flags, "upstream timeout\n", {}, env.draining(), outcome);
      return;
    }
    if (outcome.grpc && remaining !== undefined) plan.headers["grpc-timeout"] = formatGrpcTimeout(remaining);

    if (cb.pending >= cb.limits.maxPendingRequests) {
      overflow(env, res, outcome, backend, "pending");
      return;
    }
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

    const r = await sendAttempt(
      {
        address: view.endpoint.address,
        port: view.endpoint.port,
        sni: view.endpoint.sni,
        agent: backend.pool.agent,
        h2: backend.pool.h2,
        tls: backend.pool.tlsFor?.(view.endpoint.address, backend.pool.h2 ? ["h2"] : ["http/1.1"], view.endpoint.sni),
        verifiesPeer: backend.pool.verifiesPeer,
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
    // The retry (if this was one) is no longer in flight once it has an answer.
    releaseRetry();

    if (r.kind === "failure") {
      finishAttempt();
      stats.failures++;
      if (abort.aborted) return;
      // A kept-alive socket the upstream closed under us: replay once, as browsers do.
      if (r.reusedSocket && freeReconnect) {
        freeReconnect = false;
        tried.delete(view.key);
        attempt--;
        continue;
      }
      if (r.failure !== "peer-identity") backend.outlier?.record(view, undefined);
      if (r.failure === "connect-failure" || r.failure === "peer-identity") backend.counters.connectFailures++;
      else if (r.failure === "timeout") backend.counters.timeouts++;
      else backend.counters.resets++;
      if (retry && isRetriableFailure(r.failure, retry) && mayRetry()) {
        await sleep(backoffDelayMs(attempt, retry.backoff, env.random));
        continue;
      }
      const mapped = FAILURE_RESPONSE[r.failure];
      outcome.flags.unshift(mapped.flag);
      sendLocal(res, mapped.status, outcome.flags, `${mapped.text}\n`, {}, env.draining(), outcome);
      return;
    }

    const upRes = r.res;
    const resBody = upRes.body;
    stats.observe(env.now() - now, env.now());
    let piping = false;
    resBody.once("close", () => {
      finishAttempt();
      // The upstream went away mid-body: cut the downstream response rather than end it cleanly.
      if (piping && !upRes.complete()) res.destroy();
    });
    // An upstream that dies mid-body truncates the downstream response; a
    // discarded (retried) response just goes away.
    resBody.on("error", () => {
      if (piping) res.destroy();
    });
    const status = upRes.status;
    backend.outlier?.record(view, status);
    const grpcCode = outcome.grpc ? grpcStatusOf(upRes.headers) : undefined;
    if (retry && (isRetriableStatus(status, retry) || (grpcCode !== undefined && retry.grpcStatusCodes.includes(grpcCode))) && mayRetry()) {
      resBody.resume(); // discard the body so the connection can be reused
      await sleep(backoffDelayMs(attempt, retry.backoff, env.random));
      continue;
    }
    if (grpcCode !== undefined) outcome.grpcStatus = grpcCode;

    let headers = stripHopByHop(upRes.headers);
    for (const modifier of plan.responseModifiers) headers = applyHeaderModifier(headers as Record<string, string | string[] | undefined>, modifier) as OutgoingHttpHeaders;
    if (outcome.flags.length > 0) headers[FLAGS_HEADER] = formatFlags(outcome.flags);
    if (res.destroyed) {
      upRes.destroy();
      return;
    }
    if (outcome.h2) {
      if (upRes.endStream) {
        // Trailers-only (a gRPC status without a body) must stay one HEADERS frame with END_STREAM.
        outcome.respondedTrailersOnly = true;
        resBody.resume();
        const stream = h2Stream(res);
        if (!stream.destroyed && !stream.closed) stream.respond({ ...headers, ":status": status }, { endStream: true });
        return;
      }
      res.writeHead(status, headers);
    } else {
      if (env.draining()) headers.connection = "close";
      res.writeHead(status, upRes.statusMessage ?? "", headers);
    }
    piping = true;
    res.once("close", () => {
      if (!upRes.complete()) upRes.destroy();
    });
    // Piped without ending, so the trailers can be added once the body is done.
    resBody.pipe(res, { end: false });
    resBody.once("end", () => {
      const trailers = upRes.trailers();
      if (trailers) {
        const forwarded = stripHopByHop(trailers);
        if (outcome.grpc) {
          const code = grpcStatusOf(forwarded);
          if (code !== undefined) outcome.grpcStatus = code;
        }
        res.addTrailers(forwarded);
      }
      res.end();
    });
    return;
  }
}

/** A circuit-breaker limit was reached: fail fast with 503 UO. */
function overflow(env: ForwardEnv, res: ServerResponse, outcome: Outcome, backend: BackendRuntime, limit: "requests" | "pending"): void {
  if (limit === "requests") backend.counters.overflowRequests++;
  else backend.counters.overflowPending++;
  env.metrics.breakerOverflow.inc({ destination_service: backend.spec.service, limit });
  outcome.flags.push(ResponseFlag.UpstreamOverflow);
  sendLocal(res, 503, outcome.flags, `upstream overflow (circuit breaker: max ${limit})\n`, {}, env.draining(), outcome);
}
