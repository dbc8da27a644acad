/** Failures allowed per key and client address within a window. */
export interface AttemptLimit {
  maxFailuresPerClient: number;
  windowMs: number;
}

/**
 * Counts failed attempts per key + client address in a sliding window, in
 * memory (per replica): the agents' join-token attempts. Sign-ins use the
 * database-backed backoff in login-throttle.ts instead.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly policy: AttemptLimit,
    private readonly now: () => number = Date.now,
  ) {}

  private key(username: string, ip: string): string {
    return `${username.toLowerCase()}\u0000${ip}`;
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.policy.windowMs;
    const kept = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (kept.length > 0) this.failures.set(key, kept);
    else this.failures.delete(key);
    return kept;
  }

  /** True when this client may try this username again. */
  allowed(username: string, ip: string): boolean {
    return this.recent(this.key(username, ip)).length < this.policy.maxFailuresPerClient;
  }

  recordFailure(username: string, ip: string): void {
    const key = this.key(username, ip);
    this.failures.set(key, [...this.recent(key), this.now()]);
    // Bound memory under a spray of usernames: drop the oldest keys.
    if (this.failures.size > 100_000) for (const k of [...this.failures.keys()].slice(0, 10_000)) this.failures.delete(k);
  }

  reset(username: string, ip: string): void {
    this.failures.delete(this.key(username, ip));
  }
}
