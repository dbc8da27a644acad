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
}

/** Told of every tick of every controller in this process: the manager's metrics (leadership, durations). */
export type LeaderTickListener = (controller: string, outcome: "led" | "standby" | "failed", seconds: number) => void;
const tickListeners = new Set<LeaderTickListener>();

/** Listens to every controller's ticks; returns the function that stops listening. */
export function onLeaderTick(listener: LeaderTickListener): () => void {
  tickListeners.add(listener);
  return () => void tickListeners.delete(listener);
}

/** What one tick did: `leader: false` when another replica held the lock (its step may be running). */
export type LeaderTick<T> = { leader: false } | { leader: true; result: T };

export class LeaderLoop<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly log: Logger,
    readonly options: LeaderLoopOptions<T>,
  ) {}

  /** One tick now: the step when this replica wins the lock. Tests call it directly instead of waiting for the timer. */
  async tick(): Promise<LeaderTick<T>> {
    const { lockKey, step, name } = this.options;
    const began = performance.now();
    const told = (outcome: "led" | "standby" | "failed") => {
      for (const listener of tickListeners) listener(name, outcome, (performance.now() - began) / 1000);
    };
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

  /** Ticks every `intervalMs` until `stop` (never two ticks at once on this replica; a failed tick is logged and retried next time). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.tick()
        .catch((err: unknown) => this.log.warn({ err, controller: this.options.name }, `${this.options.name} tick failed; retrying next tick`))
        .finally(() => {
          this.running = null;
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
