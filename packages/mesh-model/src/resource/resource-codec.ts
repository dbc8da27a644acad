import { LineCounter, parseAllDocuments, stringify, type Document } from "yaml";
import { type ValidationIssue, issuesFromZod } from "../common/issues.ts";
import { findUnstorableText } from "../common/storable-text.ts";
import { API_VERSION } from "../common/metadata.ts";
import { KINDS, KIND_SCHEMAS, type Resource, isKind } from "./resource.schema.ts";

/** Text formats resources are read from and written to. */
export type ResourceFormat = "yaml" | "json";

/** The outcome of reading or validating resources: every resource, or every issue. */
export type ResourceResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

type Locate = (path: readonly PropertyKey[]) => number | undefined;

/**
 * Validates one resource given as a plain value (already parsed JSON): the
 * schema of its kind, including per-document semantic checks. Never throws.
 */
export function validateResource(value: unknown): ResourceResult<Resource> {
  return validateDocument(value, undefined, undefined);
}

function validateDocument(value: unknown, document: number | undefined, locate: Locate | undefined): ResourceResult<Resource> {
  const at = (issue: ValidationIssue, path: readonly PropertyKey[]): ValidationIssue => {
    const line = locate?.(path);
    return { ...issue, ...(document !== undefined ? { document } : {}), ...(line !== undefined ? { line } : {}) };
  };
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, issues: [at({ path: "", message: `expected a resource object, received ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value}`, code: "invalid_type" }, [])] };
  const { kind, apiVersion } = value as { kind?: unknown; apiVersion?: unknown };
  if (!isKind(kind)) {
    const issues: ValidationIssue[] = [];
    if (apiVersion !== API_VERSION)
      issues.push(at({ path: "apiVersion", message: apiVersion === undefined ? "required field is missing" : `must be "${API_VERSION}"`, code: apiVersion === undefined ? "required" : "invalid_value" }, ["apiVersion"]));
    issues.push(
      at(
        kind === undefined
          ? { path: "kind", message: "required field is missing", code: "required" }
          : { path: "kind", message: `unknown kind ${JSON.stringify(kind)}; expected one of ${KINDS.join(", ")}`, code: "unknown_kind" },
        ["kind"],
      ),
    );
    return { ok: false, issues };
  }
  const result = KIND_SCHEMAS[kind].safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: issuesFromZod(result.error.issues, [], (path) => locate?.(path)).map((issue) => ({ ...issue, ...(document !== undefined ? { document } : {}) })) };
}

/**
 * Reads resources from YAML (one or more `---`-separated documents) or JSON
 * (one object or an array of them). The format is guessed from the first
 * character when not given. Every document is validated; the result carries
 * either all resources or all issues, each with its document index and path.
 * Empty YAML documents are skipped. Never throws.
 */
export function parseResources(text: string, format?: ResourceFormat): ResourceResult<Resource[]> {
  const { documents, issues } = readDocuments(text, format);
  const result = collect(documents, [...issues]);
  if (!result.ok) result.issues.sort((a, b) => (a.document ?? 0) - (b.document ?? 0));
  return result;
}

/** One document of a YAML stream or JSON input, before any schema is applied. */
export interface RawDocument {
  value: unknown;
  /** 0-based position in the input. */
  index: number;
  /** 1-based line of a path inside the document (YAML only). */
  locate?: Locate;
}

function collect(documents: RawDocument[], issues: ValidationIssue[]): ResourceResult<Resource[]> {
  const resources: Resource[] = [];
  for (const doc of documents) {
    const result = validateDocument(doc.value, doc.index, doc.locate);
    if (result.ok) resources.push(result.value);
    else issues.push(...result.issues);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: resources };
}

/**
 * Reads the documents of YAML or JSON text (the format guessed as for
 * {@link parseResources}) without applying any schema: for other document
 * formats (OpenSLO). Syntax errors come back as issues, beside the
 * documents that could be read. Never throws.
 */
export function readDocuments(text: string, format?: ResourceFormat): { documents: RawDocument[]; issues: ValidationIssue[] } {
  const resolved = format ?? (/^\s*[[{]/.test(text) ? "json" : "yaml");
  const read = resolved === "json" ? readJson(text) : readYaml(text);
  // Escapes (`"\0"`, `"\u0000"`) become characters only now: text that cannot be stored is refused here, once, for every reader.
  const unstorable = read.documents.flatMap((doc) =>
    findUnstorableText(doc.value).map((f): ValidationIssue => {
      const line = doc.locate?.(f.keyPath);
      return { path: f.path, message: f.message, code: f.code, document: doc.index, ...(line !== undefined ? { line } : {}) };
    }),
  );
  return unstorable.length > 0 ? { documents: [], issues: [...read.issues, ...unstorable] } : read;
}

function readJson(text: string): { documents: RawDocument[]; issues: ValidationIssue[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message)?.[1];
    const line = position !== undefined ? text.slice(0, Number(position)).split("\n").length : undefined;
    return { documents: [], issues: [{ path: "", message: `invalid JSON: ${message}`, code: "json_syntax", document: 0, ...(line !== undefined ? { line } : {}) }] };
  }
  const values = Array.isArray(value) ? value : [value];
  return { documents: values.map((v, index) => ({ value: v, index })), issues: [] };
}

function readYaml(text: string): { documents: RawDocument[]; issues: ValidationIssue[] } {
  const lineCounter = new LineCounter();
  const line = (offset: number) => lineCounter.linePos(offset).line;
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: false }) as Document.Parsed[];
  } catch (error) {
    return { documents: [], issues: [{ path: "", message: `invalid YAML: ${error instanceof Error ? error.message : String(error)}`, code: "yaml_syntax", document: 0 }] };
  }
  const issues: ValidationIssue[] = [];
  const documents: RawDocument[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const error of doc.errors)
        issues.push({ path: "", message: `invalid YAML: ${firstLine(error.message)}`, code: "yaml_syntax", document: index, line: line(error.pos[0]) });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      issues.push({ path: "", message: `invalid YAML: ${error instanceof Error ? error.message : String(error)}`, code: "yaml_syntax", document: index });
      return;
    }
    // Empty (or comment-only) documents are skipped, as kubectl does.
    if (value === null || value === undefined) return;
    const locate: Locate = (path) => {
      // A missing field has no node: point at the closest parent that exists.
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return line(node.range[0]);
      }
      return undefined;
    };
    documents.push({ value, index, locate });
  });
  return { documents, issues };
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

/** Writes one resource as YAML or JSON (2-space indented, trailing newline). */
export function serializeResource(resource: Resource, format: ResourceFormat): string {
  return format === "json" ? `${JSON.stringify(resource, null, 2)}\n` : stringify(resource, { lineWidth: 0 });
}

/** Writes resources as one multi-document YAML stream or one JSON array. */
export function serializeResources(resources: readonly Resource[], format: ResourceFormat): string {
  return format === "json" ? `${JSON.stringify(resources, null, 2)}\n` : resources.map((r) => stringify(r, { lineWidth: 0 })).join("---\n");
}
