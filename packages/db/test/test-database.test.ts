// Embedded test databases start from the dump of an initialized one (no initdb per test database).
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import pg from "pg";
import { describe, expect, it, vi } from "vitest";
import { startEmbeddedDatabase } from "../src/embedded.ts";
import type * as TestingModule from "../src/testing.ts";

type Testing = typeof TestingModule;
/** The testing module as a new process loads it: nothing of the dump held in memory yet. */
const freshModule = async (): Promise<Testing> => {
  vi.resetModules();
  return import("../src/testing.ts");
};
const query = async (url: string, sql: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
};
const userTables = async (url: string) => (await query(url, "select tablename from pg_tables where schemaname = 'public' order by tablename")).map((r) => r.tablename);

describe("embedded test databases", { timeout: 120_000 }, () => {
  it("start empty from the initialized dump, each its own database", async () => {
    const { createTestDatabase, initializedDumpFile } = await freshModule();
    const a = await createTestDatabase("");
    const b = await createTestDatabase("");
    try {
      expect(a.kind).toBe("embedded");
      expect(await userTables(a.url)).toEqual([]);
      await query(a.url, "create table mine (id int primary key)");
      await query(a.url, "insert into mine values (1)");
      expect(await query(a.url, "select id from mine")).toEqual([{ id: 1 }]);
      expect(await userTables(b.url)).toEqual([]);
      expect(await query(b.url, "select current_user as u, current_database() as d")).toEqual([{ u: "postgres", d: "postgres" }]);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
    expect(initializedDumpFile().startsWith(tmpdir())).toBe(true);
    expect((await readFile(initializedDumpFile())).length).toBeGreaterThan(1_000_000);
  });

  it("starts anyway when the dump on disk cannot be loaded, and the next process makes it again", async () => {
    const first = await freshModule();
    await writeFile(first.initializedDumpFile(), "not a tarball");
    const db = await first.createTestDatabase("");
    try {
      expect(await userTables(db.url)).toEqual([]);
    } finally {
      await db.drop();
    }
    const second = await freshModule();
    const again = await second.createTestDatabase("");
    await again.drop();
    expect((await readFile(second.initializedDumpFile())).length).toBeGreaterThan(1_000_000);
  });

  it("refuses a dump together with a home folder (a dump starts an in-memory database)", async () => {
    await expect(startEmbeddedDatabase({ home: tmpdir(), loadDataDir: new Blob([]) })).rejects.toThrow(/cannot be combined with home/);
  });
});
