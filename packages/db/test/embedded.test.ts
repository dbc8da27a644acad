import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../src/database.ts";
import { DatabaseError } from "../src/errors.ts";

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
});
