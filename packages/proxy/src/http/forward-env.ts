// What the request path needs from the proxy around it, and the plan routing
// hands to the forwarder.
import type { OutgoingHttpHeaders } from "node:http";
import type { FaultInjection, HeaderModifier, RandomSource, RequestMirror, RetryPolicy } from "@weft/mesh-model/proxy-config";
import type { Outcome } from "../core/outcome.ts";
import type { RequestHead } from "../core/request-head.ts";
import type { ProxyMetrics } from "../observability/metrics.ts";
import type { RateLimitDecision } from "../security/rate-limit.ts";
import type { BackendRuntime } from "../upstream/backend-runtime.ts";
import type { Snapshot } from "./snapshot.ts";

/** What the forwarder needs from the proxy around it. */
export interface ForwardEnv {
  snapshot: Snapshot;
  metrics: ProxyMetrics;
  random: RandomSource;
  now: () => number;
  /** True while the listener drains: responses ask the client to close. */
  draining: () => boolean;
  /** Rate limits of this listener, when it has any. */
  rateLimit?: ((req: RequestHead, outcome: Outcome) => RateLimitDecision | Promise<RateLimitDecision>) | undefined;
}

/** What routing decided: answer locally, or forward with a plan. */
export type Resolution =
  | { kind: "local"; status: number; body: string; extra?: OutgoingHttpHeaders; close?: boolean }
  | { kind: "forward"; plan: ForwardPlan };

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

