// Routing of one request: the virtual host and rule, the rule's filters, the
// weighted backend, the headers that go upstream and the timeouts. Pure
// decisions over the snapshot; nothing is sent from here.
import { setPeerMetadata } from "../core/peer-metadata.ts";
import { randomUUID } from "node:crypto";
import type { OutgoingHttpHeaders } from "node:http";
import {
  applyHeaderModifier,
  injectTraceContext,
  pickWeighted,
  redirectLocation,
  rewritePath,
  type BackendFilter,
  type FaultInjection,
  type HeaderModifier,
  type InboundListener,
  type OutboundListener,
  type RequestMirror,
  type RouteSelection,
} from "@weft/mesh-model/proxy-config";
import type { Outcome } from "../core/outcome.ts";
import type { RequestHead } from "../core/request-head.ts";
import { ResponseFlag } from "../core/response-flags.ts";
import { queryWithout, setIdentityHeaders } from "../security/inbound-security.ts";
import type { ForwardEnv, Resolution } from "./forward-env.ts";
import { parseGrpcTimeout } from "./grpc.ts";
import { stripHopByHop } from "./hop-by-hop.ts";
import { requestTarget, type RequestTarget } from "./request-target.ts";
import type { Snapshot } from "./snapshot.ts";

const NO_QUERY = { get: (): string | null => null };

function forwardedHeaders(req: RequestHead, client: string | undefined, host: string, outcome: Outcome): OutgoingHttpHeaders {
  const headers = stripHopByHop(req.headers);
  headers.host = host;
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
function requestTimeout(req: RequestHead, outcome: Outcome, routeMs: number | undefined, offsetMs: number): number | undefined {
  if (!outcome.grpc) return routeMs;
  const grpcMs = parseGrpcTimeout(req.headers["grpc-timeout"]);
  if (grpcMs === undefined) return routeMs;
  const deadline = Math.max(1, grpcMs - Math.min(offsetMs, grpcMs / 10));
  return routeMs === undefined ? deadline : Math.min(routeMs, deadline);
}

/** The rule an outbound request matches, if any (pure: no randomness, nothing recorded). */
export function matchRoute(snapshot: Snapshot, listener: OutboundListener, req: RequestHead, target: RequestTarget): RouteSelection | undefined {
  const vhost = listener.virtualHost !== undefined ? snapshot.virtualHosts.get(listener.virtualHost) : (() => {
    const vh = snapshot.hosts.lookup(target.host);
    return vh ? snapshot.virtualHosts.get(vh.name) : undefined;
  })();
  return vhost?.routes.match({
    method: req.method ?? "GET",
    path: target.path,
    headers: req.headers,
    query: target.query === "" ? NO_QUERY : new URLSearchParams(target.query),
  });
}

/** A request's target and the route it matched, when the caller already worked them out (the fast path's path decision did). */
export interface Routed {
  target: RequestTarget | undefined;
  selection: RouteSelection | undefined;
}

/** Routes an outbound request (the local app calling another service); `client` is the caller's address for x-forwarded-for. */
export function resolveOutbound(env: ForwardEnv, listener: OutboundListener, req: RequestHead, client: string | undefined, outcome: Outcome, target = requestTarget(req), routed?: Routed): Resolution {
  const { snapshot } = env;
  if (!target) {
    outcome.flags.push(ResponseFlag.DownstreamProtocolError);
    return { kind: "local", status: 400, body: "bad request target\n", close: true };
  }
  const selection = routed ? routed.selection : matchRoute(snapshot, listener, req, target);
  if (!selection) {
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
  if (!backend) {
    outcome.flags.push(ResponseFlag.NoBackend);
    return { kind: "local", status: 500, body: "route has no backend\n" };
  }
  outcome.destinationService = backend.spec.service;
  outcome.destinationVersion = backend.spec.version ?? "unknown";
  outcome.mtls = backend.spec.mtls !== undefined;

  let headers = forwardedHeaders(req, client, host, outcome);
  setPeerMetadata(headers, outcome.mtls, env.snapshot.config.node);
  if (outcome.stripToken && "header" in outcome.stripToken) delete headers[outcome.stripToken.header];
  const modifiers = withBackendFilters(ref?.filters, requestModifier, responseModifier);
  for (const modifier of modifiers.request) headers = applyHeaderModifier(headers as Record<string, string | string[] | undefined>, modifier) as OutgoingHttpHeaders;

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
      responseModifiers: modifiers.response,
      fault,
      mirrors,
    },
  };
}

/** The rule's header modifiers followed by the picked backend's own (Gateway API order: a canary's session cookie). */
function withBackendFilters(filters: readonly BackendFilter[] | undefined, request: HeaderModifier | undefined, response: HeaderModifier | undefined): { request: HeaderModifier[]; response: HeaderModifier[] } {
  const out = { request: request ? [request] : [], response: response ? [response] : [] };
  for (const filter of filters ?? []) {
    if (filter.type === "RequestHeaderModifier") out.request.push(filter.requestHeaderModifier);
    else out.response.push(filter.responseHeaderModifier);
  }
  return out;
}

/** Routes an inbound request (another proxy calling the local app). mTLS terminates in front of this (listener-server.ts); identity headers are the proxy's own. */
export function resolveInbound(env: ForwardEnv, listener: InboundListener, req: RequestHead, client: string | undefined, outcome: Outcome, target = requestTarget(req)): Resolution {
  const backend = env.snapshot.inbound.get(listener.name);
  if (!target || !backend) {
    outcome.flags.push(ResponseFlag.DownstreamProtocolError);
    return { kind: "local", status: 400, body: "bad request target\n", close: true };
  }
  outcome.destinationService = backend.spec.service;
  outcome.destinationVersion = backend.spec.version ?? "unknown";
  const headers = forwardedHeaders(req, client, target.host, outcome);
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

