// The leader-elected controller loop every manager controller runs on
// (controllers/leader-loop.ts): a step runs in one transaction under the
// controller's advisory lock, commits or rolls back whole, never overlaps
// itself, and on a real PostgreSQL only one replica leads at a time while
// the others skip, then carry on from the state the leader committed.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Database } from "@weft/db";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CONTROLLER_LOCKS, controllerLockKey } from "../src/controllers/controller-locks.ts";
import { LeaderLoop, type LeaderLoopOptions } from "../src/controllers/leader-loop.ts";
import { MeshRepository } from "../src/features/mesh/mesh.repository.ts";
import { createLogger } from "../src/logger.ts";
import { createServices, type Services } from "../src/services.ts";
import { TEST_SERVICE_SETTINGS } from "../src/testing.ts";
import { UnitOfWork, type TransactionRepositories } from "../src/unit-of-work.ts";

const log = createLogger("silent");

/** A promise the test resolves by hand: holds a step (and its transaction, and its lock) open. */
function gate(): { wait: Promise<void>; open(): void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The stored state the test controllers advance: the mesh's config version. */
async function storedVersion(db: Database): Promise<bigint> {
  return ((await new MeshRepository(db.prisma).get()) as { configVersion: bigint }).configVersion;
}

function loop(db: Database, options: Partial<LeaderLoopOptions<bigint>> & Pick<LeaderLoopOptions<bigint>, "step">): LeaderLoop<bigint> {
  return new LeaderLoop(new UnitOfWork(db.prisma), log, { name: "test controller", lockKey: controllerLockKey("wefttst"), intervalMs: 20, ...options });
}

/** A step that advances the stored state by one, inside the leader's transaction. */
const advance = async (tx: TransactionRepositories): Promise<bigint> => tx.mesh.bumpConfigVersion(((await tx.mesh.get()) as { id: string }).id);

describe("controller lock keys", () => {
  it.each([
    ["weftrot", 0x77656674726f74n],
    ["a", 0x61n],
  ])("%s reads as %s", (name, key) => {
    expect(controllerLockKey(name)).toBe(key);
  });

  it.each(["", "eightchr", "wéft"])("refuses %j as a lock name", (name) => {
    expect(() => controllerLockKey(name)).toThrow(/1 to 7 printable ASCII characters/);
  });

  it("gives every controller its own key (a shared key would elect one leader for both)", () => {
    const keys = Object.values(CONTROLLER_LOCKS);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("leader loop", () => {
  let testDb: TestDatabase;
  let db: Database;
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "weft-leader-test-"));
    testDb = await createTestDatabase();
    db = await openDatabase({ databaseUrl: testDb.url, maxConnections: testDb.maxConnections, home, migrate: true });
    await new MeshRepository(db.prisma).ensureDefault("weft.local");
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
    await rm(home, { recursive: true, force: true });
  });

  it("commits a step whole, then runs afterCommit with its result; a failing step leaves nothing behind", async () => {
    const before = await storedVersion(db);
    const committed: bigint[] = [];
    const ok = loop(db, { step: advance, afterCommit: async (v) => void committed.push(v) });
    expect(await ok.tick()).toEqual({ leader: true, result: before + 1n });
    expect(committed).toEqual([before + 1n]);
    const failing = loop(db, {
      step: async (tx) => {
        await advance(tx);
        throw new Error("the controller's decision failed");
      },
      afterCommit: async (v) => void committed.push(v),
    });
    await expect(failing.tick()).rejects.toThrow("the controller's decision failed");
    expect(await storedVersion(db)).toBe(before + 1n);
    expect(committed).toEqual([before + 1n]);
  });

  it("ticks on its timer, never two steps at once, and stop waits for the step in progress", async () => {
    // The loop's timer, fired by hand: a tick that finds the previous one still running must do nothing.
    const fired: (() => void)[] = [];
    const realSetInterval = globalThis.setInterval;
    const spy = vi.spyOn(globalThis, "setInterval").mockImplementation(((fn: () => void) => {
      fired.push(fn);
      return realSetInterval(() => {}, 3_600_000);
    }) as typeof setInterval);
    const held = gate();
    let steps = 0;
    const ticking = loop(db, {
      step: async (tx) => {
        steps++;
        await held.wait;
        return advance(tx);
      },
    });
    ticking.start();
    spy.mockRestore();
    const fire = fired[0] as () => void;
    fire();
    await until(() => steps === 1, "the first step");
    fire();
    fire();
    let stopped = false;
    const stopping = ticking.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect([steps, stopped]).toEqual([1, false]);
    held.open();
    await stopping;
    expect([steps, stopped]).toEqual([1, true]);
  });

  it("runs a poke after the tick in progress, never beside it; a direct tick waits its turn; pokes count only while started", async () => {
    const held = gate();
    let steps = 0;
    let inside = 0;
    let most = 0;
    const told: string[] = [];
    const poked = loop(db, {
      intervalMs: 3_600_000,
      onTick: (name, outcome) => told.push(`${name} ${outcome}`),
      step: async (tx) => {
        steps++;
        most = Math.max(most, ++inside);
        if (steps === 1) await held.wait;
        inside--;
        return advance(tx);
      },
    });
    poked.poke();
    await poked.idle();
    expect(steps).toBe(0);
    poked.start();
    poked.poke();
    await until(() => steps === 1, "the poked step");
    poked.poke();
    poked.poke();
    const direct = poked.tick();
    await new Promise((r) => setTimeout(r, 20));
    expect(steps).toBe(1);
    held.open();
    // On PostgreSQL a tick beside the first would have lost the lock to it: this one waited and led.
    expect((await direct).leader).toBe(true);
    await poked.idle();
    // The first, the direct one, then one for the two pokes that came during the first.
    expect([steps, most]).toEqual([3, 1]);
    expect(told).toEqual(["test controller led", "test controller led", "test controller led"]);
    await poked.stop();
    poked.poke();
    await poked.idle();
    expect(steps).toBe(3);
  });

  it("counts a manager's controller ticks in that manager's metrics only (several managers in one process)", async () => {
    const [one, two] = [createServices(db, log, TEST_SERVICE_SETTINGS), createServices(db, log, TEST_SERVICE_SETTINGS)];
    try {
      await one.controllers.notifications.tick();
      await one.controllers.notifications.tick();
      const ticks = async (s: Services) => (await s.metrics.exposition()).text.split("\n").find((l) => l.startsWith('weft_manager_controller_ticks_total{controller="notification sender",outcome="led"}')) ?? null;
      expect(await ticks(one)).toMatch(/ 2$/);
      expect(await ticks(two)).toBeNull();
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  // One replica leading at a time needs two sessions: the embedded database multiplexes one session (a pool of one).
  describe.skipIf(!process.env.DATABASE_URL)("two replicas on PostgreSQL", () => {
    let other: Database;

    beforeAll(async () => {
      other = await openDatabase({ databaseUrl: testDb.url, home });
    });
    afterAll(async () => {
      await other?.close();
    });

    it("lets one replica lead while the other skips, then the other resumes from what the leader committed", async () => {
      const held = gate();
      const before = await storedVersion(db);
      let leaderStepped = false;
      const leader = loop(db, {
        step: async (tx) => {
          leaderStepped = true;
          const v = await advance(tx);
          await held.wait;
          return v;
        },
      });
      const follower = loop(other, { step: advance });
      const leading = leader.tick();
      await until(() => leaderStepped, "the leader's step");
      expect(await follower.tick()).toEqual({ leader: false });
      // Another controller's key is its own election.
      const neighbour = loop(other, { lockKey: controllerLockKey("weftnbr"), step: async () => 0n });
      expect(await neighbour.tick()).toEqual({ leader: true, result: 0n });
      held.open();
      expect(await leading).toEqual({ leader: true, result: before + 1n });
      expect(await follower.tick()).toEqual({ leader: true, result: before + 2n });
    });
  });
});
