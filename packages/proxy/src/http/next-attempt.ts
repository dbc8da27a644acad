// The steps before every attempt, the same on both paths: pick an endpoint
// (503 UH when none is healthy), record it on the outcome, work out the
// attempt's time from the per-try timeout and the request deadline (504 UT
// when none is left), and check the breaker's pending limit (503 UO).
import type { Outcome } from "../core/outcome.ts";
import { ResponseFlag } from "../core/response-flags.ts";
import type { BackendRuntime } from "../upstream/backend-runtime.ts";
import type { EndpointView } from "../upstream/load-balancer.ts";
import type { ForwardEnv } from "./forward-env.ts";
import { countOverflow, failureAnswer } from "./upstream-failures.ts";

export type NextAttempt =
  | { kind: "answer"; status: number; body: string }
  | {
      kind: "attempt";
      view: EndpointView;
      /** When the attempt starts (for the latency EWMA). */
      sentAt: number;
      /** Time left until the request deadline, if it has one. */
      remaining: number | undefined;
      /** The attempt's time until response headers (per-try timeout capped by the deadline). */
      timeoutMs: number | undefined;
    };

export function nextAttempt(
  env: ForwardEnv,
  backend: BackendRuntime,
  outcome: Outcome,
  hashKey: string | undefined,
  tried: Set<string>,
  deadline: number | undefined,
  perTryTimeoutMs: number | undefined,
): NextAttempt {
  const view = backend.pick({ random: env.random, now: env.now(), hashKey, tried });
  if (!view) {
    backend.counters.noHealthy++;
    outcome.flags.push(ResponseFlag.NoHealthyUpstream);
    return { kind: "answer", status: 503, body: "no healthy upstream\n" };
  }
  tried.add(view.key);
  outcome.destinationVersion = view.endpoint.version ?? backend.spec.version ?? "unknown";
  outcome.destinationCluster = view.endpoint.locality.cluster ?? "unknown";
  outcome.upstreamHost = view.key;
  const sentAt = env.now();
  const remaining = deadline === undefined ? undefined : deadline - sentAt;
  const timeoutMs = remaining === undefined ? perTryTimeoutMs : Math.min(remaining, perTryTimeoutMs ?? remaining);
  if (timeoutMs !== undefined && timeoutMs <= 0) {
    backend.counters.timeouts++;
    return { kind: "answer", ...failureAnswer(outcome, "timeout") };
  }
  const cb = backend.breaker;
  if (cb.pending >= cb.limits.maxPendingRequests) return { kind: "answer", status: 503, body: countOverflow(env.metrics, outcome, backend, "pending") };
  return { kind: "attempt", view, sentAt, remaining, timeoutMs };
}
