import type { DbClient } from "../db-client.ts";

/** Leader election for controller loops: PostgreSQL advisory locks held by a transaction. */
export class LeaderLockRepository {
  constructor(private readonly db: DbClient) {}

  /**
   * True when this transaction now holds the advisory lock `key` (released at
   * commit or rollback, so no connection is held between ticks: the embedded
   * database has a pool of one); false when another session holds it.
   */
  async tryLock(key: bigint): Promise<boolean> {
    const [row] = await this.db.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${key}) AS locked`;
    return row?.locked === true;
  }
}
