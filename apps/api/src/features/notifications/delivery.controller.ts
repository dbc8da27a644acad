// The notification sender: a leader-elected loop. Its step claims the due
// deliveries (a lease, so a crashed sender's claim lapses and another tick
// or replica takes over); after the claim commits, each is sent outside any
// transaction (a hanging receiver must not hold the database) and its
// result recorded in a unit of work of its own. Retry state lives in the
// database: a manager restarted mid-retry sends what is due.
import { CONTROLLER_LOCKS } from "../../controllers/controller-locks.ts";
import { LeaderLoop, type LeaderTick } from "../../controllers/leader-loop.ts";
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

/** The longest a channel's attempt may take, plus room: a claim outlives its attempt. */
const LEASE_MS = 75_000;

export class DeliveryController {
  private readonly loop: LeaderLoop<DeliveryRecord[]>;
  private poked: Promise<unknown> | null = null;

  constructor(
    uow: UnitOfWork,
    private readonly repo: NotificationsRepository,
    private readonly notifications: NotificationsService,
    private readonly log: Logger,
    /** The manager's outbound fetch (transport/outbound-fetch.ts): channels reach only where the egress policy allows. */
    private readonly httpFetch: typeof fetch,
    private readonly settings: DeliverySettings = DEFAULT_DELIVERY_SETTINGS,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.loop = new LeaderLoop(uow, log, {
      name: "notification sender",
      lockKey: CONTROLLER_LOCKS.notifications,
      intervalMs: settings.tickMs,
      step: (tx) => tx.notifications.claimDue(this.now(), new Date(this.now().getTime() + LEASE_MS), settings.batch),
      afterCommit: (claimed) => this.sendAll(claimed),
    });
  }

  private async sendAll(claimed: DeliveryRecord[]): Promise<void> {
    // A few at a time: one hanging receiver delays only its own slot.
    const queue = [...claimed];
    await Promise.all(
      Array.from({ length: Math.min(4, queue.length) }, async () => {
        for (let d = queue.shift(); d; d = queue.shift()) await this.send(d);
      }),
    );
  }

  private async send(delivery: DeliveryRecord): Promise<void> {
    const channel = await this.notifications.openChannel(delivery.channelId);
    if (!channel) return; // deleted meanwhile: its deliveries went with it
    const event = eventOf(delivery);
    const incident = channel.type === "GITHUB" || channel.type === "JIRA" ? await this.repo.incident(delivery.channelId, delivery.dedupKey) : null;
    const result = await sendToChannel(this.httpFetch, channel, event, incident);
    const stored = await this.repo.channel(delivery.channelId);
    const attempts = delivery.attempts + 1;
    const now = this.now();
    const next = afterAttempt(attempts, stored?.maxAttempts ?? 8, result.outcome, now.getTime(), this.settings.retry);
    const error = result.outcome.ok ? null : next.status === "DEAD" ? next.reason : result.outcome.error;
    await this.repo.recordAttempt(
      delivery.id,
      { at: now.toISOString(), status: result.outcome.status, error: result.outcome.ok ? null : result.outcome.error, durationMs: result.durationMs },
      { status: next.status, nextAttemptAt: next.status === "PENDING" ? new Date(next.nextAttemptAt) : null, deliveredAt: next.status === "DELIVERED" ? now : null, error },
    );
    if (result.incident) await this.repo.saveIncident(delivery.channelId, delivery.dedupKey, result.incident);
    if (next.status === "DEAD") this.log.warn({ delivery: delivery.id, channel: stored?.name, event: delivery.eventId, reason: error }, "notification moved to the dead letter");
  }

  tick(): Promise<LeaderTick<DeliveryRecord[]>> {
    return this.loop.tick();
  }

  /** Sends what is due now instead of at the next tick (something was just queued). */
  poke(): void {
    if (this.poked) return;
    this.poked = this.loop
      .tick()
      .catch((err: unknown) => this.log.warn({ err }, "notification sender tick failed; retrying next tick"))
      .finally(() => {
        this.poked = null;
      });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.poked;
  }
}
