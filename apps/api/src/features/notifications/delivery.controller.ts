// The notification sender: a leader-elected loop. Its step claims the due
// deliveries (a lease, so a crashed sender's claim lapses and another tick
// or replica takes over); after the claim commits, each is sent outside any
// transaction (a hanging receiver must not hold the database) and its
// result recorded in a unit of work of its own. Retry state lives in the
// database: a manager restarted mid-retry sends what is due.
import { CONTROLLER_LOCKS } from "../../controllers/controller-locks.ts";
import { LeaderLoop, type LeaderTick, type LeaderTickListener } from "../../controllers/leader-loop.ts";
import type { Logger } from "../../logger.ts";
import type { UnitOfWork } from "../../unit-of-work.ts";
import { sendToChannel } from "./channel-sender.ts";
import { afterAttempt, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./delivery-plan.ts";
import type { DeliveryRecord, NotificationsRepository } from "./notifications.repository.ts";
import { eventOf, type NotificationsService } from "./notifications.service.ts";

export interface DeliverySettings {
  retry: RetryPolicy;
  tickMs: number;
  /** Deliveries sent per tick at most. */
  batch: number;
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = { retry: DEFAULT_RETRY_POLICY, tickMs: 1_000, batch: 16 };

/** Deliveries sent at once: one hanging receiver delays only its own slot. */
const SLOTS = 4;
/** The longest one attempt may take (a channel's timeoutMs is at most this; Jira's resolve makes its calls within one timeout). */
const MAX_ATTEMPT_MS = 60_000;
/** Room past an attempt's timeout before its lease lapses (opening the channel, recording the result). */
const LEASE_MARGIN_MS = 15_000;

/**
 * How long a claim of `batch` deliveries holds: the last one waits behind
 * `batch / SLOTS - 1` rounds of attempts before its own, so the claim
 * outlives the whole queue. Each attempt then moves its delivery to a lease
 * of its own (its channel's timeout plus room), and records only while it
 * still holds it: a claim that lapsed anyway is never sent twice.
 */
export function claimLeaseMs(batch: number): number {
  return Math.ceil(batch / SLOTS) * MAX_ATTEMPT_MS + LEASE_MARGIN_MS;
}

export class DeliveryController {
  private readonly loop: LeaderLoop<DeliveryRecord[]>;

  constructor(
    uow: UnitOfWork,
    private readonly repo: NotificationsRepository,
    private readonly notifications: NotificationsService,
    private readonly log: Logger,
    /** The manager's outbound fetch (transport/outbound-fetch.ts): channels reach only where the egress policy allows. */
    private readonly httpFetch: typeof fetch,
    private readonly settings: DeliverySettings = DEFAULT_DELIVERY_SETTINGS,
    private readonly now: () => Date = () => new Date(),
    onTick?: LeaderTickListener,
  ) {
    this.loop = new LeaderLoop(uow, log, {
      name: "notification sender",
      lockKey: CONTROLLER_LOCKS.notifications,
      intervalMs: settings.tickMs,
      step: (tx) => tx.notifications.claimDue(this.now(), new Date(this.now().getTime() + claimLeaseMs(settings.batch)), settings.batch),
      afterCommit: (claimed) => this.sendAll(claimed),
      onTick,
    });
  }

  private async sendAll(claimed: DeliveryRecord[]): Promise<void> {
    // A few at a time: one hanging receiver delays only its own slot.
    const queue = [...claimed];
    await Promise.all(
      Array.from({ length: Math.min(SLOTS, queue.length) }, async () => {
        for (let d = queue.shift(); d; d = queue.shift()) await this.send(d);
      }),
    );
  }

  private async send(delivery: DeliveryRecord): Promise<void> {
    const channel = await this.notifications.openChannel(delivery.channelId);
    if (!channel || !delivery.leaseUntil) return; // deleted meanwhile: its deliveries went with it
    // The claim may have lapsed while this delivery waited for a slot, and another sender taken it.
    const leased = new Date(this.now().getTime() + channel.timeoutMs + LEASE_MARGIN_MS);
    if (!(await this.repo.takeForAttempt(delivery.id, delivery.leaseUntil, leased))) {
      this.log.info({ delivery: delivery.id, event: delivery.eventId }, "notification claim lapsed before its attempt; another sender has it");
      return;
    }
    const event = eventOf(delivery);
    const incident = channel.type === "GITHUB" || channel.type === "JIRA" ? await this.repo.incident(delivery.channelId, delivery.dedupKey) : null;
    const result = await sendToChannel(this.httpFetch, channel, event, incident);
    const stored = await this.repo.channel(delivery.channelId);
    const attempts = delivery.attempts + 1;
    const now = this.now();
    const next = afterAttempt(attempts, stored?.maxAttempts ?? 8, result.outcome, now.getTime(), this.settings.retry);
    const error = result.outcome.ok ? null : next.status === "DEAD" ? next.reason : result.outcome.error;
    const recorded = await this.repo.recordAttempt(
      delivery.id,
      leased,
      { at: now.toISOString(), status: result.outcome.status, error: result.outcome.ok ? null : result.outcome.error, durationMs: result.durationMs },
      { status: next.status, nextAttemptAt: next.status === "PENDING" ? new Date(next.nextAttemptAt) : null, deliveredAt: next.status === "DELIVERED" ? now : null, error },
    );
    // The outside incident exists whoever records the attempt.
    if (result.incident) await this.repo.saveIncident(delivery.channelId, delivery.dedupKey, result.incident);
    if (!recorded) {
      this.log.warn({ delivery: delivery.id, channel: stored?.name, event: delivery.eventId }, "notification attempt outlived its lease; its result is not recorded");
      return;
    }
    if (next.status === "DEAD") this.log.warn({ delivery: delivery.id, channel: stored?.name, event: delivery.eventId, reason: error }, "notification moved to the dead letter");
  }

  tick(): Promise<LeaderTick<DeliveryRecord[]>> {
    return this.loop.tick();
  }

  /** Sends what is due now instead of at the next tick (something was just queued); only while started. */
  poke(): void {
    this.loop.poke();
  }

  /** Resolves once no tick of the sender is queued or running on this replica (tests count what was sent after it). */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
