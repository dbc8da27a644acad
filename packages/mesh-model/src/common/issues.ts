import type { z } from "zod";

/**
 * One problem with a document: where (`spec.rules[0].backendRefs[1].weight`),
 * why (a sentence for a human) and a stable machine code.
 */
export interface ValidationIssue {
  /** Path inside the document, e.g. `spec.rules[0].backendRefs[1].weight`; empty for the whole document. */
  path: string;
  /** What is wrong, for a human. */
  message: string;
  /** Stable machine-readable reason, e.g. `required`, `invalid_type`, `invalid_regex`, `yaml_syntax`. */
  code: string;
  /**
   * Index of the document in a multi-document input (0-based: a position in
   * the input, for programs), when the input had several. Messages for
   * humans count documents from 1, like lines.
   */
  document?: number;
  /** 1-based line in the source text, when known (YAML input). */
  line?: number;
}

/** Codes a {@link ValidationError} can carry. */
export type ValidationErrorCode = "INVALID_RESOURCE" | "UNPARSABLE_INPUT" | "ANALYSIS_FAILED" | "INVALID_REPORT";

/**
 * A domain error for rejected input: carries a code and every issue found, so
 * the API layer can convert it once and the dashboard can place each issue
 * next to the field it names.
 */
export class ValidationError extends Error {
  override readonly name = "ValidationError";
  readonly code: ValidationErrorCode;
  readonly issues: readonly ValidationIssue[];

  constructor(code: ValidationErrorCode, issues: readonly ValidationIssue[], message?: string) {
    super(message ?? summarizeIssues(issues));
    this.code = code;
    this.issues = issues;
  }
}

function summarizeIssues(issues: readonly ValidationIssue[]): string {
  const first = issues[0];
  if (!first) return "invalid input";
  // Humans count documents from 1, as they count lines.
  const where = [first.document !== undefined ? `document ${first.document + 1}` : "", first.path].filter(Boolean).join(" ");
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return `${where ? `${where}: ` : ""}${first.message}${more}`;
}

/** Keys written plainly; others (dots, slashes, spaces: `labels["app.kubernetes.io/name"]`) are quoted. Dashes read fine in YAML paths. */
const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/**
 * Formats a path as `spec.rules[0].backendRefs[1].weight`: the one path
 * format of Weft — validation issues, the manager's field errors, the
 * dashboard's field index and the proxy's config errors all use it.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const key = String(segment);
      if (IDENTIFIER.test(key)) out += out ? `.${key}` : key;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Converts zod issues into {@link ValidationIssue}s with readable paths, messages and stable codes. */
export function issuesFromZod(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
  locate?: (path: readonly PropertyKey[]) => number | undefined,
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    const start = out.length;
    switch (issue.code) {
      case "unrecognized_keys":
        // One issue per key, pointing at the key itself: that is where the dashboard shows it.
        for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: `unknown field "${key}"`, code: "unknown_field" });
        break;
      case "invalid_type":
        if (isMissing(issue)) out.push({ path: formatPath(path), message: "required field is missing", code: "required" });
        else out.push({ path: formatPath(path), message: "input" in issue ? `expected ${issue.expected}, received ${describeValue(issue.input)}` : issue.message, code: "invalid_type" });
        break;
      case "invalid_key":
        out.push({ path: formatPath(path), message: `invalid key: ${issue.issues.map((i) => i.message).join("; ")}`, code: "invalid_key" });
        break;
      case "custom": {
        const code = typeof issue.params?.code === "string" ? issue.params.code : "invalid_value";
        out.push({ path: formatPath(path), message: issue.message, code });
        break;
      }
      case "invalid_union":
      case "invalid_value":
        // A missing enum or discriminator field is "required", not "invalid".
        if ("input" in issue && issue.input === undefined) out.push({ path: formatPath(path), message: `required field is missing (${issue.message.replace(/^Invalid [a-z ]+: expected /i, "expected ")})`, code: "required" });
        else out.push({ path: formatPath(path), message: issue.message, code: "invalid_value" });
        break;
      default:
        out.push({ path: formatPath(path), message: issue.message, code: issue.code });
    }
    if (locate) {
      const line = locate(issue.code === "unrecognized_keys" ? [...path, ...issue.keys.slice(0, 1)] : path);
      if (line !== undefined) for (let i = start; i < out.length; i++) (out[i] as ValidationIssue).line = line;
    }
  }
  return out;
}

// zod keeps the offending input only with `reportInput: true`; without it the
// message is the only way to tell "missing" from "wrong type".
function isMissing(issue: z.core.$ZodIssueInvalidType): boolean {
  return "input" in issue ? issue.input === undefined : issue.message.endsWith("received undefined");
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Reports a semantic issue from inside a zod `superRefine`, with a stable code. */
export function reportIssue(ctx: z.RefinementCtx, path: readonly PropertyKey[], message: string, code: string): void {
  ctx.addIssue({ code: "custom", message, path: [...path] as (string | number)[], params: { code } });
}

/** Reports every value of `values` (compared by `keyOf`) that appears more than once, at its later positions. */
export function reportDuplicates<T>(
  ctx: z.RefinementCtx,
  values: readonly T[] | undefined,
  keyOf: (value: T) => string | undefined,
  path: (index: number) => readonly PropertyKey[],
  what: string,
): void {
  const seen = new Map<string, number>();
  values?.forEach((value, index) => {
    const key = keyOf(value);
    if (key === undefined) return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else reportIssue(ctx, path(index), `duplicate ${what} "${key}" (already at index ${first})`, "duplicate");
  });
}
