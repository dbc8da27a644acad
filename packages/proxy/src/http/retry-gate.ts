// The retry gate of one request: whether another attempt may go out (the
// rule's attempt limit, the time left, the breaker's maxRetries, the
// backend's retry budget), counted and flagged the way Envoy does. It holds
// the breaker's retry slot while a retry is in flight.
import type { RandomSource, RetryPolicy } from "@weft/mesh-model/proxy-config";
import { ResponseFlag, type ResponseFlagCode } from "../core/response-flags.ts";
import type { ProxyMetrics } from "../observability/metrics.ts";
import type { BackendRuntime } from "../upstream/backend-runtime.ts";
import { backoffDelayMs, isRetriableFailure, isRetriableStatus, type AttemptFailure } from "../upstream/retry.ts";

export class RetryGate {
  /** Attempts started so far (a free reconnect does not count). */
  attempt = 0;
  /** The body can be sent again (none, or buffered); known once the body has been read. */
  replayable = true;
  private held = false;
  /** A backoff was cut at the request deadline: no attempt may follow it. */
  private deadlineReached = false;

  constructor(
    private readonly backend: BackendRuntime,
    private readonly retry: RetryPolicy | undefined,
    /** Epoch ms after which no attempt starts; undefined without a request timeout. */
    private readonly deadline: number | undefined,
    private readonly metrics: ProxyMetrics,
    private readonly now: () => number,
    private readonly flags: ResponseFlagCode[],
  ) {}

  /** Whether a failed attempt is of a kind the rule retries. */
  retriesFailure(failure: AttemptFailure): boolean {
    return this.retry !== undefined && isRetriableFailure(failure, this.retry);
  }

  /** Whether a response (status, and gRPC status when known) is one the rule retries. */
  retriesResponse(status: number, grpcCode: number | undefined): boolean {
    const retry = this.retry;
    return retry !== undefined && (isRetriableStatus(status, retry) || (grpcCode !== undefined && retry.grpcStatusCodes.includes(grpcCode)));
  }

  /**
   * True (and counted) when one more attempt is allowed; flags URX when not.
   * `unsent`: the failed attempt wrote nothing of the request and its body is
   * still unread downstream (a connect failure on the fast path), so the next
   * attempt can send it whole even though it was never buffered.
   */
  mayRetry(unsent = false): boolean {
    const { retry, backend } = this;
    const cb = backend.breaker;
    const maxAttempts = retry?.maxAttempts ?? 1;
    if (!retry || !(this.replayable || unsent) || maxAttempts <= 1) return false;
    // Out of time: the deadline stopped it, not the retry limit; the caller answers 504 UT (no URX).
    if (this.timedOut()) return false;
    if (this.attempt >= maxAttempts) {
      this.flags.push(ResponseFlag.RetryLimitExceeded);
      return false;
    }
    if (!this.held && cb.retries >= cb.limits.maxRetries) {
      backend.counters.overflowRetries++;
      this.metrics.breakerOverflow.inc({ destination_service: backend.spec.service, limit: "retries" });
      this.flags.push(ResponseFlag.RetryLimitExceeded);
      return false;
    }
    if (!backend.budget.tryRetry()) {
      backend.counters.retryBudgetExhausted++;
      this.metrics.budgetExhausted.inc({ destination_service: backend.spec.service });
      this.flags.push(ResponseFlag.RetryLimitExceeded);
      return false;
    }
    backend.counters.retries++;
    this.metrics.retries.inc({ destination_service: backend.spec.service });
    if (!this.held) {
      this.held = true;
      cb.retries++;
    }
    return true;
  }

  /** The request's deadline has passed. */
  timedOut(): boolean {
    return this.deadlineReached || (this.deadline !== undefined && this.now() >= this.deadline);
  }

  /** Waits the backoff before the next attempt, never past the request's deadline. */
  backoff(random: RandomSource): Promise<void> {
    let ms = this.retry ? backoffDelayMs(this.attempt, this.retry.backoff, random) : 0;
    if (this.deadline !== undefined) {
      const left = Math.max(0, this.deadline - this.now());
      // Cut at the deadline: the request is out of time when it wakes, even if
      // the timer fires a millisecond before the wall clock reaches the deadline.
      if (ms >= left) {
        ms = left;
        this.deadlineReached = true;
      }
    }
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** The retry (if one is in flight) has its answer: its breaker slot is free again. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.backend.breaker.retries--;
  }
}
