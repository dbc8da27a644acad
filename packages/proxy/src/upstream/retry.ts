// Retry decisions, backoff and the retry budget.
import type { RetryBudget as RetryBudgetSpec, RetryPolicy } from "@weft/mesh-model/proxy-config";
import type { RandomSource } from "@weft/mesh-model/proxy-config";

/** Why an attempt failed without a usable response. */
export type AttemptFailure = "connect-failure" | "refused-stream" | "reset" | "timeout" | "peer-identity";

/** Whether a response status should be retried under `policy`. */
export function isRetriableStatus(status: number, policy: RetryPolicy): boolean {
  if (policy.statusCodes.includes(status)) return true;
  if (policy.retryOn.includes("5xx") && status >= 500 && status <= 599) return true;
  return policy.retryOn.includes("gateway-error") && (status === 502 || status === 503 || status === 504);
}

/**
 * Whether a failed attempt should be retried. As in Envoy, "5xx" covers every
 * failure; a per-try timeout counts as a 504, so "gateway-error" covers it.
 */
export function isRetriableFailure(failure: AttemptFailure, policy: RetryPolicy): boolean {
  const on = policy.retryOn;
  if (on.includes("5xx")) return true;
  switch (failure) {
    case "connect-failure":
      return on.includes("connect-failure") || on.includes("gateway-error");
    case "refused-stream":
      // A refused stream is a reset the upstream promises it did not act on (RFC 9113 §8.7), as Envoy's retry_on.
      return on.includes("refused-stream") || on.includes("reset");
    case "reset":
      return on.includes("reset");
    case "timeout":
      return on.includes("gateway-error") || policy.statusCodes.includes(504);
    case "peer-identity":
      // Another attempt would meet the same certificate: a refused identity is a configuration problem.
      return false;
  }
}

/**
 * Whether `policy` may send a request's body a second time: it retries some
 * failure or answer that comes after the request was written. A policy that
 * retries only connect failures and refused streams (the compiler's default)
 * never does: its retry goes out only while the body is unsent (or was
 * buffered anyway), so the body need not be buffered and may stream on the
 * fast path.
 */
export function replaysSentRequests(policy: RetryPolicy | undefined): boolean {
  if (policy === undefined || policy.maxAttempts <= 1) return false;
  return policy.retryOn.some((c) => c !== "connect-failure" && c !== "refused-stream") || policy.statusCodes.length > 0 || policy.grpcStatusCodes.length > 0;
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(retry-1))). */
export function backoffDelayMs(retry: number, backoff: RetryPolicy["backoff"], random: RandomSource): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * A retry budget (Finagle / Linkerd style): over a sliding window, retries
 * may add at most `ratio` of the requests, plus a floor of
 * `minRetriesPerSecond` so low-traffic services can still retry.
 */
export class RetryBudget {
  private readonly slotMs: number;
  private readonly slots: { start: number; requests: number; retries: number }[] = [];

  constructor(
    readonly spec: RetryBudgetSpec,
    private readonly now: () => number = Date.now,
  ) {
    this.slotMs = Math.max(1, Math.floor(spec.windowMs / 10));
  }

  private current() {
    const t = this.now();
    const start = t - (t % this.slotMs);
    const horizon = t - this.spec.windowMs;
    while (this.slots.length > 0 && (this.slots[0]?.start ?? 0) + this.slotMs <= horizon) this.slots.shift();
    let slot = this.slots.at(-1);
    if (!slot || slot.start !== start) {
      slot = { start, requests: 0, retries: 0 };
      this.slots.push(slot);
    }
    return slot;
  }

  /** Counts one original request (not a retry). */
  recordRequest(): void {
    this.current().requests++;
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  tryRetry(): boolean {
    const slot = this.current();
    let requests = 0;
    let retries = 0;
    for (const s of this.slots) {
      requests += s.requests;
      retries += s.retries;
    }
    const allowed = this.spec.ratio * requests + (this.spec.minRetriesPerSecond * this.spec.windowMs) / 1000;
    if (retries + 1 > allowed) return false;
    slot.retries++;
    return true;
  }
}
