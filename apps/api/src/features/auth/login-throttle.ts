// Sign-in throttling as a pure decision. Failures are counted per source
// address, per account (known or not, so the answer never tells which exist)
// and per account-and-source; past a few free failures each counter imposes a
// delay that doubles with every further failure, up to a ceiling, and is
// forgotten after a quiet window. Nothing locks: the worst anyone can do to
// someone else's account is slow down sign-ins to it from addresses that have
// never signed in to it — the account-wide delay spares a source that signed
// in to the account before, so its owner is not locked out by strangers.
// Attempts refused while delayed are not counted, so hammering does not
// lengthen the wait.

/** How one counter turns failures into a delay. */
export interface BackoffRule {
  /** Failures allowed before any delay. */
  freeFailures: number;
  /** Delay after the first failure beyond the free ones; doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface LoginPolicy {
  /** A counter whose last failure is older than this starts again from zero. */
  windowMs: number;
  /** Every failure from one address, whatever the username (password spraying). */
  source: BackoffRule;
  /** Every failure for one username from addresses not known to it (distributed guessing). */
  account: BackoffRule;
  /** Failures for one username from one address (guessing one password). */
  pair: BackoffRule;
  /** How long a source that signed in to an account stays known to it. */
  knownSourceMs: number;
}

export const DEFAULT_LOGIN_POLICY: LoginPolicy = {
  windowMs: 15 * 60_000,
  source: { freeFailures: 20, baseDelayMs: 1_000, maxDelayMs: 15 * 60_000 },
  account: { freeFailures: 10, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 },
  pair: { freeFailures: 5, baseDelayMs: 1_000, maxDelayMs: 15 * 60_000 },
  knownSourceMs: 30 * 86_400_000,
};

/** A stored counter. */
export interface FailureCount {
  failures: number;
  lastFailureAt: Date | null;
}

/** What the throttle knows about one attempt's account, source and pair. */
export interface LoginThrottleState {
  source: FailureCount;
  account: FailureCount;
  pair: FailureCount;
  /** When this source last signed in to this account (null: never). */
  knownSourceAt: Date | null;
}

export type LoginDecision = { allowed: true } | { allowed: false; retryAfterMs: number; limitedBy: "source" | "account" | "pair" };

/** The delay a number of consecutive failures earns under a rule (0 while free). */
export function backoffDelayMs(failures: number, rule: BackoffRule): number {
  if (failures < rule.freeFailures) return 0;
  return Math.min(rule.maxDelayMs, rule.baseDelayMs * 2 ** Math.min(failures - rule.freeFailures, 40));
}

/** May this attempt go ahead now, and if not, for how long must it wait. */
export function decideLogin(state: LoginThrottleState, policy: LoginPolicy, now: Date): LoginDecision {
  const known = state.knownSourceAt !== null && now.getTime() - state.knownSourceAt.getTime() <= policy.knownSourceMs;
  const checks: ["source" | "account" | "pair", FailureCount, BackoffRule][] = [
    ["pair", state.pair, policy.pair],
    ["source", state.source, policy.source],
  ];
  if (!known) checks.push(["account", state.account, policy.account]);
  let worst: LoginDecision = { allowed: true };
  for (const [limitedBy, count, rule] of checks) {
    if (count.lastFailureAt === null) continue;
    const since = now.getTime() - count.lastFailureAt.getTime();
    if (since > policy.windowMs) continue;
    const wait = backoffDelayMs(count.failures, rule) - since;
    if (wait > 0 && (worst.allowed || wait > worst.retryAfterMs)) worst = { allowed: false, retryAfterMs: wait, limitedBy };
  }
  return worst;
}

/** The counter keys of one attempt (usernames compared case-insensitively). */
export function throttleKeys(username: string, ip: string): { source: string; account: string; pair: string; known: string } {
  const user = username.toLowerCase();
  return { source: `source:${ip}`, account: `account:${user}`, pair: `pair:${user}|${ip}`, known: `known:${user}|${ip}` };
}
