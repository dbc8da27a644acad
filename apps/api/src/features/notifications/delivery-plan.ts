// Pure decisions of notification delivery: which channels an event goes
// to, how an attempt's answer is judged, and when the next attempt is due.
import type { NotificationEvent } from "./notifier.ts";

/** A channel's routing, as stored. */
export interface ChannelRouting {
  enabled: boolean;
  /** Empty: every severity. */
  severities: readonly string[];
  /** Empty: every namespace, and mesh-wide events. */
  namespaces: readonly string[];
}

/** True when the channel takes the event: enabled, its severity routed, and its namespace (mesh-wide events only go to channels without a namespace filter). */
export function routes(channel: ChannelRouting, event: Pick<NotificationEvent, "severity" | "namespace">): boolean {
  if (!channel.enabled) return false;
  if (channel.severities.length > 0 && !channel.severities.includes(event.severity)) return false;
  if (channel.namespaces.length === 0) return true;
  return event.namespace !== null && channel.namespaces.includes(event.namespace);
}

/** How one attempt went. */
export type AttemptOutcome = { ok: true; status: number } | { ok: false; retryable: boolean; status: number | null; error: string };

/**
 * Judges a receiver's answer: 2xx delivered; 408, 425, 429 and 5xx (and no
 * answer at all) are worth retrying; any other 4xx will fail the same way
 * again (a bad URL, a revoked token), so the delivery goes to the dead letter at once.
 */
export function judgeStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
  return { ok: false, retryable, status, error: `the receiver answered ${status}` };
}

/** Backoff before attempt `attempt + 1` after `attempt` failures: base × 2^(attempt−1), capped. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export interface RetryPolicy {
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseBackoffMs: 2_000, maxBackoffMs: 10 * 60_000 };

/** Where a delivery stands after an attempt (`attempts` already counts it). */
export function afterAttempt(
  attempts: number,
  maxAttempts: number,
  outcome: AttemptOutcome,
  now: number,
  policy: RetryPolicy,
): { status: "DELIVERED" } | { status: "PENDING"; nextAttemptAt: number } | { status: "DEAD"; reason: string } {
  if (outcome.ok) return { status: "DELIVERED" };
  if (!outcome.retryable) return { status: "DEAD", reason: `${outcome.error}; not retried (the same request would fail again)` };
  if (attempts >= maxAttempts) return { status: "DEAD", reason: `${outcome.error}; gave up after ${attempts} attempts` };
  return { status: "PENDING", nextAttemptAt: now + backoffMs(attempts, policy.baseBackoffMs, policy.maxBackoffMs) };
}
