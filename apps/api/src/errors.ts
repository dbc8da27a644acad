import { TRPCError } from "@trpc/server";
import { ValidationError } from "@weft/mesh-model";

/** Machine-readable reasons a domain operation was refused. */
export type DomainErrorCode = "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "UNAUTHENTICATED" | "RATE_LIMITED" | "INVALID";

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

const TRPC_CODES = {
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  FORBIDDEN: "FORBIDDEN",
  UNAUTHENTICATED: "UNAUTHORIZED",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  INVALID: "BAD_REQUEST",
} as const satisfies Record<DomainErrorCode, TRPCError["code"]>;

/**
 * The one conversion from domain errors to tRPC errors. tRPC wraps anything a
 * resolver throws in an INTERNAL_SERVER_ERROR whose cause is the original;
 * this unwraps it and keeps the domain error as the cause, so the error
 * formatter can return its field paths.
 */
export function toTRPCError(error: TRPCError): TRPCError {
  const cause = error.cause;
  if (cause instanceof DomainError) return new TRPCError({ code: TRPC_CODES[cause.code], message: cause.message, cause });
  if (cause instanceof ValidationError) return new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
  return error;
}
