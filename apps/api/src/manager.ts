import { openDatabase, type Database } from "@weft/db";
import type { Env } from "./env.ts";
import type { Logger } from "./logger.ts";
import { startManagerServer, type ManagerServer } from "./server.ts";

export interface Manager {
  db: Database;
  api: ManagerServer;
  stop(): Promise<void>;
}

/** Opens (and migrates) the database, then serves the API. */
export async function startManager(env: Env, log: Logger): Promise<Manager> {
  const db = await openDatabase({ databaseUrl: env.DATABASE_URL, home: env.WEFT_HOME, migrate: true, embeddedPort: env.WEFT_DB_PORT });
  log.info({ database: db.kind, migrationsApplied: db.appliedMigrations }, db.kind === "embedded" ? `embedded PostgreSQL in ${env.WEFT_HOME}` : "connected to PostgreSQL");
  let api: ManagerServer;
  try {
    api = await startManagerServer({ db, log, host: env.WEFT_API_HOST, port: env.WEFT_API_PORT });
  } catch (err) {
    await db.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    db,
    api,
    stop() {
      stopping ??= (async () => {
        await api.close();
        await db.close();
      })();
      return stopping;
    },
  };
}
