// Which rollups answer a time range: hourly rows (ServiceHour) for the hours
// the downsampler has completed, minute rows (EdgeMinute) for the rest. A
// pure function of the range and the downsampling watermark, so reads never
// count a minute twice or skip one the minute rollups still hold.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export interface RollupSegment {
  table: "minute" | "hour";
  from: number;
  to: number;
}

const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;

/**
 * Splits [from, to) into segments: hours wholly inside the range and before
 * `watermark` (every hour before it is downsampled) are read from the hourly
 * rollups, everything else from the minute rollups. `watermark` null: no
 * hour is downsampled yet. Minutes older than the minute retention are gone;
 * a segment over them simply returns nothing.
 */
export function planRollupReads(from: number, to: number, watermark: number | null): RollupSegment[] {
  if (to <= from) return [];
  const hoursFrom = ceilTo(from, HOUR_MS);
  const hoursTo = Math.min(watermark ?? -Infinity, Math.floor(to / HOUR_MS) * HOUR_MS);
  if (hoursTo <= hoursFrom) return [{ table: "minute", from, to }];
  const out: RollupSegment[] = [];
  if (from < hoursFrom) out.push({ table: "minute", from, to: hoursFrom });
  out.push({ table: "hour", from: hoursFrom, to: hoursTo });
  if (hoursTo < to) out.push({ table: "minute", from: hoursTo, to });
  return out;
}

/**
 * The next hours the downsampler may complete at `now`: from the watermark
 * (or the first minute stored) up to the last hour that ended at least
 * `graceMs` ago, at most `maxHours` of them. Late minutes beyond the grace
 * would be missed: agents drop deltas older than 10 minutes, the default
 * grace is 15.
 */
export function hoursToDownsample(watermark: number | null, firstMinute: number | null, now: number, graceMs: number, maxHours: number): { from: number; to: number } | null {
  const start = watermark ?? (firstMinute === null ? null : Math.floor(firstMinute / HOUR_MS) * HOUR_MS);
  const limit = Math.floor((now - graceMs) / HOUR_MS) * HOUR_MS;
  if (start === null) return limit > 0 ? { from: limit, to: limit } : null;
  const to = Math.min(limit, start + maxHours * HOUR_MS);
  return to > start ? { from: start, to } : { from: start, to: start };
}
