// Windows of SLOs and their alerts: whole minutes, hours or days ("5m",
// "6h", "3d"), the OpenSLO duration shorthand without weeks, months and
// years. Resource durations (common/duration.ts) stop at Node's 24-day
// timer limit and have no days; SLO windows are never timers and reach 30d.
import { z } from "zod";

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const WINDOW = /^([1-9][0-9]{0,4})(m|h|d)$/;

/** The longest window anything in an SLO may have. */
export const MAX_SLO_WINDOW_MS = 30 * UNIT_MS.d;

/** Milliseconds of a window like "5m", "6h" or "3d"; `undefined` when the text is not one. */
export function parseSloWindow(text: string): number | undefined {
  const match = WINDOW.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Milliseconds of a window already validated by {@link SloWindowSchema}. */
export function sloWindowMs(text: string): number {
  const ms = parseSloWindow(text);
  if (ms === undefined) throw new RangeError(`invalid SLO window "${text}"`);
  return ms;
}

/** A whole number of minutes as a window, in the largest unit that divides it (259200000 → "3d", 5400000 → "90m"). */
export function formatSloWindow(ms: number): string {
  if (ms % UNIT_MS.d === 0) return `${ms / UNIT_MS.d}d`;
  if (ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  return `${Math.round(ms / UNIT_MS.m)}m`;
}

/** A window as written in an SLO: a whole number of minutes (`m`), hours (`h`) or days (`d`), at most 30 days. */
export const SloWindowSchema = z
  .string()
  .refine((text) => parseSloWindow(text) !== undefined, {
    message: 'must be a whole number of minutes, hours or days, like "5m", "6h" or "3d"',
    params: { code: "invalid_window" },
  })
  .refine((text) => (parseSloWindow(text) ?? 0) <= MAX_SLO_WINDOW_MS, { message: "must be at most 30d", params: { code: "window_out_of_range" } });
