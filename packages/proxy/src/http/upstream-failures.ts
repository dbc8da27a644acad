// What an upstream failure turns into, the same on both paths: the answer
// and its flag, the backend's counters and outlier detection, and the
// circuit-breaker overflow accounting.
import type { Outcome } from "../core/outcome.ts";
import { ResponseFlag, type ResponseFlagCode } from "../core/response-flags.ts";
import type { ProxyMetrics } from "../observability/metrics.ts";
import type { BackendRuntime } from "../upstream/backend-runtime.ts";
import type { EndpointView } from "../upstream/load-balancer.ts";
import type { AttemptFailure } from "../upstream/retry.ts";

const FAILURE_RESPONSE: Record<AttemptFailure, { status: number; flag: ResponseFlagCode; text: string }> = {
  "connect-failure": { status: 503, flag: ResponseFlag.UpstreamConnectFailure, text: "upstream connect failure" },
  "refused-stream": { status: 503, flag: ResponseFlag.UpstreamRefusedStream, text: "upstream refused the stream (not processed)" },
  reset: { status: 502, flag: ResponseFlag.UpstreamReset, text: "upstream reset before response" },
  timeout: { status: 504, flag: ResponseFlag.UpstreamTimeout, text: "upstream timeout" },
  "peer-identity": { status: 503, flag: ResponseFlag.UpstreamPeerIdentity, text: "upstream identity refused" },
};

/** The answer to a failure that is not retried (502 UR, 503 UF / URS / UPE, 504 UT); its flag goes first on the outcome. */
export function failureAnswer(outcome: Outcome, failure: AttemptFailure): { status: number; body: string } {
  const mapped = FAILURE_RESPONSE[failure];
  outcome.flags.unshift(mapped.flag);
  return { status: mapped.status, body: `${mapped.text}\n` };
}

/** Outlier detection, the backend's counters and the refused-stream metric for a failed attempt. */
export function countFailure(metrics: ProxyMetrics, backend: BackendRuntime, view: EndpointView, failure: AttemptFailure): void {
  if (failure !== "peer-identity") backend.outlier?.record(view, undefined);
  if (failure === "connect-failure" || failure === "peer-identity") backend.counters.connectFailures++;
  else if (failure === "timeout") backend.counters.timeouts++;
  else if (failure === "refused-stream") {
    backend.counters.refusedStreams++;
    metrics.refusedStreams.inc({ destination_service: backend.spec.service });
  }
  else backend.counters.resets++;
}

/** A circuit-breaker limit was reached: counted and flagged UO; returns the 503's body. */
export function countOverflow(metrics: ProxyMetrics, outcome: Outcome, backend: BackendRuntime, limit: "requests" | "pending"): string {
  if (limit === "requests") backend.counters.overflowRequests++;
  else backend.counters.overflowPending++;
  metrics.breakerOverflow.inc({ destination_service: backend.spec.service, limit });
  outcome.flags.push(ResponseFlag.UpstreamOverflow);
  return `upstream overflow (circuit breaker: max ${limit})\n`;
}
