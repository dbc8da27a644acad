import { parseConnectionUrl, type ConnectionTarget } from "./connection-url.ts";
import { createPrismaClient, type DatabasePool } from "./client.ts";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import { applyMigrations, loadMigrations, type MigrationPaths } from "./migrate.ts";
import { migrationsDir as defaultMigrationsDir } from "./paths.ts";
import { probeDatabase } from "./probe.ts";

export type DatabaseKind = "external" | "embedded";

/** What `/healthz` reports about the database. */
export interface DatabaseHealth {
  status: "up" | "down";
  kind: DatabaseKind;
  /** host:port/database (or socket folder/database), never credentials. */
  target: string;
  latencyMs?: number;
  error?: string;
  /**
   * Migrations compared with prisma/migrations as this manager ships it:
   * `pending` ones it knows that the database has not recorded, `unknown`
   * ones the database recorded that it does not know (a newer manager ran).
   * Absent when the database is down.
   */
  migrations?: { applied: number; latest: string | null; pending: string[]; unknown: string[] };
}

export interface Database {
  prisma: PrismaClient;
  /** The client's connection pool: its counts and how long checkouts wait (the manager's /metrics). */
  pool: DatabasePool;
  kind: DatabaseKind;
  /** The URL clients use; for the embedded database, a loopback port. */
  url: string;
  /** Migrations applied while opening (empty when already up to date or not migrating). */
  appliedMigrations: string[];
  health(): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions extends MigrationPaths {
  /** DATABASE_URL; when absent the embedded database is started in `home`. */
  databaseUrl?: string;
  /** The state folder (WEFT_HOME) for the embedded database. */
  home: string;
  /** Apply pending migrations before returning. */
  migrate?: boolean;
  /** Loopback TCP port for the embedded database instead of its socket (see EmbeddedOptions.port). */
  embeddedPort?: number;
  /**
   * Pool size; defaults to 10 for DATABASE_URL and 1 for the embedded
   * database. A URL that points at a PGlite server (test databases) must
   * pass 1 too.
   */
  maxConnections?: number;
}

/**
 * Opens the manager's database: the PostgreSQL in DATABASE_URL, or with none
 * set, an embedded PostgreSQL whose data lives in the state folder. Both are
 * used through the same Prisma client and migrated by the same tool.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let target: ConnectionTarget;
  if (options.databaseUrl) {
    target = parseConnectionUrl(options.databaseUrl, "DATABASE_URL");
    await probeDatabase(target, "DATABASE_URL");
  } else {
    embedded = await startEmbeddedDatabase({ home: options.home, port: options.embeddedPort });
    target = parseConnectionUrl(embedded.url, "embedded database");
  }
  const kind: DatabaseKind = embedded ? "embedded" : "external";
  try {
    const appliedMigrations = options.migrate ? await applyMigrations(target.url, options) : [];
    // The embedded server multiplexes one PostgreSQL session: one connection keeps statements from interleaving.
    const { prisma, pool } = createPrismaClient({ url: target.url, maxConnections: options.maxConnections ?? (embedded ? 1 : 10) });
    const where = target.display;
    const known = (await loadMigrations(options.migrationsDir ?? defaultMigrationsDir)).migrationDirectories.map((d) => d.path);
    return {
      prisma,
      pool,
      kind,
      url: target.url,
      appliedMigrations,
      async health() {
        const started = performance.now();
        try {
          await prisma.$queryRaw`SELECT 1`;
          const latencyMs = Math.round((performance.now() - started) * 10) / 10;
          return { status: "up", kind, target: where, latencyMs, migrations: await migrationStatus(prisma, known) };
        } catch (err) {
          return { status: "down", kind, target: where, error: (err as Error).message.split("\n")[0] };
        }
      },
      async close() {
        await prisma.$disconnect();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}

/** What `_prisma_migrations` (the table `prisma migrate deploy` keeps) says against the migrations this code ships. */
async function migrationStatus(prisma: PrismaClient, known: readonly string[]): Promise<NonNullable<DatabaseHealth["migrations"]>> {
  const rows = await prisma.$queryRaw<{ migration_name: string }[]>`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`.catch(() => []);
  const applied = new Set(rows.map((r) => r.migration_name));
  return {
    applied: applied.size,
    latest: rows.at(-1)?.migration_name ?? null,
    pending: known.filter((m) => !applied.has(m)),
    unknown: [...applied].filter((m) => !known.includes(m)),
  };
}
