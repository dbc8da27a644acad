import pg from "pg";
import type { ConnectionTarget } from "./connection-url.ts";
import { DatabaseError } from "./errors.ts";

/**
 * Connects once and runs `SELECT 1`, turning driver errors into ones that
 * name the setting and say what to do. Used before migrating or serving, so
 * a wrong DATABASE_URL fails at start with a clear message.
 */
export async function probeDatabase(target: ConnectionTarget, setting = "DATABASE_URL", timeoutMs = 5_000): Promise<void> {
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: timeoutMs });
  // A failed connection also emits 'error'; the rejected connect() reports it.
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    throw describeConnectError(err, target, setting);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function describeConnectError(err: unknown, target: ConnectionTarget, setting: string): DatabaseError {
  const e = err as { code?: string; message?: string };
  const where = target.host.startsWith("/") ? target.host : `${target.host}:${target.port}`;
  switch (e.code) {
    case "ECONNREFUSED":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ETIMEDOUT":
      return new DatabaseError("UNREACHABLE", setting, `cannot reach PostgreSQL at ${where} (${e.code}). Is the server running and listening there?`, { cause: err });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new DatabaseError("UNREACHABLE", setting, `the host "${target.host}" does not resolve (${e.code}).`, { cause: err });
    case "28P01":
    case "28000":
      return new DatabaseError("AUTH_FAILED", setting, `PostgreSQL at ${where} refused user "${target.user}": ${e.message ?? "authentication failed"}.`, { cause: err });
    case "3D000":
      return new DatabaseError("NO_SUCH_DATABASE", setting, `the database "${target.database}" does not exist on ${where}. Create it first (createdb ${target.database}).`, { cause: err });
  }
  const timedOut = /timeout/i.test(e.message ?? "");
  return new DatabaseError(
    "UNREACHABLE",
    setting,
    timedOut ? `no answer from PostgreSQL at ${where} within the connect timeout.` : `cannot connect to PostgreSQL at ${where}: ${e.message ?? String(err)}`,
    { cause: err },
  );
}
