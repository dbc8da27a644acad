// The import graph of packages/proxy/src: no circles, type-only imports
// included (a type import is one edit away from a value import, and that
// is how ESM cycles start). TypeScript's own scanner reads the imports.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Each file's relative imports (static, `export ... from` and `import()`), as absolute paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    graph.set(
      file,
      info.importedFiles.map((f) => f.fileName).filter((name) => name.startsWith(".")).map((name) => resolve(dirname(file), name)),
    );
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the list of files on it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe("the proxy's import graph", () => {
  it("has no import circles, type-only imports included", () => {
    const found = cycles(importGraph()).map((c) => c.map((f) => relative(SRC, f)).join(" → "));
    expect(found).toEqual([]);
  });

  it("finds a circle when there is one (the check bites)", () => {
    const a = join(SRC, "a.ts");
    const b = join(SRC, "b.ts");
    expect(cycles(new Map([[a, [b]], [b, [a]]]))).toHaveLength(1);
    // Every import resolves to a file the walk knows, so a typo cannot hide an edge.
    const graph = importGraph();
    for (const [file, imports] of graph) for (const target of imports) expect(graph.has(target), `${relative(SRC, file)} imports ${relative(SRC, target)}`).toBe(true);
  });
});
