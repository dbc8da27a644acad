import { readFile } from "node:fs/promises";
import { readAll, UsageError, type CliIo } from "./context.ts";

/** The text of `-f FILE` (`-` is stdin), with its format when the name tells it. */
export async function readManifest(file: string | undefined, io: CliIo): Promise<{ text: string; format?: "yaml" | "json" }> {
  if (!file) throw new UsageError("missing -f FILE");
  const text = file === "-" ? await readAll(io.stdin) : await readFile(file, "utf8");
  return { text, ...(file.endsWith(".json") ? { format: "json" as const } : file.endsWith(".yaml") || file.endsWith(".yml") ? { format: "yaml" as const } : {}) };
}
