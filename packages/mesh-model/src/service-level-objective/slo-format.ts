// How SLO numbers are written for people (reasons, titles, notifications),
// in one place so the evaluator, the gate and the dashboard say the same.

/** A burn rate with useful precision: 16.2, 0.43, 1000. */
export function formatBurnRate(rate: number): string {
  if (!Number.isFinite(rate)) return String(rate);
  if (rate >= 100) return rate.toFixed(0);
  if (rate >= 10) return Number(rate.toFixed(1)).toString();
  return Number(rate.toPrecision(2)).toString();
}

/** A share 0–1 as a percentage: 0.9993 → "99.93 %". */
export function formatPercent(share: number, digits = 2): string {
  return `${(share * 100).toFixed(digits)} %`;
}

/** A duration in the largest sensible unit: "3d 4h", "2h 10m", "45s". */
export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}
