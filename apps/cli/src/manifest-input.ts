import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import { readAll, UsageError, type CliIo } from "./context.ts";

/** One file of a manifest set and the line its text starts at in the combined text. */
export interface ManifestSource {
  path: string;
  text: string;
  firstLine: number;
}

/** What `-f` read: the text sent to the manager, and the files it came from. */
export interface Manifests {
  text: string;
  format?: "yaml" | "json";
  sources: ManifestSource[];
  /** Per document of the combined text (as the manager numbers them): its file, and its place in that file from 1. */
  documents: { source: number; ordinal: number }[];
}

const MANIFEST_FILE = /\.(ya?ml|json)$/;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && MANIFEST_FILE.test(e.name) && !relative(dir, join(e.parentPath, e.name)).split("/").some((part) => part.startsWith(".")))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * `-f FILE`, `-f -` (stdin) or `-f DIR` (every .yaml, .yml and .json below
 * it, in path order, hidden folders skipped): several files are joined as
 * one multi-document YAML stream (JSON is YAML), and `sources` maps the
 * stream's documents and lines back to files for error messages.
 */
export async function readManifests(file: string | undefined, io: CliIo): Promise<Manifests> {
  if (!file) throw new UsageError("missing -f FILE or DIR");
  if (file === "-") return single("<stdin>", await readAll(io.stdin), undefined);
  const info = await stat(file).catch(() => {
    throw new UsageError(`-f ${file}: no such file or directory`);
  });
  if (!info.isDirectory()) return single(file, await readFile(file, "utf8"), file.endsWith(".json") ? "json" : /\.ya?ml$/.test(file) ? "yaml" : undefined);
  const paths = await filesUnder(file);
  if (paths.length === 0) throw new UsageError(`-f ${file}: no .yaml, .yml or .json files in the folder`);
  const sources: ManifestSource[] = [];
  let line = 1;
  for (const path of paths) {
    const text = (await readFile(path, "utf8")).replace(/\n*$/, "\n");
    sources.push({ path: relative(file, path), text, firstLine: line });
    line += text.split("\n").length; // the file's lines, then the "---" line joining the next
  }
  const text = sources.map((s) => s.text).join("---\n");
  return { text, format: "yaml", sources, documents: documentsOf(text, sources) };
}

function single(path: string, text: string, format: "yaml" | "json" | undefined): Manifests {
  const sources = [{ path, text, firstLine: 1 }];
  return { text, ...(format && { format }), sources, documents: format === "json" ? [] : documentsOf(text, sources) };
}

/** The file of each document of the combined text, numbering documents the way the manager's parser does (empty ones included). */
function documentsOf(text: string, sources: ManifestSource[]): Manifests["documents"] {
  const lineCounter = new LineCounter();
  const perSource = new Map<number, number>();
  return parseAllDocuments(text, { lineCounter }).map((doc) => {
    const line = lineCounter.linePos((doc.contents as { range?: [number, number, number] } | null)?.range?.[0] ?? doc.range[0]).line;
    const source = Math.max(0, sources.findLastIndex((s) => s.firstLine <= line));
    const ordinal = (perSource.get(source) ?? 0) + 1;
    perSource.set(source, ordinal);
    return { source, ordinal };
  });
}

/** `path, document N, line L` for a position the manager reported in the combined text; numbers count from 1 within the file. */
export function locate(manifests: Manifests, position: { document?: number | undefined; line?: number | undefined }): string {
  const byLine = position.line !== undefined ? manifests.sources.findLastIndex((s) => s.firstLine <= position.line!) : -1;
  const byDocument = position.document !== undefined ? manifests.documents[position.document] : undefined;
  const sourceIndex = byLine >= 0 ? byLine : (byDocument?.source ?? -1);
  const source = manifests.sources[sourceIndex];
  const document = byDocument && byDocument.source === sourceIndex ? byDocument.ordinal : position.document !== undefined && manifests.sources.length === 1 ? position.document + 1 : undefined;
  return [
    manifests.sources.length > 1 && source ? source.path : "",
    document !== undefined ? `document ${document}` : "",
    position.line !== undefined && source ? `line ${position.line - source.firstLine + 1}` : "",
  ]
    .filter(Boolean)
    .join(", ");
}
