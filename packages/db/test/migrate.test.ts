import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, createMigration, loadMigrations, pendingSchemaChanges } from "../src/migrate.ts";
import { migrationsDir, schemaPath } from "../src/paths.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing.ts";

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    return rows.map((r) => r.table_name);
  } finally {
    await client.end();
  }
}

describe("migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("creates every table on an empty database and records it in _prisma_migrations", async () => {
    const expected = (await loadMigrations(migrationsDir)).migrationDirectories.map((m) => m.path);
    expect(await applyMigrations(db.url)).toEqual(expected);
    expect(await tables(db.url)).toEqual(
      expect.arrayContaining(["Mesh", "Cluster", "Service", "Workload", "Endpoint", "User", "Session", "ApiToken", "AuditEvent", "Resource", "ResourceRevision", "_prisma_migrations"]),
    );
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query("SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name");
    await client.end();
    expect(rows).toEqual(expected.map((migration_name) => ({ migration_name, finished: true })));
  });

  it("is a no-op when applied again", async () => {
    expect(await applyMigrations(db.url)).toEqual([]);
  });
});

describe("schema and migrations", () => {
  it("schema.prisma has no change that lacks a migration (run npm run db:diff -- --name <name>)", async () => {
    expect(await pendingSchemaChanges()).toBeUndefined();
  });

  it("db:diff writes a migration for a schema change and nothing when there is none", async () => {
    const work = await mkdtemp(join(tmpdir(), "weft-diff-"));
    try {
      const dir = join(work, "migrations");
      await cp(migrationsDir, dir, { recursive: true });
      const changed = join(work, "schema.prisma");
      const { readFile } = await import("node:fs/promises");
      const original = await readFile(schemaPath, "utf8");
      await writeFile(changed, `${original}\nmodel Scratch {\n  id   Int    @id\n  note String\n}\n`);

      const folder = await createMigration("add_scratch", { schemaPath: changed, migrationsDir: dir }, new Date("2030-01-02T03:04:05Z"));
      expect(folder).toBe(join(dir, "20300102030405_add_scratch"));
      const sql = await readFile(join(folder!, "migration.sql"), "utf8");
      expect(sql).toContain('CREATE TABLE "Scratch"');
      expect(sql).not.toContain('CREATE TABLE "Mesh"');

      expect(await createMigration("again", { schemaPath: changed, migrationsDir: dir })).toBeUndefined();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it("refuses a migration name that would make an awkward folder", async () => {
    await expect(createMigration("Add Users")).rejects.toThrow(/--name: "Add Users" must be lower-case/);
  });
});
