import { UsageError } from "./context.ts";

/**
 * `--selector app=shop,tier=back` (kubectl's equality form; `==` too) as
 * labels every selected resource must carry. Set-based forms (`in`, `!=`,
 * bare keys) are refused by name rather than misread.
 */
export function parseSelector(text: string): Record<string, string> {
  const selector: Record<string, string> = {};
  for (const part of text.split(",").map((p) => p.trim())) {
    const match = /^([A-Za-z0-9][-A-Za-z0-9_./]*)\s*==?\s*([-A-Za-z0-9_.]*)$/.exec(part);
    if (!match || part.includes("!=")) throw new UsageError(`--selector: "${part}" is not key=value (only equality selectors are supported)`);
    selector[match[1]!] = match[2]!;
  }
  return selector;
}

/** The prune options of apply and diff: `--prune` needs `--selector`, and `--selector` means nothing without `--prune`. */
export function pruneOf(opts: { prune?: boolean | undefined; selector?: string | undefined }): { selector: Record<string, string> } | undefined {
  if (opts.prune && !opts.selector) throw new UsageError("--prune needs --selector (e.g. --selector app=shop): without one it would delete every resource the folder does not name");
  if (!opts.prune && opts.selector) throw new UsageError("--selector only applies with --prune");
  return opts.prune && opts.selector ? { selector: parseSelector(opts.selector) } : undefined;
}
