// A leader-elected controller loop, for every controller of the manager
// (root rotation today; rollouts and SLO evaluation next).
//
// Every replica runs the loop. Each tick opens a unit of work and tries the
// controller's PostgreSQL advisory lock (`pg_try_advisory_xact_lock`): the
// replica that gets it runs the controller's `step` inside that transaction,
// the others skip the tick. The lock is transaction-scoped, so it is released
// at commit (no connection is held between ticks: the embedded database has
// a pool of one) and leadership may move between replicas from one tick to
// the next. That is safe because a controller keeps all its state in the
// database: `step` reads the stored state, decides with a pure function
// (like rotation-plan.ts) and writes the result in the same transaction, so
// a restarted or different replica resumes exactly where the last committed
// step left off. Work that must wait for the commit (waking config streams,
// logging, audit events) goes in `afterCommit`, which runs on the leader only.
//
// A new controller: pick a lock key in controller-locks.ts, write `step`
// (and `afterCommit`), construct a LeaderLoop in services.ts and add it to
// `controllers`; the manager starts them all and `close()` stops them.
import type { Logger } from "../logger.ts";
import type { TransactionRepositories, UnitOfWork } from "../unit-of-work.ts";

export interface LeaderLoopOptions<T> {
  /** Names the controller in logs ("root rotation controller"). */
  name: string;
  /** The controller's advisory lock key (controller-locks.ts): controllers elect their leaders independently. */
  lockKey: bigint;
  /** How often every replica tries to lead a step. */
  intervalMs: number;
  /** Inside the leader's transaction: read the stored state, decide, write. Throwing rolls the step back. */
  step(tx: TransactionRepositories): Promise<T>;
  /** After the step committed, on the leader only: notify, log, audit. */
  afterCommit?(result: T): Promise<void>;
  /** Told of each of this loop's ticks: the manager's own metrics (leadership, durations), passed in by whoever builds the loop. */
  onTick?: LeaderTickListener | undefined;
}

/** Told of a controller's ticks: the manager's metrics (leadership, durations). */
export type LeaderTickListener = (controller: string, outcome: "led" | "standby" | "failed", seconds: number) => void;

/** What one tick did: `leader: false` when another replica held the lock (its step may be running). */
export type LeaderTick<T> = { leader: false } | { leader: true; result: T };

export class LeaderLoop<T> {
  private timer: NodeJS.Timeout | undefined;
  /** Every tick of this loop (timer, poke or a direct call) runs after the previous one settled: never two at once on this replica. */
  private chain: Promise<unknown> = Promise.resolve();
  /** A background tick (timer or poke) is queued or running. */
  private busy = false;
  /** A poke arrived while a background tick was busy: tick once more after it. */
  private again = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly log: Logger,
    readonly options: LeaderLoopOptions<T>,
  ) {}

  /**
   * One tick: the step when this replica wins the lock. Waits for a tick in
   * progress on this replica first (so it never reports `leader: false`
   * because of its own loop). Tests call it directly instead of waiting for the timer.
   */
  tick(): Promise<LeaderTick<T>> {
    const next = this.chain.then(() => this.once());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async once(): Promise<LeaderTick<T>> {
    const { lockKey, step, name, onTick } = this.options;
    const began = performance.now();
    const told = (outcome: "led" | "standby" | "failed") => onTick?.(name, outcome, (performance.now() - began) / 1000);
    let outcome: LeaderTick<T>;
    try {
      outcome = await this.uow.run(async (tx): Promise<LeaderTick<T>> => ((await tx.leaderLock.tryLock(lockKey)) ? { leader: true, result: await step(tx) } : { leader: false }));
    } catch (err) {
      told("failed");
      throw err;
    }
    told(outcome.leader ? "led" : "standby");
    if (outcome.leader) await this.options.afterCommit?.(outcome.result);
    return outcome;
  }

  /** A tick soon instead of at the next interval (something was queued, an operator acted, an answer arrived). Only while started; a poke during a tick runs one more tick after it. */
  poke(): void {
    if (!this.timer) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.background();
  }

  private background(): void {
    this.busy = true;
    void this.tick()
      .catch((err: unknown) => this.log.warn({ err, controller: this.options.name }, `${this.options.name} tick failed; retrying next tick`))
      .finally(() => {
        this.busy = false;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Ticks every `intervalMs` until `stop` (never two ticks at once on this replica; a failed tick is logged and retried next time). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.busy) this.background();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Resolves once no tick of this loop is queued or running. */
  async idle(): Promise<void> {
    for (;;) {
      const seen = this.chain;
      await seen;
      if (seen === this.chain && !this.busy) return;
      // A background tick settled but has not yet run its follow-up (a poke that came during it).
      if (seen === this.chain) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Stops ticking (pokes are ignored from now on) and waits for the ticks in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.again = false;
    await this.idle();
  }
}
