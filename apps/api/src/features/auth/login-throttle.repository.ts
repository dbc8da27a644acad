import type { DbClient } from "../../db-client.ts";
import { throttleKeys, type LoginThrottleState } from "./login-throttle.ts";

/** Sign-in counters (LoginThrottle rows), shared by every replica through the database. */
export class LoginThrottleRepository {
  constructor(private readonly prisma: DbClient) {}

  /** The counters of one attempt's source, account and pair, and whether the source is known to the account. */
  async state(username: string, ip: string): Promise<LoginThrottleState> {
    const keys = throttleKeys(username, ip);
    const rows = await this.prisma.loginThrottle.findMany({ where: { key: { in: Object.values(keys) } } });
    const row = (key: string) => rows.find((r) => r.key === key);
    const count = (key: string) => ({ failures: row(key)?.failures ?? 0, lastFailureAt: row(key)?.lastFailureAt ?? null });
    return { source: count(keys.source), account: count(keys.account), pair: count(keys.pair), knownSourceAt: row(keys.known)?.lastSuccessAt ?? null };
  }

  /** Counts a failure on the source, the account and the pair; a counter quiet for `windowMs` starts again at one. One statement. */
  async recordFailure(username: string, ip: string, at: Date, windowMs: number): Promise<void> {
    const { source, account, pair } = throttleKeys(username, ip);
    const cutoff = new Date(at.getTime() - windowMs);
    await this.prisma.$executeRaw`
      INSERT INTO "LoginThrottle" ("key", "failures", "lastFailureAt") VALUES (${source}, 1, ${at}), (${account}, 1, ${at}), (${pair}, 1, ${at})
      ON CONFLICT ("key") DO UPDATE SET
        "failures" = CASE WHEN "LoginThrottle"."lastFailureAt" IS NULL OR "LoginThrottle"."lastFailureAt" < ${cutoff} THEN 1 ELSE "LoginThrottle"."failures" + 1 END,
        "lastFailureAt" = EXCLUDED."lastFailureAt"`;
  }

  /** A successful sign-in: the pair starts afresh and the source becomes known to the account. The account's count stays (it decays). */
  async recordSuccess(username: string, ip: string, at: Date): Promise<void> {
    const { pair, known } = throttleKeys(username, ip);
    await this.prisma.loginThrottle.deleteMany({ where: { key: pair } });
    await this.prisma.loginThrottle.upsert({ where: { key: known }, create: { key: known, lastSuccessAt: at }, update: { lastSuccessAt: at } });
  }

  /** Removes counters quiet for `failuresMs` and known sources unused for `knownMs`. */
  async prune(at: Date, failuresMs: number, knownMs: number): Promise<void> {
    await this.prisma.loginThrottle.deleteMany({
      where: {
        OR: [
          { lastSuccessAt: null, lastFailureAt: { lt: new Date(at.getTime() - failuresMs) } },
          { lastFailureAt: null, lastSuccessAt: { lt: new Date(at.getTime() - knownMs) } },
        ],
      },
    });
  }
}
