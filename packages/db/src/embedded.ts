import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { DatabaseError } from "./errors.ts";
import { lockStateDir, type StateLock } from "./state-lock.ts";

/** A running embedded PostgreSQL reachable over the wire protocol on loopback. */
export interface EmbeddedDatabase {
  /** postgresql:// URL for clients on this machine. */
  url: string;
  /** The loopback TCP port, or undefined when served on a Unix socket. */
  port: number | undefined;
  /** Where clients connect: a socket path or 127.0.0.1:port. */
  address: string;
  /** Where the data lives; undefined for an in-memory database. */
  dataDir: string | undefined;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** State folder; the data goes in `<home>/pgdata`. Omit for an in-memory database. */
  home?: string;
  /**
   * Serve on this loopback TCP port instead of a Unix socket (unset or 0:
   * the socket when there is a home folder, else any free port). PGlite has no authentication, so a TCP port lets every local user
   * in; with a home folder the default is a socket inside it that only the
   * folder's owner can reach. Without a home folder (throwaway databases in
   * tests and db:diff) TCP on a free port is used.
   */
  port?: number;
  /**
   * Start an in-memory database from this dump of a data folder (PGlite's
   * `dumpDataDir`, see initializedDataDir) instead of running initdb: about
   * a second instead of several on 2 cores. Not with `home`.
   */
  loadDataDir?: Blob;
}

/** PostgreSQL's socket file name for port 5432; clients find it from `?host=<dir>`. */
const SOCKET_NAME = ".s.PGSQL.5432";
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

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
  if (options.home && options.loadDataDir) throw new Error("loadDataDir starts an in-memory database: it cannot be combined with home");
  let lock: StateLock | undefined;
  let dataDir: string | undefined;
  if (options.home) {
    lock = lockStateDir(options.home);
    dataDir = join(options.home, "pgdata");
    mkdirSync(dataDir, { recursive: true });
  }
  const socketDir = options.home && !options.port ? join(options.home, "run") : undefined;
  const socketPath = socketDir ? join(socketDir, SOCKET_NAME) : undefined;
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    if (socketDir && socketPath) {
      if (socketPath.length > MAX_SOCKET_PATH) {
        throw new DatabaseError(
          "INVALID_URL",
          "WEFT_HOME",
          `the embedded database's socket ${socketPath} is longer than a Unix socket path may be (${MAX_SOCKET_PATH}); use a shorter WEFT_HOME, or set WEFT_DB_PORT to serve it on loopback TCP`,
        );
      }
      mkdirSync(socketDir, { recursive: true, mode: 0o700 });
      chmodSync(socketDir, 0o700);
      // A socket file left by a crash would make listen() fail; the lock says nobody uses it.
      rmSync(socketPath, { force: true });
    }
    db = await PGlite.create(dataDir ? { dataDir } : options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
    server = socketPath
      ? new PGLiteSocketServer({ db, path: socketPath, maxConnections: MAX_CONNECTIONS })
      : new PGLiteSocketServer({ db, host: "127.0.0.1", port: options.port ?? 0, maxConnections: MAX_CONNECTIONS });
    await server.start();
  } catch (err) {
    await db?.close().catch(() => undefined);
    lock?.release();
    throw err;
  }
  const address = server.getServerConn();
  const port = socketPath ? undefined : Number(address.slice(address.lastIndexOf(":") + 1));
  let stopped: Promise<void> | undefined;
  const running = { db, server };
  return {
    url: socketDir ? `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}` : `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    address,
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

/**
 * The data folder of a just-initialized database (after initdb, before
 * anything else), as a dump an in-memory database can start from
 * (`loadDataDir`).
 */
export async function initializedDataDir(): Promise<Blob> {
  const db = await PGlite.create({});
  try {
    return await db.dumpDataDir("none");
  } finally {
    await db.close();
  }
}
