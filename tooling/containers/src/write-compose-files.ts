// npm run compose:files -w @weft/containers: rewrites deploy/compose/ from the demo topology.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { composeFiles } from "./compose-files.ts";

const root = join(import.meta.dirname, "..", "..", "..");
for (const [path, text] of composeFiles()) {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
  console.log(`wrote ${path}`);
}
