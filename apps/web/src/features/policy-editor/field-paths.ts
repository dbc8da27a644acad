// Paths as the manager and mesh-model name fields: `spec.rules[0].backendRefs[1].weight`
// (mesh-model's formatPath writes them; parsePath reads them back).
import { formatPath } from "@weft/mesh-model";

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** `spec.rules[0].weight` → ["spec", "rules", 0, "weight"]. Quoted keys (`labels["a.b/c"]`) are kept whole. */
export function parsePath(text: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(m[3].replace(/\\(.)/g, "$1"));
  }
  return out;
}


/** A stable DOM id for the input of a field. */
export function fieldId(path: Path): string {
  return `field-${formatPath(path).replace(/[^A-Za-z0-9_-]+/g, "_") || "root"}`;
}

export interface PathMessage {
  path: string;
  message: string;
  severity?: "error" | "warning" | "info";
}

/**
 * Errors indexed by the field they name (normalised path). An error on a
 * path no form field shows (a removed array item, the whole document) is
 * reported by its nearest shown ancestor through `nearestShown`.
 */
export class FieldErrorIndex {
  private readonly byPath = new Map<string, PathMessage[]>();

  constructor(readonly all: readonly PathMessage[]) {
    for (const e of all) {
      const key = formatPath(parsePath(e.path));
      const list = this.byPath.get(key) ?? [];
      list.push(e);
      this.byPath.set(key, list);
    }
  }

  /** Errors naming exactly this field. */
  at(path: Path): PathMessage[] {
    return this.byPath.get(formatPath(path)) ?? [];
  }

  /** How many errors lie at or under this path (for collapsed sections). */
  countUnder(path: Path): number {
    const prefix = formatPath(path);
    let n = 0;
    for (const [key, list] of this.byPath) if (prefix === "" || key === prefix || key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`)) n += list.length;
    return n;
  }

  /** Errors whose path is not in `shown` (no field renders it): shown in a summary instead. */
  unplaced(shown: ReadonlySet<string>): PathMessage[] {
    return this.all.filter((e) => !shown.has(formatPath(parsePath(e.path))));
  }
}
