// An audit event's details for people: nested objects flattened to
// `path: value` lines (the same paths the editor uses), long values cut,
// instead of a line of raw JSON that widens the page.

export interface DetailLine {
  path: string;
  value: string;
}

const MAX_LINES = 12;
const MAX_VALUE = 120;

function text(value: unknown): string {
  const s = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

/** The details as lines, depth-first; arrays of scalars stay on one line; at most MAX_LINES (the last says how many more). */
export function detailLines(details: Readonly<Record<string, unknown>>): DetailLine[] {
  const lines: DetailLine[] = [];
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === "object" && !(Array.isArray(value) && value.every((v) => v === null || typeof v !== "object"))) {
      const entries = Array.isArray(value) ? value.map((v, i) => [`${path}[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [path ? `${path}.${k}` : k, v] as const);
      for (const [p, v] of entries) walk(v, p);
      return;
    }
    lines.push({ path, value: Array.isArray(value) ? value.map(text).join(", ") : text(value) });
  };
  walk(details, "");
  if (lines.length <= MAX_LINES) return lines;
  return [...lines.slice(0, MAX_LINES - 1), { path: "…", value: `${lines.length - (MAX_LINES - 1)} more` }];
}
