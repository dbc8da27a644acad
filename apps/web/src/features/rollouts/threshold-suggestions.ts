// Analysis thresholds pre-filled from the stable version's last hour: the
// wizard proposes limits the stable version itself meets with room to
// spare, and says what they were derived from.

/** The stable version's traffic over the baseline window (all clusters of the rollout). */
export interface StableBaseline {
  version: string;
  windowMinutes: number;
  requests: number;
  errors: number;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface ThresholdSuggestion {
  successRateMin: number;
  p99MaxMs: number | null;
  /** One line for the wizard: where the numbers come from. */
  explanation: string;
  /** The baseline had too few requests to mean much. */
  weak: boolean;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Success rate: the canary may fail twice as often as stable, and at least
 * half a point more (so a perfect stable does not demand perfection); never
 * below 90 %. p99: 1.5× stable's, at least 20 ms more, rounded up to 10 ms.
 * Without traffic there is nothing to derive: the defaults stay (99 %, no
 * latency check) and the explanation says so.
 */
export function suggestThresholds(baseline: StableBaseline | null): ThresholdSuggestion {
  if (!baseline || baseline.requests === 0)
    return { successRateMin: 99, p99MaxMs: null, explanation: `no traffic to ${baseline?.version ?? "the stable version"} in the last hour: defaults (success ≥ 99 %)`, weak: true };
  const errorPercent = (baseline.errors / baseline.requests) * 100;
  const allowed = Math.max(errorPercent * 2, errorPercent + 0.5);
  const successRateMin = Math.max(90, Math.floor((100 - allowed) * 10) / 10);
  const p99MaxMs = baseline.p99Ms === null ? null : Math.ceil(Math.max(baseline.p99Ms * 1.5, baseline.p99Ms + 20) / 10) * 10;
  const weak = baseline.requests < 50;
  const p99Text = baseline.p99Ms === null ? "no latency samples" : `p99 ${round1(baseline.p99Ms)} ms`;
  return {
    successRateMin,
    p99MaxMs,
    weak,
    explanation: `pre-filled from the last ${baseline.windowMinutes} min of ${baseline.version}: ${baseline.requests} requests, ${round1(100 - errorPercent)} % success, ${p99Text}${weak ? " (few requests: check these by hand)" : ""}`,
  };
}
