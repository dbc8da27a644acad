// Request dispatch: what each listener kind does with its traffic. HTTP
// requests go to the request handler (after the limits node:http does not
// check), WebSocket upgrades to the tunnel, TCP connections to the
// passthrough, east-west gateway connections to SNI routing, and the admin
// listener to the admin handler. Every request is recorded once it ends.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { InboundListener, Limits, Listener, OutboundListener, RandomSource, RouteSelection } from "@weft/mesh-model/proxy-config";
import { validHost, type RequestHead } from "../codec/http1-head.ts";
import type { Logger } from "../core/logger.ts";
import type { Outcome } from "../core/outcome.ts";
import { peerOf } from "../core/peer-identity.ts";
import { ResponseFlag } from "../core/response-flags.ts";
import type { ForwardEnv } from "../http/forward-env.ts";
import { isGrpc } from "../http/grpc.ts";
import { sendLocal } from "../http/local-reply.ts";
import { checkSecurity, handleHttp } from "../http/request-handler.ts";
import { parseTarget, remoteAddress, requestTarget, type RequestTarget } from "../http/request-target.ts";
import { matchRoute, resolveInbound, resolveOutbound, type Routed } from "../http/route-resolution.ts";
import type { Snapshot } from "../http/snapshot.ts";
import { rawReply, tunnelUpgrade } from "../http/upgrade-tunnel.ts";
import { replyLocal } from "../http/fast-downstream.ts";
import { handleFast } from "../http/fast-forward.ts";
import { choosePath, type PathFeatures } from "../http/path-decision.ts";
import { replaysSentRequests } from "../upstream/retry.ts";
import type { ProxyMetrics } from "../observability/metrics.ts";
import type { RecordContext, RequestRecorder } from "../observability/request-recorder.ts";
import { gatewayBackend, peekServerName } from "../tcp/gateway-listener.ts";
import { proxyTcp } from "../tcp/tcp-proxy.ts";
import type { FastRequest } from "./fast-connection.ts";
import type { ListenerHandle, ListenerTraffic } from "./listener-set.ts";

export interface DispatcherDeps {
  /** The active snapshot (a request keeps the one it started with). */
  snapshot: () => Snapshot | undefined;
  shuttingDown: () => boolean;
  metrics: ProxyMetrics;
  recorder: RequestRecorder;
  random: RandomSource;
  now: () => number;
  logger: Logger;
  /** The admin listener's requests. */
  admin: (req: IncomingMessage, res: ServerResponse) => void;
  /** The HTTP/1.1 fast path is on. */
  fastPath: boolean;
}

/**
 * Checks node:http leaves to us (the fast path's parser makes them itself):
 * the target length (414), the header count (431), an HTTP/0.9 request line,
 * a missing Host, and more than one Host (RFC 9112 section 3.2: 400).
 */
function strictHead(req: IncomingMessage, limits: Limits, h2: boolean): { status: number; body: string } | undefined {
  if ((req.url ?? "").length > limits.maxUriLength) return { status: 414, body: "URI too long\n" };
  if (req.rawHeaders.length / 2 > limits.maxHeaderCount) return { status: 431, body: "too many headers\n" };
  if (h2) return undefined;
  if (req.httpVersionMajor !== 1) return { status: 400, body: "bad request: HTTP version required\n" };
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if ((req.rawHeaders[i] ?? "").toLowerCase() === "host") hosts++;
  if (hosts > 1) return { status: 400, body: "bad request: more than one Host header\n" };
  if (hosts === 0 && req.httpVersionMinor === 1) return { status: 400, body: "bad request: missing Host header\n" };
  if (hosts === 1 && !validHost(req.headers.host ?? "") && !(req.headers.host === "" && !(req.url ?? "").startsWith("/"))) return { status: 400, body: "bad request: invalid Host header\n" };
  return undefined;
}

/** What the path decision needs from a matched rule: the same for every request it matches under one snapshot. */
interface RuleFeatures {
  snapshot: Snapshot;
  filters: readonly string[];
  retries: boolean;
  http2Backend: boolean;
}
const ruleFeatureCache = new WeakMap<RouteSelection["rule"], RuleFeatures>();

function ruleFeatures(snapshot: Snapshot, rule: RouteSelection["rule"]): RuleFeatures {
  const known = ruleFeatureCache.get(rule);
  if (known && known.snapshot === snapshot) return known;
  const features: RuleFeatures = {
    snapshot,
    // The backends' own filters (a canary's header modifiers) count like the rule's.
    filters: [...rule.filters.map((f) => f.type), ...rule.backendRefs.flatMap((ref) => (ref.filters ?? []).map((f) => f.type))],
    // Only a retry that may resend a written request needs the body buffered (node:http); a connect-failure retry happens before the body is sent.
    retries: replaysSentRequests(rule.retry),
    http2Backend: rule.backendRefs.some((ref) => snapshot.backends.get(ref.backend)?.spec.protocol === "http2"),
  };
  ruleFeatureCache.set(rule, features);
  return features;
}

const NO_FILTERS: readonly string[] = [];

/** What the path decision needs to know about a request on `spec`; `routed`: an outbound request's target and route. */
function pathFeatures(snapshot: Snapshot, spec: OutboundListener | InboundListener, head: RequestHead, enabled: boolean, routed: Routed | undefined): PathFeatures {
  const features: PathFeatures = {
    enabled,
    http10: head.minor === 0,
    method: head.method,
    upgrade: head.upgrade,
    expectContinue: head.expectContinue,
    grpc: isGrpc(head.headers["content-type"]),
    hasBody: head.chunked || (head.contentLength ?? 0) > 0,
    jwt: snapshot.security.get(spec.name)?.jwt !== undefined,
    filters: NO_FILTERS,
    retries: false,
    http2Backend: false,
  };
  if (spec.kind === "inbound") {
    features.http2Backend = snapshot.inbound.get(spec.name)?.spec.protocol === "http2";
    return features;
  }
  const rule = routed?.selection?.rule;
  if (rule) {
    const r = ruleFeatures(snapshot, rule);
    features.filters = r.filters;
    features.retries = r.retries;
    features.http2Backend = r.http2Backend;
  }
  return features;
}

/** An outbound request's target and the route it matches: worked out once, for the path decision and for routing. */
function routeOutbound(snapshot: Snapshot, spec: OutboundListener, head: RequestHead): Routed {
  const target = parseTarget(head.url, head.headers.host);
  return { target, selection: target ? matchRoute(snapshot, spec, head, target) : undefined };
}

function recordContext(snapshot: Snapshot, spec: Listener): RecordContext {
  return { node: snapshot.config.node, localIdentity: snapshot.identity?.spiffeId, listener: spec.name, inbound: spec.kind === "inbound" };
}

/** What every request on one listener under one snapshot shares: built once, not per request. */
interface ListenerRequestContext {
  snapshot: Snapshot;
  spec: Listener;
  env: ForwardEnv;
  ctx: RecordContext;
}

export class RequestDispatcher implements ListenerTraffic {
  private readonly contexts = new WeakMap<ListenerHandle, ListenerRequestContext>();

  constructor(private readonly deps: DispatcherDeps) {}

  private context(snapshot: Snapshot, handle: ListenerHandle): ListenerRequestContext {
    const known = this.contexts.get(handle);
    if (known && known.snapshot === snapshot && known.spec === handle.spec) return known;
    const c = { snapshot, spec: handle.spec, env: this.env(snapshot, handle), ctx: recordContext(snapshot, handle.spec) };
    this.contexts.set(handle, c);
    return c;
  }

  protocolError(handle: ListenerHandle, status: number): void {
    this.deps.recorder.protocolError(handle.spec.name, status);
  }

  request(handle: ListenerHandle, req: IncomingMessage, res: ServerResponse, h2: boolean): void {
    // Socket-level errors are handled by closing; they must never reach the process.
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    const { deps } = this;
    const snapshot = deps.snapshot();
    const spec = handle.spec;
    if (!snapshot) {
      sendLocal(res, 503, [], "no config\n", {}, !h2);
      return;
    }
    if (spec.kind === "admin") {
      deps.admin(req, res);
      return;
    }
    if (spec.kind === "tcp" || spec.kind === "gateway") return;

    const started = performance.now();
    const recorder = deps.recorder;
    recorder.active++;
    recorder.total++;
    const shared = this.context(snapshot, handle);
    const ctx = shared.ctx;
    const outcome = recorder.newOutcome(ctx, req.headers, peerOf(req), h2, isGrpc(req.headers["content-type"]));
    res.once("close", () => {
      recorder.active--;
      if (!res.writableFinished && !outcome.respondedTrailersOnly) outcome.flags.push(ResponseFlag.DownstreamConnectionTermination);
      const code = outcome.respondedTrailersOnly ? 200 : res.headersSent ? res.statusCode : 0;
      recorder.record(ctx, req, outcome, code, started);
    });

    const refusal = strictHead(req, snapshot.config.limits, h2);
    if (refusal) {
      recorder.protocolError(spec.name, refusal.status);
      outcome.flags.push(ResponseFlag.DownstreamProtocolError);
      sendLocal(res, refusal.status, outcome.flags, refusal.body, {}, true, outcome);
      return;
    }
    if (h2 && req.method === "CONNECT") {
      outcome.flags.push(ResponseFlag.DownstreamProtocolError);
      sendLocal(res, 501, outcome.flags, "CONNECT is not supported\n", {}, false, outcome);
      return;
    }
    handleHttp(shared.env, spec, req, res, outcome).catch((err: unknown) => {
      deps.logger.error("request failed", { error: err instanceof Error ? err.stack : String(err) });
      sendLocal(res, 500, outcome.flags, "internal proxy error\n", {}, true, outcome);
    });
  }

  /** An HTTP/1.1 request the fast path read: taken when path-decision.ts says so. */
  fastRequest(handle: ListenerHandle, req: FastRequest): boolean {
    const { deps } = this;
    const snapshot = deps.snapshot();
    const spec = handle.spec;
    if (!snapshot || (spec.kind !== "outbound" && spec.kind !== "inbound")) return false;
    const routed = spec.kind === "outbound" && deps.fastPath ? routeOutbound(snapshot, spec, req.head) : undefined;
    if (choosePath(pathFeatures(snapshot, spec, req.head, deps.fastPath, routed)).path !== "fast") return false;
    const started = performance.now();
    const recorder = deps.recorder;
    recorder.active++;
    recorder.total++;
    recorder.fastPath++;
    const shared = this.context(snapshot, handle);
    const ctx = shared.ctx;
    const outcome = recorder.newOutcome(ctx, req.head.headers, req.peer, false, false);
    req.onDone((completed) => {
      recorder.active--;
      if (!completed) outcome.flags.push(ResponseFlag.DownstreamConnectionTermination);
      recorder.record(ctx, req.head, outcome, completed ? req.status : 0, started);
    });
    handleFast(shared.env, spec, req, outcome, routed).catch((err: unknown) => {
      deps.logger.error("request failed", { error: err instanceof Error ? err.stack : String(err) });
      replyLocal(req, 500, outcome.flags, "internal proxy error\n", {}, true);
    });
    return true;
  }

  /** HTTP/1.1 Upgrade (WebSocket) on an outbound or inbound listener. */
  upgrade(handle: ListenerHandle, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { deps } = this;
    const snapshot = deps.snapshot();
    const spec = handle.spec;
    if (!snapshot || (spec.kind !== "outbound" && spec.kind !== "inbound")) {
      rawReply(socket, 501, [], "upgrade not supported here\n");
      return;
    }
    if (String(req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
      rawReply(socket, 501, [], "only WebSocket upgrades are supported\n");
      return;
    }
    const started = performance.now();
    const recorder = deps.recorder;
    recorder.total++;
    recorder.active++;
    const ctx = recordContext(snapshot, spec);
    const outcome = recorder.newOutcome(ctx, req.headers, peerOf(req), false, false);
    const done = (status: number) => {
      recorder.active--;
      deps.metrics.upgrades.inc({ destination_service: outcome.destinationService, response_code: String(status) });
      recorder.record(ctx, req, outcome, status, started);
    };
    // Local answers on this path are raw replies that always close the connection.
    const env: ForwardEnv = { snapshot, metrics: deps.metrics, random: deps.random, now: deps.now, draining: () => true };
    const target = requestTarget(req);
    if (!snapshot.security.has(spec.name)) {
      this.tunnel(env, spec, req, socket, head, outcome, done, target);
      return;
    }
    checkSecurity(env, spec, req, outcome, target).then(
      (refused) => {
        if (!refused) this.tunnel(env, spec, req, socket, head, outcome, done, target);
        else {
          const extra = Object.entries(refused.extra).map(([k, v]) => `${k}: ${String(v)}\r\n`).join("");
          rawReply(socket, refused.status, outcome.flags, refused.body, extra);
          done(refused.status);
        }
      },
      () => {
        rawReply(socket, 500, outcome.flags, "internal proxy error\n");
        done(500);
      },
    );
  }

  /**
   * A connection on an east-west gateway listener: routed by the server name
   * of its ClientHello and piped on still encrypted, so the destination's
   * proxy terminates the caller's mTLS and sees its SPIFFE ID.
   */
  gateway(handle: ListenerHandle, socket: Socket): void {
    socket.on("error", () => socket.destroy());
    const timeoutMs = handle.spec.kind === "gateway" ? handle.spec.clientHelloTimeoutMs : 10_000;
    peekServerName(socket, timeoutMs, (result) => {
      // The routes of the config current now, not when the connection was accepted.
      const spec = handle.spec;
      const refuse = (reason: string) => {
        this.deps.metrics.gatewayRefused.inc({ listener: spec.name, reason });
        socket.destroy();
      };
      if (!result.ok) return refuse(result.reason);
      if (result.serverName === undefined) return refuse("no_sni");
      const backend = spec.kind === "gateway" ? gatewayBackend(spec, result.serverName) : undefined;
      if (backend === undefined) return refuse("unknown_sni");
      socket.unshift(result.head);
      this.passthrough(handle, socket, backend, result.serverName);
    });
  }

  /** A connection on a TCP passthrough listener. */
  tcp(handle: ListenerHandle, socket: Socket): void {
    this.passthrough(handle, socket, undefined, undefined);
  }

  /** Pipes a connection to the listener's backend, or to `routed` (a gateway's choice). */
  private passthrough(handle: ListenerHandle, socket: Socket, routed: string | undefined, serverName: string | undefined): void {
    const { deps } = this;
    const snapshot = deps.snapshot();
    const spec = handle.spec;
    socket.on("error", () => socket.destroy());
    const name = spec.kind === "tcp" ? spec.backend : routed;
    const backend = name !== undefined ? snapshot?.backends.get(name) : undefined;
    if (!snapshot || !backend) {
      socket.destroy();
      return;
    }
    const startedMs = deps.now();
    deps.recorder.active++;
    proxyTcp(socket, backend, { random: deps.random, now: deps.now }, (o) => {
      deps.recorder.active--;
      deps.recorder.recordTcp({ listener: spec.name, destinationService: backend.spec.service, flags: o.flags, upstreamHost: o.upstreamHost, bytesReceived: o.bytesReceived, bytesSent: o.bytesSent, startedMs, serverName });
    });
  }

  private env(snapshot: Snapshot, handle: ListenerHandle): ForwardEnv {
    const { deps } = this;
    return {
      snapshot,
      metrics: deps.metrics,
      random: deps.random,
      now: deps.now,
      draining: () => handle.draining || deps.shuttingDown(),
      rateLimit: snapshot.rateLimits.get(handle.spec.name),
    };
  }

  private tunnel(
    env: ForwardEnv,
    spec: OutboundListener | InboundListener,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    outcome: Outcome,
    done: (status: number) => void,
    target: RequestTarget | undefined,
  ): void {
    const client = remoteAddress(req);
    const r = spec.kind === "outbound" ? resolveOutbound(env, spec, req, client, outcome, target) : resolveInbound(env, spec, req, client, outcome, target);
    if (r.kind === "local") {
      rawReply(socket, r.status, outcome.flags, r.body, r.extra?.location ? `Location: ${String(r.extra.location)}\r\n` : "");
      done(r.status);
      return;
    }
    tunnelUpgrade(req, socket, head, r.plan, { random: this.deps.random, now: this.deps.now }, outcome, done);
  }
}
