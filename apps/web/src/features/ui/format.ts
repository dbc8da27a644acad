/** Requests per second, short: "0", "0.42/s", "12/s", "1.2k/s". */
export function formatRate(rps: number | null | undefined): string {
  if (rps === null || rps === undefined || !Number.isFinite(rps) || rps <= 0) return "0/s";
  if (rps < 0.01) return "<0.01/s";
  if (rps < 10) return `${rps.toFixed(2)}/s`;
  if (rps < 1_000) return `${Math.round(rps)}/s`;
  return `${(rps / 1_000).toFixed(1)}k/s`;
}

/** A percentage with one decimal below 10: "0%", "0.5%", "12%". */
export function formatPercent(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return "n/a";
  if (p === 0) return "0%";
  if (p < 0.1) return "<0.1%";
  if (p < 10) return `${p.toFixed(1)}%`;
  return `${Math.round(p)}%`;
}

/**
 * A success share, for which the last digits are the news: never rounded up to
 * "100%" while anything failed (99.7 % is three failures in a thousand), two
 * decimals from 99 % up, truncated rather than rounded.
 */
export function formatSuccessPercent(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return "n/a";
  if (p >= 100) return "100%";
  if (p >= 99) return `${(Math.floor(p * 100) / 100).toFixed(2)}%`;
  if (p >= 10) return `${(Math.floor(p * 10) / 10).toFixed(1)}%`;
  return formatPercent(p);
}

/** Milliseconds: "n/a", "<1 ms", "4.2 ms", "120 ms", "1.50 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "n/a";
  if (ms < 1) return "<1 ms";
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1_000).toFixed(2)} s`;
}

/** "3 min ago", "2 h ago", "just now"; future times as "in 5 min". */
export function formatRelative(at: Date | number | null | undefined, now: number): string {
  if (at === null || at === undefined) return "never";
  const t = typeof at === "number" ? at : at.getTime();
  const diff = now - t;
  const abs = Math.abs(diff);
  const suffix = (s: string) => (diff >= 0 ? `${s} ago` : `in ${s}`);
  if (abs < 45_000) return "just now";
  if (abs < 3_600_000) return suffix(`${Math.round(abs / 60_000)} min`);
  if (abs < 86_400_000) return suffix(`${Math.round(abs / 3_600_000)} h`);
  return suffix(`${Math.round(abs / 86_400_000)} d`);
}

/** A date and time in the browser's locale, to the second. */
export function formatDateTime(at: Date | number | null | undefined): string {
  if (at === null || at === undefined) return "—";
  return new Date(at).toLocaleString(undefined, { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
