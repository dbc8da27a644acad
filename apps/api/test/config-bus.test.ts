// Fan-out across manager replicas: a version bump committed through one
// connection (another replica) wakes this replica's streams through
// LISTEN/NOTIFY, without waiting for the poll. Needs a real PostgreSQL:
// PGlite's socket server does not pass NOTIFY between connections.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { ConfigBus } from "../src/features/distribution/config-bus.ts";
import { DistributionRepository } from "../src/features/distribution/distribution.repository.ts";
import { startTestManager, type TestManager } from "../src/testing.ts";

describe.skipIf(!process.env.DATABASE_URL)("config bus on PostgreSQL", () => {
  let m: TestManager;
  let bus: ConfigBus;

  beforeAll(async () => {
    m = await startTestManager();
    const repo = new DistributionRepository(m.db.prisma);
    // An hour-long poll: only a notification can wake the waiter in time.
    bus = new ConfigBus({ readVersions: () => repo.versions(), listenUrl: m.db.url, pollIntervalMs: 3_600_000, log: createLogger("silent") });
  });
  afterAll(async () => {
    await bus?.close();
    await m?.stop();
  });

  it("hears another replica's committed bump within a second", async () => {
    const seen = await bus.current();
    await new Promise((r) => setTimeout(r, 300)); // the listener connects
    const woke = bus.waitForChange(seen, undefined, 5_000).then(() => performance.now());
    const started = performance.now();
    await m.db.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE "Mesh" SET "configVersion" = "configVersion" + 1`;
      await tx.$executeRaw`SELECT pg_notify('weft_config', 'config')`;
    });
    expect((await woke) - started).toBeLessThan(1_000);
    expect((await bus.current()).configVersion).toBe(seen.configVersion + 1n);
  });
});
