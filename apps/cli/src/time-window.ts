import { formatDuration, parseDuration } from "@weft/mesh-model";
import { UsageError } from "./context.ts";

/** The traffic window of `stat`, `edges` and `top`: the last `--window`, or `--from`/`--to`. */
export interface WindowOptions {
  window?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export const DEFAULT_WINDOW = "5m";

function instant(text: string, flag: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} must be a time like 2026-01-02T15:04:05Z, not "${text}"`);
  return date;
}

/** [from, to) for the options at `now`; the manager rounds both out to whole minutes. */
export function resolveWindow(options: WindowOptions, now: Date): { from: Date; to: Date; label: string } {
  if (options.from || options.to) {
    if (options.window) throw new UsageError("give --window, or --from and --to, not both");
    if (!options.from) throw new UsageError("--to needs --from");
    const from = instant(options.from, "--from");
    const to = options.to ? instant(options.to, "--to") : now;
    if (to <= from) throw new UsageError("--to must be after --from");
    return { from, to, label: `${from.toISOString()} … ${to.toISOString()}` };
  }
  const text = options.window ?? DEFAULT_WINDOW;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 60_000) throw new UsageError(`--window must be a duration of at least 1m (like 5m or 1h), not "${text}"`);
  return { from: new Date(now.getTime() - ms), to: now, label: `last ${formatDuration(ms)}` };
}
