// Sums the per-package vitest totals in a turbo test log into one closing
// line, "N passed, N failed", that CI tooling reads as the run's result.
import { readFileSync } from "node:fs";

const log = readFileSync(process.argv[2], "utf8").replace(/\x1b\[[0-9;]*m/g, "");
const totals = { passed: 0, failed: 0, skipped: 0 };
let suites = 0;
for (const line of log.split("\n")) {
  const match = /\bTests\s+(.+)\(\d+\)\s*$/.exec(line);
  if (!match) continue;
  suites++;
  for (const [, n, kind] of match[1].matchAll(/(\d+)\s+(passed|failed|skipped)/g)) totals[kind] += Number(n);
}
console.log(`test suites: ${suites}`);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ""}`);
