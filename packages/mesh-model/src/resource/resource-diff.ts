import { formatPath } from "../common/issues.ts";

/** One difference between two versions of a document, at a path. */
export type DiffEntry =
  | { op: "add"; path: string; value: unknown }
  | { op: "remove"; path: string; value: unknown }
  | { op: "replace"; path: string; from: unknown; to: unknown };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The structured difference between two JSON values (a resource before and
 * after a change), as path-addressed entries: `spec.rules[0].backendRefs[1].weight`.
 * Objects are compared key by key, arrays index by index (appended or removed
 * tail elements are adds and removes). `undefined` stands for "absent": a
 * creation is one `add` at the root path "", a deletion one `remove`.
 */
export function diffDocuments(before: unknown, after: unknown): DiffEntry[] {
  const out: DiffEntry[] = [];
  walk(before, after, [], out);
  return out;
}

function walk(before: unknown, after: unknown, path: PropertyKey[], out: DiffEntry[]): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) {
    out.push({ op: "add", path: formatPath(path), value: after });
    return;
  }
  if (after === undefined) {
    out.push({ op: "remove", path: formatPath(path), value: before });
    return;
  }
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) walk(before[key], after[key], [...path, key], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) walk(i < before.length ? before[i] : undefined, i < after.length ? after[i] : undefined, [...path, i], out);
    return;
  }
  if (!Object.is(before, after)) out.push({ op: "replace", path: formatPath(path), from: before, to: after });
}
