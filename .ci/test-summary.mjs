// Sums the per-package vitest totals in a turbo test log into one closing
// line, "N passed, N failed", that CI tooling reads as the run's result.
// Above it, the names of the failed tests, so a CI log that keeps only its
// tail still says which test failed and in which workspace.
import { readFileSync } from "node:fs";

const log = readFileSync(process.argv[2], "utf8").replace(/\x1b\[[0-9;]*m/g, "");
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = new Set();
let suites = 0;
for (const line of log.split("\n")) {
  // vitest: "   × suite > test 123ms" while running, " FAIL  test/file.test.ts > suite > test" in its summary.
  const failed = /^(\S+:test:)?\s*(?:×|FAIL\s)\s*(.+?)\s*$/.exec(line);
  if (failed) failures.add(`${failed[1] ?? ""} ${failed[2]}`.trim());
  const match = /\bTests\s+(.+)\(\d+\)\s*$/.exec(line);
  if (!match) continue;
  suites++;
  for (const [, n, kind] of match[1].matchAll(/(\d+)\s+(passed|failed|skipped)/g)) totals[kind] += Number(n);
}
if (failures.size > 0) {
  console.log("failed tests:");
  for (const name of [...failures].slice(0, 40)) console.log(`  ${name}`);
}
console.log(`test suites: ${suites}`);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ""}`);
