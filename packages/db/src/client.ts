import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export interface PrismaClientOptions {
  /** A validated postgresql:// URL. */
  url: string;
  /** Pool size. The embedded database is single-session: use 1 there. */
  maxConnections?: number;
}

/** The connection pool under a Prisma client, as metrics see it. */
export interface DatabasePool {
  /** Connections now: `inUse` checked out by a query or transaction, `idle` open and free, `waiting` requests queued for one, `max` the pool's size. */
  stats(): { inUse: number; idle: number; waiting: number; max: number };
  /**
   * Calls `listener` each time a query or transaction gets a connection, with
   * the seconds it waited for it (a new connection's set-up included).
   * Returns the unsubscribe function.
   */
  onAcquire(listener: (seconds: number) => void): () => void;
}

/** A Prisma client on the `@prisma/adapter-pg` driver adapter (no native query engine), and the pg pool under it. */
export function createPrismaClient({ url, maxConnections = 10 }: PrismaClientOptions): { prisma: PrismaClient; pool: DatabasePool } {
  const pool = new pg.Pool({ connectionString: url, max: maxConnections, connectionTimeoutMillis: 5_000 });
  const watched = watchPool(pool, maxConnections);
  // The adapter ends the pool it was given when the client disconnects.
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  return { prisma: new PrismaClient({ adapter }), pool: watched };
}

/**
 * Times every checkout of `pool`: the adapter takes a connection with
 * `pool.connect()` for transactions and `pool.query()` (which calls
 * `this.connect`) for single statements, so wrapping `connect` sees both.
 */
function watchPool(pool: pg.Pool, max: number): DatabasePool {
  const listeners = new Set<(seconds: number) => void>();
  const acquired = (started: number) => {
    const seconds = (performance.now() - started) / 1000;
    for (const listener of listeners) listener(seconds);
  };
  const connect = pool.connect.bind(pool) as (cb?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void) => Promise<pg.PoolClient> | undefined;
  const timed = (cb?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void) => {
    const started = performance.now();
    if (cb)
      return connect((err, client, done) => {
        if (!err) acquired(started);
        cb(err, client, done);
      });
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      acquired(started);
      return client;
    });
  };
  pool.connect = timed as typeof pool.connect;
  return {
    stats: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount, max }),
    onAcquire(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
