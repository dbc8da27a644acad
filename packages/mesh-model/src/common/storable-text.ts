// Text PostgreSQL cannot store, found where input is read: the manager's tRPC
// input pipeline (every procedure's raw input) and the resource codec (YAML
// and JSON text, whose escapes only become characters once parsed). A NUL
// character is refused by `text` and `jsonb` alike, and an unpaired UTF-16
// surrogate either fails `jsonb` (as an escape) or is silently replaced on its
// way to `text`. Refusing both before any schema or service sees the input
// turns what used to be a 500 from deep inside a query into a 400 that names
// the field, for every procedure, including ones added later.
import { formatPath } from "./issues.ts";

/** One refused place in an input. */
export interface UnstorableText {
  /** Path of the field (or key) in dotted/bracket form, e.g. `spans[3].name`; empty for the whole input. */
  path: string;
  /** The same path as keys and indexes. */
  keyPath: PropertyKey[];
  message: string;
  code: "nul_character" | "unpaired_surrogate" | "too_deep";
}

export interface StorableTextLimits {
  /** Deepest nesting walked; deeper input is refused rather than walked (no input of ours nests this far). */
  maxDepth: number;
  /** Stop after this many findings: enough to show the pattern, bounded work for a hostile input. */
  maxFindings: number;
}

export const DEFAULT_STORABLE_TEXT_LIMITS: StorableTextLimits = { maxDepth: 64, maxFindings: 20 };

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function problemOf(text: string): Pick<UnstorableText, "message" | "code"> | null {
  if (text.includes("\u0000")) return { code: "nul_character", message: "contains a NUL character (U+0000), which cannot be stored" };
  if (UNPAIRED_SURROGATE.test(text)) return { code: "unpaired_surrogate", message: "contains an unpaired UTF-16 surrogate (not valid Unicode), which cannot be stored" };
  return null;
}

/**
 * Every string (value or object key) in `input` that cannot be stored, with
 * its path. Walks plain objects, arrays, Maps and Sets without recursion, so
 * a hostile nesting depth cannot overflow the stack; beyond `maxDepth` the
 * input is refused as a whole branch.
 */
export function findUnstorableText(input: unknown, limits: StorableTextLimits = DEFAULT_STORABLE_TEXT_LIMITS): UnstorableText[] {
  const found: UnstorableText[] = [];
  const pending: { value: unknown; path: PropertyKey[] }[] = [{ value: input, path: [] }];
  const report = (path: PropertyKey[], problem: Pick<UnstorableText, "message" | "code">) => found.push({ path: formatPath(path), keyPath: path, ...problem });
  while (pending.length > 0 && found.length < limits.maxFindings) {
    const { value, path } = pending.pop() as { value: unknown; path: PropertyKey[] };
    if (typeof value === "string") {
      const problem = problemOf(value);
      if (problem) report(path, problem);
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (path.length >= limits.maxDepth) {
      report(path, { code: "too_deep", message: `is nested more than ${limits.maxDepth} levels deep` });
      continue;
    }
    const children: [PropertyKey, unknown][] =
      value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v]) : value instanceof Set ? [...value].map((v, i) => [i, v]) : Array.isArray(value) ? value.map((v, i) => [i, v]) : value instanceof Date ? [] : Object.entries(value);
    for (const [key, child] of children) {
      if (typeof key === "string") {
        const problem = problemOf(key);
        if (problem) report([...path, key], { ...problem, message: `key ${problem.message}` });
      }
      pending.push({ value: child, path: [...path, key] });
    }
  }
  // The walk is depth-first from the end; callers read findings in input order.
  return found.sort((a, b) => a.path.localeCompare(b.path)).slice(0, limits.maxFindings);
}
