// How traffic numbers read in tables: the same rounding in every command.

export const formatRps = (rps: number) => (rps >= 100 ? rps.toFixed(0) : rps >= 10 ? rps.toFixed(1) : rps.toFixed(2));
export const formatPercent = (value: number | null) => (value === null ? "-" : `${value.toFixed(value === 100 || value === 0 ? 0 : 2)}%`);
export const formatMs = (ms: number | null) => (ms === null ? "-" : ms >= 100 ? `${ms.toFixed(0)}ms` : `${ms.toFixed(1)}ms`);

/** `12s ago`, `3m ago`: how long before `now`. */
export function formatAge(at: Date | null, now: Date): string {
  if (!at) return "never";
  const seconds = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}

/** `23h`, `-2h` (expired): hours left, rounded. */
export const formatHoursLeft = (hours: number) => (Math.abs(hours) >= 48 ? `${Math.round(hours / 24)}d` : `${Math.round(hours)}h`);
