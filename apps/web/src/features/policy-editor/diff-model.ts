// View models of the manager's two diffs of a change: the path-addressed
// structured diff (mesh-model DiffEntry) and the unified text diff of the YAML.

export type DiffEntryLike =
  | { op: "add"; path: string; value: unknown }
  | { op: "remove"; path: string; value: unknown }
  | { op: "replace"; path: string; from: unknown; to: unknown };

export interface StructuredDiffRow {
  op: "add" | "remove" | "replace";
  /** The field; "(whole resource)" for the root. */
  path: string;
  before: string;
  after: string;
}

/** A short one-line rendering of a value: scalars as YAML would print them, containers as compact JSON. */
export function formatValue(value: unknown, max = 120): string {
  if (value === undefined) return "";
  if (value === null) return "null";
  if (typeof value === "string") return value === "" ? '""' : value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  const json = JSON.stringify(value);
  return json.length > max ? `${json.slice(0, max - 1)}…` : json;
}

/** Rows for a table of the structured diff, in the manager's order. */
export function structuredRows(entries: readonly DiffEntryLike[]): StructuredDiffRow[] {
  return entries.map((e) => {
    const path = e.path === "" ? "(whole resource)" : e.path;
    if (e.op === "replace") return { op: e.op, path, before: formatValue(e.from), after: formatValue(e.to) };
    if (e.op === "add") return { op: e.op, path, before: "", after: formatValue(e.value) };
    return { op: e.op, path, before: formatValue(e.value), after: "" };
  });
}

export interface TextDiffLine {
  kind: "header" | "hunk" | "add" | "remove" | "context";
  text: string;
  /** Line numbers in the old and new text (context lines have both). */
  oldLine: number | null;
  newLine: number | null;
}

/** Splits a unified diff into typed lines with line numbers, for a coloured, accessible rendering. */
export function parseUnifiedDiff(patch: string): TextDiffLine[] {
  const out: TextDiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  for (const line of patch.split("\n")) {
    if (line.startsWith("===") || line.startsWith("Index:") || line.startsWith("---") || line.startsWith("+++")) {
      out.push({ kind: "header", text: line, oldLine: null, newLine: null });
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      out.push({ kind: "hunk", text: line, oldLine: null, newLine: null });
      continue;
    }
    if (line.startsWith("\\")) continue; // "\ No newline at end of file"
    if (line.startsWith("+")) out.push({ kind: "add", text: line.slice(1), oldLine: null, newLine: newLine++ });
    else if (line.startsWith("-")) out.push({ kind: "remove", text: line.slice(1), oldLine: oldLine++, newLine: null });
    else if (line.startsWith(" ")) out.push({ kind: "context", text: line.slice(1), oldLine: oldLine++, newLine: newLine++ });
  }
  return out;
}

/** "+3 −1" for a summary next to a resource. */
export function diffStats(lines: readonly TextDiffLine[]): { added: number; removed: number } {
  return { added: lines.filter((l) => l.kind === "add").length, removed: lines.filter((l) => l.kind === "remove").length };
}
