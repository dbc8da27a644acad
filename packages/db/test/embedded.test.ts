import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../src/database.ts";
import { startEmbeddedDatabase } from "../src/embedded.ts";
import { DatabaseError } from "../src/errors.ts";
import { lockStateDir } from "../src/state-lock.ts";

describe("embedded database", () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), "weft-home-"));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("starts from scratch, migrates, and keeps its data across a restart", async () => {
    const first = await openDatabase({ home, migrate: true });
    expect(first.kind).toBe("embedded");
    expect(first.appliedMigrations.length).toBeGreaterThan(0);
    await first.prisma.mesh.create({ data: { name: "default", trustDomain: "weft.local" } });
    expect((await first.health()).status).toBe("up");
    await first.close();

    const second = await openDatabase({ home, migrate: true });
    try {
      expect(second.appliedMigrations).toEqual([]);
      const meshes = await second.prisma.mesh.findMany();
      expect(meshes.map((m) => [m.name, m.trustDomain, m.mtlsMode])).toEqual([["default", "weft.local", "STRICT"]]);
    } finally {
      await second.close();
    }
  });

  it("refuses a second manager on the same state folder with a clear error, and frees it on close", async () => {
    const first = await openDatabase({ home, migrate: true });
    try {
      const err = await openDatabase({ home }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseError);
      expect((err as DatabaseError).code).toBe("STATE_DIR_LOCKED");
      expect((err as Error).message).toMatch(new RegExp(`^WEFT_HOME: the state folder ${home} is in use by process ${process.pid}`));
      // The first manager is unharmed.
      expect((await first.health()).status).toBe("up");
    } finally {
      await first.close();
    }
    const again = await openDatabase({ home });
    await again.close();
  });

  it("serves a home folder's database only on a socket its owner can reach, never on TCP", async () => {
    const db = await startEmbeddedDatabase({ home });
    try {
      expect(db.port).toBeUndefined();
      expect(db.address).toBe(join(home, "run", ".s.PGSQL.5432"));
      expect((await stat(join(home, "run"))).mode & 0o777).toBe(0o700);
      expect(db.url).not.toMatch(/127\.0\.0\.1/);
    } finally {
      await db.stop();
    }
  });

  it("names WEFT_HOME when the state folder is too deep for a Unix socket", async () => {
    const deep = join(home, "x".repeat(120));
    const err = await startEmbeddedDatabase({ home: deep }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(/^WEFT_HOME: the embedded database's socket .* is longer than a Unix socket path may be/);
    // The failed start released its lock.
    lockStateDir(deep).release();
  });
});
