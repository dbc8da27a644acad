// The database pool on the manager's /metrics: how long queries wait for a
// connection, and the pool's in-use, idle and waiting counts — read from the
// real pg pool under Prisma, with a pool of one connection and two slow
// queries at once, so the second one has to wait for the first.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Database } from "@weft/db";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlPlaneMetrics } from "../src/features/control-plane/control-plane-metrics.ts";
import { createLogger } from "../src/logger.ts";
import { bootstrapManager } from "../src/manager.ts";
import { createServices, type Services } from "../src/services.ts";
import { TEST_SERVICE_SETTINGS } from "../src/testing.ts";

/** The value of one series in an exposition text (NaN when absent). */
const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}".+]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);

/** Polls until `check` returns a value (a condition, never a fixed sleep). */
async function until<T>(check: () => Promise<T | false>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await check();
    if (result !== false) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("the database pool in the manager's metrics", { timeout: 60_000 }, () => {
  let testDb: TestDatabase;
  let db: Database;
  let services: Services | undefined;
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "weft-db-pool-"));
    testDb = await createTestDatabase();
    // One connection: the second of two concurrent queries must wait for the first.
    db = await openDatabase({ databaseUrl: testDb.url, maxConnections: 1, home, migrate: true });
  });
  afterAll(async () => {
    await services?.close();
    await db?.close();
    await testDb?.drop();
    await rm(home, { recursive: true, force: true });
  });

  it("counts the connection in use and the query waiting for it, then the wait, in a text promtool accepts", async () => {
    // Metrics on this pool alone: a manager's own loops would take the connection too and blur the counts.
    const metrics = new ControlPlaneMetrics({ versions: async () => ({ configVersion: 0n, catalogVersion: 0n, trustBundleVersion: 0n }), openStreams: () => new Map(), pool: db.pool });
    const scrape = async () => (await metrics.exposition()).text;
    const before = await scrape();
    expect(value(before, "weft_manager_db_pool_max_connections")).toBe(1);
    const waitsBefore = value(before, "weft_manager_db_pool_wait_seconds_count");

    let firstDone = false;
    const first = db.prisma.$executeRaw`SELECT pg_sleep(0.5)`.then(() => (firstDone = true));
    // The first query holds the only connection before the second asks for it.
    await until(async () => value(await scrape(), 'weft_manager_db_pool_connections{state="in_use"}') === 1, "the first query to hold the connection");
    const second = db.prisma.$executeRaw`SELECT 1`.then(() => undefined);
    const during = await until(async () => {
      const text = await scrape();
      return value(text, "weft_manager_db_pool_waiting") === 1 && text;
    }, "the second query to wait for the connection");
    expect(firstDone).toBe(false);
    expect(value(during, 'weft_manager_db_pool_connections{state="in_use"}')).toBe(1);
    expect(value(during, 'weft_manager_db_pool_connections{state="idle"}')).toBe(0);
    await Promise.all([first, second]);

    const after = await scrape();
    expect(value(after, "weft_manager_db_pool_waiting")).toBe(0);
    expect(value(after, 'weft_manager_db_pool_connections{state="in_use"}')).toBe(0);
    expect(value(after, 'weft_manager_db_pool_connections{state="idle"}')).toBe(1);
    expect(value(after, "weft_manager_db_pool_wait_seconds_count") - waitsBefore).toBe(2);
    // The second query waited while the first slept (half a second): at least one wait is past 0.1 s.
    expect(value(after, "weft_manager_db_pool_wait_seconds_count") - value(after, 'weft_manager_db_pool_wait_seconds_bucket{le="0.1"}')).toBeGreaterThanOrEqual(1);

    const check = spawnSync("promtool", ["check", "metrics"], { input: after, encoding: "utf8" });
    expect(check.error).toBeUndefined();
    expect({ status: check.status, problems: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, problems: "" });
  });

  it("is on the metrics of a manager built on that database", async () => {
    const log = createLogger("silent");
    services = createServices(db, log, TEST_SERVICE_SETTINGS);
    await bootstrapManager(services, { trustDomain: "weft.local", home, log, print: () => {} });
    const text = (await services.metrics.exposition()).text;
    expect(value(text, "weft_manager_db_pool_max_connections")).toBe(1);
    expect(value(text, "weft_manager_db_pool_wait_seconds_count")).toBeGreaterThanOrEqual(1);
  });
});
