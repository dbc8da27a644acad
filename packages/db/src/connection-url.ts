import { DatabaseError } from "./errors.ts";

/** A validated PostgreSQL connection URL. */
export interface ConnectionTarget {
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** The URL with any password replaced by `***`, safe to log. */
  redacted: string;
  /** host:port/database, or socket-dir/database for a Unix socket; never credentials. */
  display: string;
}

/**
 * Parses and checks a PostgreSQL URL. `setting` names where it came from so
 * the error tells the operator which variable to fix.
 */
export function parseConnectionUrl(raw: string, setting = "DATABASE_URL"): ConnectionTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DatabaseError("INVALID_URL", setting, "is not a valid URL; expected postgresql://user:password@host:5432/database");
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new DatabaseError(
      "INVALID_URL",
      setting,
      `uses the scheme "${url.protocol.replace(/:$/, "")}"; expected postgresql://user:password@host:5432/database`,
    );
  }
  if (!url.hostname && !url.searchParams.get("host")) {
    throw new DatabaseError("INVALID_URL", setting, "names no host; expected postgresql://user:password@host:5432/database");
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!database) {
    throw new DatabaseError("INVALID_URL", setting, "names no database; add it after the host, e.g. postgresql://localhost:5432/weft");
  }
  const port = url.port ? Number(url.port) : 5432;
  // As in libpq and pg, a `host` parameter wins over the authority; a path there is a socket folder.
  const host = url.searchParams.get("host") ?? url.hostname;
  const redactedUrl = new URL(raw);
  if (redactedUrl.password) redactedUrl.password = "***";
  return {
    url: raw,
    host,
    port,
    database,
    user: decodeURIComponent(url.username),
    redacted: redactedUrl.toString(),
    display: host.startsWith("/") ? `${host}/${database}` : `${host}:${port}/${database}`,
  };
}

/** Replaces a database name in a URL, keeping credentials and parameters. */
export function withDatabase(raw: string, database: string): string {
  const url = new URL(raw);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
