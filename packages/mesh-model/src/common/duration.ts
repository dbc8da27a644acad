import { z } from "zod";

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ["h", "m", "s", "ms"];
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

/** The longest duration Weft accepts (about 24.8 days, Node's timer limit). */
export const MAX_DURATION_MS = 2_147_483_647;

/**
 * Parses a Go / Gateway API style duration (`"10s"`, `"250ms"`, `"1m30s"`,
 * `"1.5s"`, `"0"`) into whole milliseconds. Units are `h`, `m`, `s`, `ms`, each
 * at most once and from largest to smallest. Returns `undefined` when the text
 * is not a valid duration.
 */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (text.length === 0) return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let lastUnit = -1;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) return undefined;
    const unit = match[2] as Unit;
    const order = UNIT_ORDER.indexOf(unit);
    if (order <= lastUnit) return undefined;
    lastUnit = order;
    total += Number(match[1]) * UNIT_MS[unit];
  }
  // Floating point: 1.001s is 1000.9999999999999 ms before rounding.
  const rounded = Math.round(total * 1000) / 1000;
  if (!Number.isInteger(rounded) || rounded > MAX_DURATION_MS) return undefined;
  return rounded;
}

/** Formats milliseconds as the shortest canonical duration string (`90000` → `"1m30s"`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}

const DURATION_MESSAGE =
  'must be a duration like "250ms", "10s", "1m30s" or "1h" (units h, m, s, ms, largest first, whole milliseconds, at most 24 days)';

/**
 * A duration as written in a resource (`"10s"`). The document keeps the text
 * the operator wrote — round-trips and revision diffs stay readable, and the
 * schema stays representable as JSON Schema for docs and forms (zod transforms
 * are not). Use {@link durationMs} or {@link DurationMsSchema} for the value.
 */
export const DurationSchema = z.string().refine((text) => parseDuration(text) !== undefined, {
  message: DURATION_MESSAGE,
  params: { code: "invalid_duration" },
});

/** A duration string that parses to milliseconds (`"1m"` → `60000`). */
export const DurationMsSchema = DurationSchema.transform((text) => parseDuration(text) ?? 0);

/** A duration with bounds, e.g. `boundedDuration({ minMs: 50 })` for token bucket fill intervals. */
export function boundedDuration(bounds: { minMs?: number; maxMs?: number }) {
  const { minMs, maxMs } = bounds;
  return DurationSchema.refine(
    (text) => {
      const ms = parseDuration(text);
      return ms === undefined || ((minMs === undefined || ms >= minMs) && (maxMs === undefined || ms <= maxMs));
    },
    {
      message: `must be ${[minMs !== undefined ? `at least ${formatDuration(minMs)}` : "", maxMs !== undefined ? `at most ${formatDuration(maxMs)}` : ""].filter(Boolean).join(" and ")}`,
      params: { code: "duration_out_of_range" },
    },
  );
}

/** Milliseconds of a duration already validated by {@link DurationSchema}. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new RangeError(`invalid duration "${text}"`);
  return ms;
}
