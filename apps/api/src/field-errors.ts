import { formatPath, type ValidationIssue } from "@weft/mesh-model";
import type { ZodError } from "zod";

/** One invalid field: where it is and why it is wrong. */
export interface FieldError {
  /** Path in dotted/bracket form, e.g. `spec.rules[0].backendRefs[1].weight`; empty for the whole input. */
  path: string;
  message: string;
  code: string;
  /** Index of the document in a multi-document input, when the input had several. */
  document?: number;
  /** 1-based line in YAML input, when known. */
  line?: number;
}

export function toFieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message, code: issue.code }));
}

/** mesh-model validation issues (schema and analyzer findings) as field errors. */
export function fromValidationIssues(issues: readonly ValidationIssue[]): FieldError[] {
  return issues.map((issue) => ({
    path: issue.path,
    message: issue.message,
    code: issue.code,
    ...(issue.document !== undefined ? { document: issue.document } : {}),
    ...(issue.line !== undefined ? { line: issue.line } : {}),
  }));
}
