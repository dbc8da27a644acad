import { stringify } from "yaml";

/** `-o`: a table (the default), a table with every column, or the documents as JSON or YAML. */
export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A table column: `wide` columns show only with `-o wide`. */
export interface Column<T> {
  header: string;
  value(item: T): string;
  wide?: boolean;
}

/** A table with aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("   ").trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/**
 * Dates become ISO strings and bigints numbers (strings past 2^53), so JSON
 * and YAML print what the API sent rather than failing on a bigint.
 */
export function toPlain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toPlain(v)]));
  return value;
}

/** A document as JSON or YAML text. */
export function renderDocument(format: "json" | "yaml", value: unknown): string {
  const plain = toPlain(value);
  return format === "json" ? `${JSON.stringify(plain, null, 2)}\n` : stringify(plain);
}

/**
 * A list in the chosen format: rows for `table`/`wide`, else `document`
 * (the items themselves unless the command has a better document to show).
 */
export function renderList<T>(format: OutputFormat, items: readonly T[], columns: readonly Column<T>[], options: { empty?: string; document?: unknown } = {}): string {
  if (format === "json" || format === "yaml") return renderDocument(format, options.document ?? items);
  if (items.length === 0) return `${options.empty ?? "nothing found"}\n`;
  const shown = columns.filter((c) => format === "wide" || !c.wide);
  return table(
    shown.map((c) => c.header),
    items.map((item) => shown.map((c) => c.value(item))),
  );
}
