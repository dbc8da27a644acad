import { LineCounter, parseDocument, stringify } from "yaml";

/** The form's value as the YAML tab shows it (same layout as the manager's own serialization). */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

export type YamlParse = { ok: true; value: unknown } | { ok: false; message: string; line: number | null };

/**
 * Reads the YAML tab back into a form value. One document only (the editor
 * edits one resource); syntax errors carry their 1-based line.
 */
export function fromYaml(text: string): YamlParse {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const error = doc.errors[0];
  if (error) {
    const line = lineCounter.linePos(error.pos[0]).line;
    return { ok: false, message: error.message.split("\n")[0] ?? error.message, line };
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, message: "expected one resource (a mapping with apiVersion, kind, metadata and spec)", line: 1 };
  }
  return { ok: true, value };
}
