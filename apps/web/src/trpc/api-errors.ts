import { TRPCClientError } from "@trpc/client";
import { ApiRefusedError, ApiUnreachableError } from "./api-fetch.ts";

/** One invalid field as the manager reports it in `data.fieldErrors`. */
export interface FieldErrorView {
  path: string;
  message: string;
  code: string;
  document?: number;
  line?: number;
}

/**
 * A failed API call, sorted for the UI (Headlamp's typed API error): the UI
 * branches on `kind`, shows `message`, and places `fieldErrors` next to fields.
 */
export interface ApiFailure {
  kind: "unauthenticated" | "forbidden" | "not-found" | "invalid" | "conflict" | "unreachable" | "server";
  code: string;
  message: string;
  fieldErrors: FieldErrorView[];
  domainCode: string | null;
}

const KIND_BY_CODE: Record<string, ApiFailure["kind"]> = {
  UNAUTHORIZED: "unauthenticated",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not-found",
  BAD_REQUEST: "invalid",
  UNPROCESSABLE_CONTENT: "invalid",
  PARSE_ERROR: "invalid",
  CONFLICT: "conflict",
  PRECONDITION_FAILED: "conflict",
  TOO_MANY_REQUESTS: "forbidden",
};

function isFieldError(value: unknown): value is FieldErrorView {
  return typeof value === "object" && value !== null && typeof (value as FieldErrorView).path === "string" && typeof (value as FieldErrorView).message === "string";
}

/** Sorts anything a tRPC call threw into an ApiFailure. */
export function toApiFailure(error: unknown): ApiFailure {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? null) as { code?: unknown; fieldErrors?: unknown; domainCode?: unknown } | null;
    const code = typeof data?.code === "string" ? data.code : null;
    if (code === null) {
      if (error.cause instanceof ApiRefusedError) {
        return { kind: error.cause.httpStatus === 401 ? "unauthenticated" : "forbidden", code: error.cause.httpStatus === 401 ? "UNAUTHORIZED" : "FORBIDDEN", message: error.cause.message, fieldErrors: [], domainCode: null };
      }
      const cause = error.cause instanceof ApiUnreachableError ? error.cause.message : error.message;
      return { kind: "unreachable", code: "UNREACHABLE", message: cause, fieldErrors: [], domainCode: null };
    }
    const fieldErrors = Array.isArray(data?.fieldErrors) ? data.fieldErrors.filter(isFieldError) : [];
    return {
      kind: KIND_BY_CODE[code] ?? "server",
      code,
      message: error.message,
      fieldErrors,
      domainCode: typeof data?.domainCode === "string" ? data.domainCode : null,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "unreachable", code: "UNREACHABLE", message, fieldErrors: [], domainCode: null };
}

/** True when the call failed because the session is gone (expired, signed out elsewhere). */
export function isSessionExpired(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: unknown } | null | undefined)?.code === "UNAUTHORIZED";
}

/** The login page's address that brings the user back to `current` afterwards. */
export function loginHref(current: string, reason?: "expired"): string {
  const params = new URLSearchParams();
  if (current && current !== "/" && current.startsWith("/") && !current.startsWith("//") && !current.startsWith("/login")) params.set("next", current);
  if (reason) params.set("reason", reason);
  const query = params.toString();
  return query ? `/login?${query}` : "/login";
}

/** Where to go after signing in: only same-origin paths, never another site. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || next.startsWith("/login")) return "/";
  return next;
}
