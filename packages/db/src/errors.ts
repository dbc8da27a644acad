/** Machine-readable reasons a database could not be opened or migrated. */
export type DatabaseErrorCode =
  | "INVALID_URL"
  | "UNREACHABLE"
  | "AUTH_FAILED"
  | "NO_SUCH_DATABASE"
  | "STATE_DIR_LOCKED"
  | "MIGRATION_FAILED";

/**
 * An error an operator can act on: it names the setting (`DATABASE_URL`,
 * `WEFT_HOME`, ...) and says what is wrong with it. Never carries a password.
 */
export class DatabaseError extends Error {
  override readonly name = "DatabaseError";
  constructor(
    readonly code: DatabaseErrorCode,
    /** The environment variable or setting the problem is about. */
    readonly setting: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${setting}: ${message}`, options);
  }
}
