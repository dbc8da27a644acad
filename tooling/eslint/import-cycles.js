// No import circles in apps/ and packages/, type-only imports included: a
// type-only circle is one value import away from a real ESM cycle (a module
// read before it finished loading). Checked by test/import-cycles.test.ts with
// dpdm, which parses TypeScript and follows imports across the workspace
// packages; `import type` counts (dpdm's `transform` option, which would drop
// types, stays off).
import { parseCircular, parseDependencyTree } from "dpdm";

/** Where the code lives: every package's sources and tests. */
export const CYCLE_CHECK_GLOBS = ["apps/*/src/**/*.{ts,tsx}", "apps/*/test/**/*.{ts,tsx}", "packages/*/src/**/*.{ts,tsx}", "packages/*/test/**/*.{ts,tsx}"];

/** Not our code: dependencies, generated clients, build output. */
const EXCLUDE = /\/node_modules\/|\/generated\/|\/\.next\/|\/dist\//;

/**
 * Folders whose circles are tolerated FOR NOW, while other work removes them
 * (issue 13). A circle is tolerated only when every file in it is under one
 * of these. Empty this list once they are gone: the check fails when an entry
 * has no circle left, so a stale entry cannot hide new ones.
 */
export const TEMPORARILY_ALLOWED_CIRCLES = [];

/**
 * Every import circle among the files `globs` matches under `root` (paths
 * relative to `root`), each listed once.
 * @param {string} root
 * @param {string[]} globs
 * @returns {Promise<string[][]>}
 */
export async function findImportCycles(root, globs = CYCLE_CHECK_GLOBS) {
  const tree = await parseDependencyTree(globs, { cwd: root, context: root, exclude: EXCLUDE, transform: false, skipDynamicImports: false });
  const relative = (file) => (file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file);
  return parseCircular(tree).map((cycle) => cycle.map(relative));
}

/**
 * Splits circles into those tolerated by `allowed` (every file under one
 * listed folder) and the rest.
 * @param {string[][]} cycles
 * @param {readonly string[]} allowed
 */
export function partitionCycles(cycles, allowed = TEMPORARILY_ALLOWED_CIRCLES) {
  const tolerated = (cycle) => allowed.some((folder) => cycle.every((file) => file.startsWith(folder)));
  return { tolerated: cycles.filter(tolerated), forbidden: cycles.filter((c) => !tolerated(c)) };
}
