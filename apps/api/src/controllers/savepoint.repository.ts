import type { DbClient } from "../db-client.ts";

/** Parts of a transaction that fail alone: SQL savepoints (a controller advancing several items in one step). */
export class SavepointRepository {
  private serial = 0;

  constructor(private readonly db: DbClient) {}

  /**
   * Runs `work` inside the caller's transaction so that, when it throws,
   * only what it wrote is rolled back (ROLLBACK TO SAVEPOINT) and the
   * transaction carries on; the error is returned, not thrown.
   */
  async isolated<T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    const name = `weft_part_${++this.serial}`;
    await this.db.$executeRawUnsafe(`SAVEPOINT ${name}`);
    let value: T;
    try {
      value = await work();
    } catch (error) {
      await this.db.$executeRawUnsafe(`ROLLBACK TO SAVEPOINT ${name}`);
      return { ok: false, error };
    }
    await this.db.$executeRawUnsafe(`RELEASE SAVEPOINT ${name}`);
    return { ok: true, value };
  }
}
