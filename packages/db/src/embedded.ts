import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { lockStateDir, type StateLock } from "./state-lock.ts";

/** A running embedded PostgreSQL reachable over the wire protocol on loopback. */
export interface EmbeddedDatabase {
  /** postgresql:// URL for clients on this machine. */
  url: string;
  port: number;
  /** Where the data lives; undefined for an in-memory database. */
  dataDir: string | undefined;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** State folder; the data goes in `<home>/pgdata`. Omit for an in-memory database. */
  home?: string;
  /** Loopback port; 0 picks a free one. */
  port?: number;
}

/**
 * Connections the socket server accepts at once. PGlite is single-session:
 * the server multiplexes connections and keeps a transaction on the
 * connection that opened it, but clients should still use one connection
 * for their own work (see `createPrismaClient`'s `embedded` pool size).
 */
const MAX_CONNECTIONS = 8;

/**
 * Starts PGlite and serves it on 127.0.0.1 so the same Prisma client and
 * migration tool used against a real PostgreSQL work unchanged. With a home
 * folder the data persists and the folder is locked against a second manager.
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  let lock: StateLock | undefined;
  let dataDir: string | undefined;
  if (options.home) {
    lock = lockStateDir(options.home);
    dataDir = join(options.home, "pgdata");
    mkdirSync(dataDir, { recursive: true });
  }
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    db = await PGlite.create(dataDir ? { dataDir } : {});
    server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: options.port ?? 0, maxConnections: MAX_CONNECTIONS });
    await server.start();
  } catch (err) {
    await db?.close().catch(() => undefined);
    lock?.release();
    throw err;
  }
  const address = server.getServerConn();
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  let stopped: Promise<void> | undefined;
  const running = { db, server };
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    dataDir,
    stop() {
      stopped ??= (async () => {
        try {
          await running.server.stop();
          await running.db.close();
        } finally {
          lock?.release();
        }
      })();
      return stopped;
    },
  };
}
