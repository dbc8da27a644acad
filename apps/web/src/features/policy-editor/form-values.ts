import type { Path } from "./field-paths.ts";

type Container = Record<string, unknown> | unknown[];

/** The value at `path`; undefined when any step is missing. */
export function getAt(value: unknown, path: Path): unknown {
  let cur: unknown = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/**
 * A copy of `value` with `next` at `path` (containers along the way copied,
 * created when missing). `undefined` removes an object key; array items are
 * removed with removeItem.
 */
export function setAt(value: unknown, path: Path, next: unknown): unknown {
  if (path.length === 0) return next;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const base: Container = Array.isArray(value) ? [...value] : value !== null && typeof value === "object" ? { ...(value as Record<string, unknown>) } : typeof head === "number" ? [] : {};
  const child = setAt((base as Record<string | number, unknown>)[head], rest, next);
  if (child === undefined && !Array.isArray(base)) delete (base as Record<string, unknown>)[head as string];
  else (base as Record<string | number, unknown>)[head] = child;
  return base;
}

/** A copy of `value` without the array item at `path`. */
export function removeItem(value: unknown, path: Path): unknown {
  const parentPath = path.slice(0, -1);
  const index = path[path.length - 1];
  const list = getAt(value, parentPath);
  if (!Array.isArray(list) || typeof index !== "number") return value;
  return setAt(value, parentPath, list.filter((_, i) => i !== index));
}

/** A copy of `value` with the array item at `path` moved by `delta` places. */
export function moveItem(value: unknown, path: Path, delta: -1 | 1): unknown {
  const parentPath = path.slice(0, -1);
  const index = path[path.length - 1];
  const list = getAt(value, parentPath);
  if (!Array.isArray(list) || typeof index !== "number") return value;
  const to = index + delta;
  if (to < 0 || to >= list.length) return value;
  const copy = [...list];
  [copy[index], copy[to]] = [copy[to], copy[index]];
  return setAt(value, parentPath, copy);
}

/** Reads a number input: "" is absent, anything unparsable is kept as text so validation can name it. */
export function parseNumberInput(text: string): number | string | undefined {
  if (text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}
