import { TRPCClientError } from "@trpc/client";
import type { AppRouter, ChangeResult, FieldError } from "@weft/api";
import { refName } from "../kinds.ts";

/** Names a position the manager reported (0-based document, 1-based line) for a person: `document 2, line 27`, or a file of a folder. */
export type Locator = (position: { document?: number | undefined; line?: number | undefined }) => string;

/** `document 2, line 27`: documents and lines both counted from 1, as an editor shows them (the API's `document` is a 0-based index). */
const countFromOne: Locator = (p) => [p.document !== undefined ? `document ${p.document + 1}` : "", p.line !== undefined ? `line ${p.line}` : ""].filter(Boolean).join(", ");

function where(e: FieldError, locate: Locator = countFromOne): string {
  const parts = locate(e);
  return `${parts ? `${parts}: ` : ""}${e.path || "(document)"}`;
}

const TITLES: Record<string, string> = { ANALYSIS_FAILED: "the change was refused by the analyzers:", INVALID_RESOURCE: "invalid input:", UNPARSABLE_INPUT: "invalid input:" };

/** An error for the terminal: the message, then every field path with its reason. */
export function describeError(err: unknown, locate?: Locator): string {
  if (err instanceof TRPCClientError) {
    const data = (err as TRPCClientError<AppRouter>).data as { code?: string; fieldErrors?: FieldError[] | null; domainCode?: string | null } | undefined;
    const fields = data?.fieldErrors ?? [];
    const head = data?.code === "UNAUTHORIZED" ? `error: ${err.message} (run weft login)` : `error: ${err.message}`;
    if (fields.length === 0) return `${head}\n`;
    const title = (data?.domainCode ? TITLES[data.domainCode] : undefined) ?? (data?.code === "BAD_REQUEST" ? "invalid input:" : undefined);
    // A missing resource or a conflict is not "invalid input": its message says it all.
    if (!title) return `${head}\n`;
    return `${title}\n${fields.map((f) => `  ${where(f, locate)}: ${f.message} [${f.code}]`).join("\n")}\n`;
  }
  if (err instanceof Error && /fetch failed|ECONNREFUSED/.test(`${err.message} ${String((err as { cause?: unknown }).cause ?? "")}`)) return `error: cannot reach the manager (${err.message})\n`;
  return `error: ${err instanceof Error ? err.message : String(err)}\n`;
}

const VERBS = { create: "created", update: "configured", delete: "deleted", unchanged: "unchanged" } as const;

/** What a change did (or would do), kubectl-style, with findings and affected workloads. */
export function describeChange(result: ChangeResult, options: { showDiff: boolean; locate?: Locator }): string {
  const out: string[] = [];
  if (result.status === "invalid") {
    out.push("invalid input:", ...result.validation.issues.map((i) => `  ${where(i, options.locate)}: ${i.message} [${i.code}]`));
    return `${out.join("\n")}\n`;
  }
  const suffix = result.dryRun ? " (dry run)" : result.status === "pending-approval" ? " (waiting for approval)" : "";
  for (const c of result.changes) {
    const name = refName(c.ref);
    out.push(`${name} ${VERBS[c.action]}${c.action === "unchanged" ? "" : suffix}`);
    if (options.showDiff && c.textDiff) out.push(c.textDiff.trimEnd());
  }
  for (const f of result.findings) {
    const r = f.resource;
    out.push(`${f.severity}: ${refName(r)} ${f.path}: ${f.message} [${f.code}]`);
  }
  if (result.dryRun && result.affectedWorkloads.length > 0) {
    out.push(`proxy configuration changes for ${result.affectedWorkloads.length} workload(s):`);
    for (const w of result.affectedWorkloads) out.push(`  ${w.cluster}/${w.namespace}/${w.name}  (${w.reasons.join("; ")})`);
  }
  if (result.status === "blocked") out.push("the change would be refused: fix the errors above");
  if (result.status === "applied") out.push(`mesh config version ${result.configVersion}`);
  if (result.changeRequest) out.push(`change request ${result.changeRequest.id}: protected namespace(s) ${result.changeRequest.namespaces.join(", ")} need another user's approval`);
  return `${out.join("\n")}\n`;
}
