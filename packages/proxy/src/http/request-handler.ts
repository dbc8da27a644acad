// A request on an outbound or inbound listener, from admission to the
// forward: JWT and authorization, rate limits, routing, fault injection.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { InboundListener, OutboundListener } from "@weft/mesh-model/proxy-config";
import type { Outcome } from "../core/outcome.ts";
import type { RequestHead } from "../core/request-head.ts";
import { ResponseFlag } from "../core/response-flags.ts";
import { admit } from "../security/inbound-security.ts";
import { faultMatches } from "./fault-injection.ts";
import { forward } from "./forward.ts";
import type { ForwardEnv, ForwardPlan, Resolution } from "./forward-env.ts";
import { sendLocal } from "./local-reply.ts";
import { remoteAddress, requestTarget, type RequestTarget } from "./request-target.ts";
import { resolveInbound, resolveOutbound, type Routed } from "./route-resolution.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Admission and routing, shared by both paths: JWT and authorization, rate
 * limits, then the route. Answers locally (refused, limited, no route,
 * redirect) or with the plan to forward. `routed`: the target and route the
 * caller already matched (the same request, snapshot and listener).
 */
export function admitAndRoute(env: ForwardEnv, listener: OutboundListener | InboundListener, req: RequestHead, client: string | undefined, outcome: Outcome, routed?: Routed): Resolution | Promise<Resolution> {
  const target = routed ? routed.target : requestTarget(req);
  // Without security or rate limits (the common sidecar hop) routing answers synchronously: no promise per request.
  if (!env.rateLimit && !env.snapshot.security.has(listener.name)) return route(env, listener, req, client, outcome, target, routed);
  return admitThenRoute(env, listener, req, client, outcome, target, routed);
}

function route(env: ForwardEnv, listener: OutboundListener | InboundListener, req: RequestHead, client: string | undefined, outcome: Outcome, target: RequestTarget | undefined, routed: Routed | undefined): Resolution {
  return listener.kind === "outbound" ? resolveOutbound(env, listener, req, client, outcome, target, routed) : resolveInbound(env, listener, req, client, outcome, target);
}

async function admitThenRoute(env: ForwardEnv, listener: OutboundListener | InboundListener, req: RequestHead, client: string | undefined, outcome: Outcome, target: RequestTarget | undefined, routed: Routed | undefined): Promise<Resolution> {
  const refused = await checkSecurity(env, listener, req, outcome, target);
  if (refused) return { kind: "local", status: refused.status, body: refused.body, extra: refused.extra };
  if (env.rateLimit) {
    const decision = await env.rateLimit(req, outcome);
    if (decision.kind === "limited") {
      outcome.flags.push(decision.flag);
      return { kind: "local", status: 429, body: decision.flag === ResponseFlag.RateLimited ? "rate limit exceeded\n" : "rate limit service unavailable\n", extra: decision.headers };
    }
  }
  return route(env, listener, req, client, outcome, target, routed);
}

/** Handles a request on an outbound or inbound listener (node:http path). */
export async function handleHttp(env: ForwardEnv, listener: OutboundListener | InboundListener, req: IncomingMessage, res: ServerResponse, outcome: Outcome): Promise<void> {
  const r = await admitAndRoute(env, listener, req, remoteAddress(req), outcome);
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
export async function checkSecurity(env: ForwardEnv, listener: OutboundListener | InboundListener, req: RequestHead, outcome: Outcome, target = requestTarget(req)) {
  const security = env.snapshot.security.get(listener.name);
  if (!security) return undefined;
  // An unparseable target is refused by routing; there is nothing to authorize yet.
  if (!target) return undefined;
  const refusal = await admit(security, listener.name, req, target.path, target.query, outcome, env.metrics);
  if (refusal) outcome.flags.push(refusal.flag);
  return refusal;
}

