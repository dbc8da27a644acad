// npm run db:migrate — applies prisma/migrations to the database in DATABASE_URL.
import { applyMigrations } from "../migrate.ts";
import { runCli } from "./run-cli.ts";

await runCli(async () => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL: is not set; point it at the PostgreSQL database to migrate");
  const applied = await applyMigrations(url);
  console.log(applied.length === 0 ? "Database is up to date; no migration applied." : `Applied ${applied.length} migration(s):\n${applied.map((n) => `  ${n}`).join("\n")}`);
});
