import { randomBytes } from "node:crypto";
import pg from "pg";
import { parseConnectionUrl, withDatabase } from "./connection-url.ts";
import { startEmbeddedDatabase } from "./embedded.ts";

/** A database that exists for one test file and is dropped afterwards. */
export interface TestDatabase {
  url: string;
  kind: "external" | "embedded";
  /**
   * The pool size clients must use: 1 for the embedded server, which
   * multiplexes a single PostgreSQL session and breaks under concurrent
   * extended-protocol traffic from several connections.
   */
  maxConnections: number;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for a test: a new database on the server in
 * DATABASE_URL when it is set (what CI does), otherwise an in-memory
 * embedded PostgreSQL.
 */
export async function createTestDatabase(baseUrl = process.env.DATABASE_URL): Promise<TestDatabase> {
  if (!baseUrl) {
    const embedded = await startEmbeddedDatabase();
    return { url: embedded.url, kind: "embedded", maxConnections: 1, drop: () => embedded.stop() };
  }
  parseConnectionUrl(baseUrl);
  const name = `weft_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(baseUrl, name),
    kind: "external",
    maxConnections: 10,
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
