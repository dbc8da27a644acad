// The cluster/namespace filter and time range every page respects. They live
// in the URL's search params so a view is bookmarkable and shareable.

export const RANGES = ["5m", "15m", "1h", "6h", "24h", "custom"] as const;
export type RangeKey = (typeof RANGES)[number];

const RANGE_MS: Record<Exclude<RangeKey, "custom">, number> = {
  "5m": 5 * 60_000,
  "15m": 15 * 60_000,
  "1h": 60 * 60_000,
  "6h": 6 * 60 * 60_000,
  "24h": 24 * 60 * 60_000,
};

export const RANGE_LABELS: Record<RangeKey, string> = {
  "5m": "Last 5 minutes",
  "15m": "Last 15 minutes",
  "1h": "Last hour",
  "6h": "Last 6 hours",
  "24h": "Last 24 hours",
  custom: "Custom",
};

/** Short enough to be live: rates are over the time the data covers, so a short window reads what flows now. */
export const DEFAULT_RANGE: RangeKey = "15m";

/** The filters as the URL holds them. */
export interface ViewFilters {
  cluster: string | null;
  namespace: string | null;
  range: RangeKey;
  /** Custom range bounds (epoch ms); only with range "custom". */
  from: number | null;
  to: number | null;
}

/** The search params the filters own; everything else in the URL is left alone. */
export const FILTER_PARAMS = ["cluster", "ns", "range", "from", "to"] as const;

function parseTime(value: string | null): number | null {
  if (!value) return null;
  const asNumber = Number(value);
  const ms = Number.isFinite(asNumber) && /^\d+$/.test(value) ? asNumber : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** Reads the filters from search params; unknown or broken values fall back to defaults. */
export function parseFilters(params: Pick<URLSearchParams, "get">): ViewFilters {
  const rangeParam = params.get("range");
  let range: RangeKey = (RANGES as readonly string[]).includes(rangeParam ?? "") ? (rangeParam as RangeKey) : DEFAULT_RANGE;
  let from = parseTime(params.get("from"));
  let to = parseTime(params.get("to"));
  if (range === "custom" && (from === null || to === null || to <= from)) range = DEFAULT_RANGE;
  if (range !== "custom") from = to = null;
  const clean = (v: string | null) => (v && v.trim() ? v.trim() : null);
  return { cluster: clean(params.get("cluster")), namespace: clean(params.get("ns")), range, from, to };
}

/** Writes `filters` into a copy of `params`, dropping defaults so URLs stay short. */
export function writeFilters(params: URLSearchParams, filters: ViewFilters): URLSearchParams {
  const out = new URLSearchParams(params);
  for (const key of FILTER_PARAMS) out.delete(key);
  if (filters.cluster) out.set("cluster", filters.cluster);
  if (filters.namespace) out.set("ns", filters.namespace);
  if (filters.range !== DEFAULT_RANGE) out.set("range", filters.range);
  if (filters.range === "custom" && filters.from !== null && filters.to !== null) {
    out.set("from", new Date(filters.from).toISOString());
    out.set("to", new Date(filters.to).toISOString());
  }
  return out;
}

/** A link to `pathname` that keeps the current filters (navigation must not lose them). */
export function hrefWithFilters(pathname: string, current: Pick<URLSearchParams, "get">, extra: Record<string, string> = {}): string {
  const params = writeFilters(new URLSearchParams(), parseFilters(current));
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const query = params.toString();
  return query ? `${pathname}?${query}` : pathname;
}

/** A time window for queries. */
export interface TimeWindow {
  from: Date;
  to: Date;
  /** Seconds per chart point: a multiple of 60 giving about 60 to 120 points. */
  stepSeconds: number;
}

/** Chart step for a window: whole minutes, at most ~120 points. */
export function stepFor(spanMs: number): number {
  const minutes = Math.max(1, Math.ceil(spanMs / 60_000 / 120));
  return minutes * 60;
}

/**
 * The window the filters mean at `now`. Relative ranges end at the next whole
 * minute so a refresh within the same minute asks the same question (cache hits).
 */
export function timeWindow(filters: ViewFilters, now: number): TimeWindow {
  if (filters.range === "custom" && filters.from !== null && filters.to !== null) {
    return { from: new Date(filters.from), to: new Date(filters.to), stepSeconds: stepFor(filters.to - filters.from) };
  }
  const key = filters.range === "custom" ? "1h" : filters.range;
  const span = RANGE_MS[key];
  const to = Math.ceil(now / 60_000) * 60_000;
  return { from: new Date(to - span), to: new Date(to), stepSeconds: stepFor(span) };
}

/** For `<input type="datetime-local">`: local time without seconds. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
