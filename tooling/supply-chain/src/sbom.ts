// npm run sbom -w @weft/supply-chain [-- <folder>]: a CycloneDX SBOM (JSON,
// spec 1.6, validated by the generator) of each shipped program's production
// dependencies, by @cyclonedx/cyclonedx-npm — the CycloneDX project's own
// generator, which reads the installed tree through `npm ls`. Default folder: sbom/.
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { SHIPPED_PROGRAMS } from "./programs.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../../..");
const BIN = join(ROOT, "node_modules/.bin/cyclonedx-npm");

/** Writes `<folder>/<program>.cdx.json` for every shipped program; returns the files. */
export async function writeSboms(folder: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const files: string[] = [];
  for (const { program, workspace } of SHIPPED_PROGRAMS) {
    const file = join(folder, `${program}.cdx.json`);
    await run(BIN, ["--workspace", workspace, "--omit", "dev", "--output-format", "JSON", "--spec-version", "1.6", "--validate", "--output-reproducible", "--mc-type", "application", "--output-file", file], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    files.push(file);
  }
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const folder = resolve(process.argv[2] ?? join(ROOT, "sbom"));
  for (const file of await writeSboms(folder)) console.log(file);
}
