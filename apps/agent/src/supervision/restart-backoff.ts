// When to restart a proxy that exited: exponential, capped, jittered, and
// forgiven once the proxy has run long enough to count as stable.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** ± this fraction of the delay, so proxies that died together do not restart in lockstep. */
  jitter: number;
  /** A run at least this long resets the attempt count. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 30_000, multiplier: 2, jitter: 0.2, stableAfterMs: 60_000 };

/** Delay before restart number `attempt` (1-based). `random` returns [0, 1). */
export function restartDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** Math.max(0, attempt - 1));
  const jittered = base * (1 + policy.jitter * (2 * random() - 1));
  return Math.round(Math.min(policy.maxMs, Math.max(0, jittered)));
}

/** The attempt number after a run of `uptimeMs`: 1 again after a stable run, else one more. */
export function nextAttempt(previous: number, uptimeMs: number, policy: BackoffPolicy): number {
  return uptimeMs >= policy.stableAfterMs ? 1 : previous + 1;
}
