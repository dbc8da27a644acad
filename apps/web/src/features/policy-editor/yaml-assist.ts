// What the YAML editor needs from the resource's schema, without CodeMirror:
// where in the text a field path is (to put the manager's and the schema's
// errors on the field they name), which path the cursor is at, and what keys
// or values the schema allows there (completion).
import { isMap, isPair, isScalar, isSeq, parseDocument, type Node } from "yaml";
import { parsePath, type PathSegment } from "./field-paths.ts";
import type { FormNode } from "./schema-form-model.ts";

export interface TextRange {
  from: number;
  to: number;
}

/**
 * Where `path` (`spec.rules[0].backendRefs[1].weight`) is in `text`: the
 * value of the field, or, when the field is missing (a required key left
 * out), the key of its nearest ancestor that is there; the document's start
 * for an empty path. Null when the text does not parse.
 */
export function rangeOfPath(text: string, path: string): TextRange | null {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0 || !doc.contents) return null;
  let node: Node = doc.contents as Node;
  let best: TextRange = { from: node.range?.[0] ?? 0, to: Math.min(node.range?.[0] ?? 0, text.length) + firstLineLength(text, node.range?.[0] ?? 0) };
  for (const segment of parsePath(path)) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return best;
      const key = pair.key as Node;
      const value = pair.value as Node | null;
      best = key.range ? { from: key.range[0], to: key.range[1] } : best;
      if (!value) return best;
      node = value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) return best;
      node = item;
    } else return best;
    if (node.range) best = isScalar(node) ? { from: node.range[0], to: node.range[1] } : { from: node.range[0], to: node.range[0] + firstLineLength(text, node.range[0]) };
  }
  return best;
}

function firstLineLength(text: string, at: number): number {
  const end = text.indexOf("\n", at);
  return Math.max(1, (end === -1 ? text.length : end) - at);
}

interface LineShape {
  /** Column of the dash of a sequence item, or -1. */
  dash: number;
  /** Column of the content (after "- "). */
  indent: number;
  /** The key the line starts, if any. */
  key: string | null;
  /** Text after "key:" (trimmed). */
  rest: string;
}

function shapeOf(line: string): LineShape | null {
  if (/^\s*(#.*)?$/.test(line)) return null;
  const m = /^(\s*)(-\s+)?(.*)$/.exec(line) as RegExpExecArray;
  const spaces = m[1]!.length;
  const dash = m[2] ? spaces : -1;
  const indent = spaces + (m[2]?.length ?? 0);
  const km = /^([A-Za-z0-9_./-]+|"[^"]*")\s*:(?:\s+(.*)|$)/.exec(m[3]!);
  return { dash, indent, key: km ? km[1]!.replace(/^"|"$/g, "") : null, rest: km ? (km[2] ?? "").trim() : m[3]!.trim() };
}

/**
 * The path of the mapping or sequence that holds a line whose content starts
 * at column `indent` (with a dash at column `dash` when it starts an item),
 * read from the lines above it by indentation: each key line left of the
 * current column is an ancestor; each dash left of it is the item we are in,
 * whose index is the number of earlier dashes at that column.
 */
function containerPath(lines: readonly string[], before: number, indent: number, dash: number): PathSegment[] {
  const out: PathSegment[] = [];
  let col = indent;
  let afterIndex = false;
  const enterItem = (dashCol: number, from: number): number => {
    let index = 0;
    let j = from;
    for (; j >= 0; j--) {
      const s = shapeOf(lines[j]!);
      if (!s) continue;
      if (s.dash === dashCol) index++;
      else if (s.indent <= dashCol) break;
    }
    out.push(index);
    col = dashCol;
    afterIndex = true;
    return j;
  };
  let i = dash >= 0 ? enterItem(dash, before - 1) : before - 1;
  while (i >= 0) {
    const s = shapeOf(lines[i]!);
    if (!s) {
      i--;
      continue;
    }
    // A sequence may sit at its key's own column ("rules:" then "- ..."), so after an item its key may be level with it.
    if (s.key !== null && s.rest === "" && (s.indent < col || (afterIndex && s.dash < 0 && s.indent <= col))) {
      out.push(s.key);
      col = s.indent;
      afterIndex = false;
      i = s.dash >= 0 ? enterItem(s.dash, i - 1) : i - 1;
      continue;
    }
    if (s.dash >= 0 && s.dash < col && s.indent <= col) {
      i = enterItem(s.dash, i - 1);
      continue;
    }
    i--;
  }
  return out.reverse();
}

export interface CursorContext {
  /** Path of the mapping the cursor's key belongs to (key mode) or of the field whose value is typed (value mode). */
  path: PathSegment[];
  mode: "key" | "value";
  /** Where the typed word starts (what a completion replaces). */
  from: number;
}

/** Which key or value the cursor at `offset` is typing, by indentation. */
export function cursorContext(text: string, offset: number): CursorContext {
  const lines = text.slice(0, offset).split("\n");
  const at = lines.length - 1;
  const line = lines[at]!;
  const lineStart = offset - line.length;
  const m = /^(\s*)(-\s+)?(.*)$/.exec(line) as RegExpExecArray;
  const spaces = m[1]!.length;
  const dash = m[2] ? spaces : -1;
  const indent = spaces + (m[2]?.length ?? 0);
  const body = m[3]!;
  const kv = /^([A-Za-z0-9_./-]+)\s*:\s*(\S*)$/.exec(body);
  const container = containerPath(lines, at, indent, dash);
  if (kv) return { path: [...container, kv[1]!], mode: "value", from: offset - kv[2]!.length };
  return { path: container, mode: "key", from: lineStart + indent };
}

/** The form node at `path` (items and record values followed; a union offers every variant's fields). */
export function nodeAt(root: FormNode, path: readonly PathSegment[]): FormNode | null {
  let node: FormNode = root;
  for (const segment of path) {
    if (node.type === "object") {
      const field = node.fields.find((f) => f.key === segment);
      if (!field) return null;
      node = field.node;
    } else if (node.type === "union") {
      const field = node.variants.flatMap((v) => v.node.fields).find((f) => f.key === segment);
      if (!field) return null;
      node = field.node;
    } else if (node.type === "array" && typeof segment === "number") node = node.item;
    else if (node.type === "record") node = node.value;
    else return null;
  }
  return node;
}

export interface Suggestion {
  label: string;
  /** What the completion inserts. */
  apply: string;
  detail: string;
  info?: string;
}

/** Keys the schema allows in the mapping at the cursor (those not written yet), or the values of an enum or boolean field. */
export function suggestionsAt(root: FormNode, text: string, offset: number): { from: number; options: Suggestion[] } | null {
  const context = cursorContext(text, offset);
  const node = nodeAt(root, context.path);
  if (!node) return null;
  if (context.mode === "value") {
    if (node.type === "enum") return { from: context.from, options: node.options.map((o) => ({ label: String(o), apply: String(o), detail: node.label, ...(node.help ? { info: node.help } : {}) })) };
    if (node.type === "boolean") return { from: context.from, options: ["true", "false"].map((o) => ({ label: o, apply: o, detail: node.label })) };
    return null;
  }
  const fields = node.type === "object" ? node.fields : node.type === "union" ? [...new Map(node.variants.flatMap((v) => v.node.fields).map((f) => [f.key, f])).values()] : [];
  if (fields.length === 0) return null;
  const present = presentKeys(text, context.path);
  return {
    from: context.from,
    options: fields
      .filter((f) => !present.has(f.key))
      .map((f) => ({ label: f.key, apply: `${f.key}: `, detail: f.required ? "required" : "optional", ...(f.node.help ? { info: f.node.help } : {}) })),
  };
}

function presentKeys(text: string, path: readonly PathSegment[]): Set<string> {
  const doc = parseDocument(text);
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  return new Set(isMap(node) ? node.items.flatMap((p) => (isScalar(p.key) ? [String(p.key.value)] : [])) : []);
}
