import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { parseConnectionUrl, withDatabase } from "./connection-url.ts";
import { initializedDataDir, startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded.ts";

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
    const embedded = await startFromInitializedDump();
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

/**
 * Where the dump of a just-initialized embedded database is kept for every
 * test process of this user: per PGlite version (a dump is read only by the
 * version that made it).
 */
export function initializedDumpFile(): string {
  const require = createRequire(import.meta.url);
  const pkg = join(dirname(require.resolve("@electric-sql/pglite")), "..", "package.json");
  const { version } = require(pkg) as { version: string };
  return join(tmpdir(), `weft-pglite-${version}-${process.getuid?.() ?? "user"}`, "initialized.tar");
}

let dump: Promise<Blob> | undefined;

/**
 * An in-memory embedded database started from the dump of a just-initialized
 * one instead of running initdb (which takes most of its start: ~4 s against
 * ~1.4 s on 2 cores, and the suites start one per test manager). The dump is
 * made once per machine, by the first process that needs it, and written
 * atomically; one that cannot be read or loaded is made again.
 */
async function startFromInitializedDump(): Promise<EmbeddedDatabase> {
  const file = initializedDumpFile();
  dump ??= readFile(file).then(
    (bytes) => new Blob([bytes]),
    async () => {
      const made = await initializedDataDir();
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const partial = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
      await writeFile(partial, new Uint8Array(await made.arrayBuffer()), { mode: 0o600 });
      await rename(partial, file);
      return made;
    },
  );
  try {
    return await startEmbeddedDatabase({ loadDataDir: await dump });
  } catch {
    // A dump another version or a crash left behind: made again by the next start; this one runs initdb.
    dump = undefined;
    await rm(file, { force: true });
    return startEmbeddedDatabase();
  }
}
