import { TRPCError } from "@trpc/server";
import { ValidationError } from "@weft/mesh-model";

/** Machine-readable reasons a domain operation was refused. */
export type DomainErrorCode = "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "UNAUTHENTICATED" | "RATE_LIMITED" | "INVALID" | "PRECONDITION_FAILED";

/**
 * An error the domain throws on purpose: a code, a message for a human and,
 * where it is about one input field, that field's path. Converted to a tRPC
 * error in one place ({@link toTRPCError}).
 */
export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Input field the error is about, e.g. `toRevision`; empty for the whole request. */
    readonly path = "",
  ) {
    super(message);
  }
}

export const notFound = (what: string, path = "") => new DomainError("NOT_FOUND", `${what} not found`, path);
export const conflict = (message: string, path = "") => new DomainError("CONFLICT", message, path);
export const forbidden = (message: string) => new DomainError("FORBIDDEN", message);
export const unauthenticated = (message = "sign in first") => new DomainError("UNAUTHENTICATED", message);
export const invalid = (message: string, path = "") => new DomainError("INVALID", message, path);
/** The request is fine but the system is not ready for it (e.g. the mesh has no CA key yet). */
export const preconditionFailed = (message: string, path = "") => new DomainError("PRECONDITION_FAILED", message, path);

const TRPC_CODES = {
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  FORBIDDEN: "FORBIDDEN",
  UNAUTHENTICATED: "UNAUTHORIZED",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  INVALID: "BAD_REQUEST",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
} as const satisfies Record<DomainErrorCode, TRPCError["code"]>;

const masked = new WeakSet<TRPCError>();

/** The message a client gets for an error the domain did not throw on purpose. */
export function internalErrorMessage(requestId: string): string {
  return `internal error (request id ${requestId})`;
}

/** True for an error {@link toTRPCError} already masked (its detail was logged where it was masked). */
export function isMaskedInternalError(error: TRPCError): boolean {
  return masked.has(error);
}

/**
 * The one conversion from domain errors to tRPC errors. tRPC wraps anything a
 * resolver throws in an INTERNAL_SERVER_ERROR whose cause is the original;
 * this unwraps it and keeps the domain error as the cause, so the error
 * formatter can return its field paths. Anything else that failed (a
 * database error, a bug) becomes "internal error (request id …)" with no
 * cause: its message may carry query text or values, so it is only logged,
 * redacted ({@link redactedError}), never sent or audited.
 */
export function toTRPCError(error: TRPCError, requestId: string): TRPCError {
  const cause = error.cause;
  if (cause instanceof DomainError) return new TRPCError({ code: TRPC_CODES[cause.code], message: cause.message, cause });
  if (cause instanceof ValidationError) return new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
  if (error.code !== "INTERNAL_SERVER_ERROR" || masked.has(error)) return error;
  const out = new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: internalErrorMessage(requestId) });
  masked.add(out);
  return out;
}

const SECRETS = [/\bweft(?:agent|join)?_[\w-]{16,}/g, /\bscrypt\$[^\s"'`]+/g, /(password|secret|token)(["'`]?\s*[:=]\s*)["'`][^"'`]*["'`]/gi, /postgres(?:ql)?:\/\/[^\s"'`]+/g];

/**
 * An unexpected error as the server log may keep it: its name, code and
 * message with anything secret-looking removed. Prisma's messages quote the
 * failed call's arguments; only their last line (the reason) is kept.
 */
export function redactedError(error: unknown): { name: string; code?: string; message: string; stack?: string } {
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as { code?: unknown }).code;
  let message = err.message;
  if (/^PrismaClient/.test(err.name) || /Invalid `.*prisma\./.test(message)) message = message.trim().split("\n").filter((l) => l.trim() !== "").at(-1) ?? "";
  for (const pattern of SECRETS) message = message.replace(pattern, (m, key?: string, sep?: string) => (key && sep ? `${key}${sep}"[redacted]"` : "[redacted]"));
  const frames = err.stack?.split("\n").filter((l) => /^\s+at /.test(l)).join("\n");
  return { name: err.name, ...(typeof code === "string" ? { code } : {}), message, ...(frames ? { stack: frames } : {}) };
}
