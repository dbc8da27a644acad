// npm run db:diff -- --name <name> — writes a migration for what schema.prisma
// changed since the last migration. Needs no database: see pendingSchemaChanges.
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { createMigration } from "../migrate.ts";
import { runCli } from "./run-cli.ts";

await runCli(async () => {
  const { values } = parseArgs({ options: { name: { type: "string" } } });
  if (!values.name) throw new Error("--name: is required, e.g. npm run db:diff -- --name add_rollouts");
  const folder = await createMigration(values.name);
  console.log(folder ? `Wrote ${relative(process.cwd(), folder)}/migration.sql` : "schema.prisma matches the migrations; nothing to write.");
});
