import type { ChannelType as PrismaChannelType, DeliveryStatus as PrismaDeliveryStatus, Prisma } from "@weft/db";
import type { NotificationChannelType } from "@weft/mesh-model";
import type { DbClient, SameValues } from "../../db-client.ts";
import type { IncidentRef } from "./channel-sender.ts";

export type DeliveryStatus = "PENDING" | "DELIVERED" | "DEAD";
const _sameTypes: SameValues<PrismaChannelType, NotificationChannelType> = true;
const _sameStatus: SameValues<PrismaDeliveryStatus, DeliveryStatus> = true;

/** A channel as stored; `sealedSecret` is read only by {@link NotificationsRepository.channelWithSecret}. */
export interface ChannelRecord {
  id: string;
  name: string;
  type: NotificationChannelType;
  enabled: boolean;
  config: Record<string, unknown>;
  severities: string[];
  namespaces: string[];
  maxAttempts: number;
  timeoutMs: number;
  builtIn: boolean;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** Whether secrets are stored (never what they are). */
  hasSecret: boolean;
}

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface DeliveryRecord {
  id: string;
  channelId: string;
  eventId: string;
  eventType: string;
  severity: string;
  dedupKey: string;
  action: string;
  event: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  /** Claimed by a sender until then. */
  leaseUntil: Date | null;
  lastAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  log: DeliveryAttempt[];
  createdAt: Date;
}

const channelSelect = {
  id: true,
  name: true,
  type: true,
  enabled: true,
  config: true,
  severities: true,
  namespaces: true,
  maxAttempts: true,
  timeoutMs: true,
  builtIn: true,
  createdBy: true,
  createdAt: true,
  updatedAt: true,
  sealedSecret: true,
} as const;

type ChannelRow = Prisma.NotificationChannelGetPayload<{ select: typeof channelSelect }>;

function toChannel({ sealedSecret, ...row }: ChannelRow): ChannelRecord {
  return { ...row, config: row.config as Record<string, unknown>, hasSecret: sealedSecret !== null };
}

function toDelivery(row: Prisma.NotificationDeliveryGetPayload<object>): DeliveryRecord {
  return { ...row, event: row.event as Record<string, unknown>, log: row.log as unknown as DeliveryAttempt[] };
}

/** What an admin sets on a channel; `sealedSecret` undefined keeps the stored one. */
export type ChannelWrite = Pick<ChannelRecord, "name" | "type" | "enabled" | "config" | "severities" | "namespaces" | "maxAttempts" | "timeoutMs"> & { sealedSecret?: string };

/** Channels, deliveries and the outside incidents of channels. The only Prisma code of the notifications feature. */
export class NotificationsRepository {
  constructor(private readonly db: DbClient) {}

  async channels(): Promise<ChannelRecord[]> {
    return (await this.db.notificationChannel.findMany({ select: channelSelect, orderBy: { name: "asc" } })).map(toChannel);
  }

  async channel(id: string): Promise<ChannelRecord | null> {
    const row = await this.db.notificationChannel.findUnique({ where: { id }, select: channelSelect });
    return row ? toChannel(row) : null;
  }

  async channelByName(name: string): Promise<ChannelRecord | null> {
    const row = await this.db.notificationChannel.findUnique({ where: { name }, select: channelSelect });
    return row ? toChannel(row) : null;
  }

  /** The channel with its sealed secret: only the sender and secret-keeping updates read it. */
  async channelWithSecret(id: string): Promise<(ChannelRecord & { sealedSecret: string | null }) | null> {
    const row = await this.db.notificationChannel.findUnique({ where: { id }, select: channelSelect });
    return row ? { ...toChannel(row), sealedSecret: row.sealedSecret } : null;
  }

  async createChannel(data: ChannelWrite & { id: string; builtIn: boolean; createdBy: string }): Promise<ChannelRecord> {
    const row = await this.db.notificationChannel.create({ data: { ...data, config: data.config as Prisma.InputJsonObject, sealedSecret: data.sealedSecret ?? null }, select: channelSelect });
    return toChannel(row);
  }

  async updateChannel(id: string, data: ChannelWrite): Promise<ChannelRecord> {
    const { sealedSecret, ...rest } = data;
    const row = await this.db.notificationChannel.update({ where: { id }, data: { ...rest, config: rest.config as Prisma.InputJsonObject, ...(sealedSecret !== undefined ? { sealedSecret } : {}) }, select: channelSelect });
    return toChannel(row);
  }

  async deleteChannel(id: string): Promise<void> {
    await this.db.notificationChannel.delete({ where: { id } });
  }

  /** Queues an event for a channel; the same event for the same channel is queued once (returns false then). */
  async enqueue(channelId: string, event: { id: string; type: string; severity: string; dedupKey: string; action: string; body: Record<string, unknown> }, now: Date): Promise<boolean> {
    const created = await this.db.notificationDelivery.createMany({
      data: [{ channelId, eventId: event.id, eventType: event.type, severity: event.severity, dedupKey: event.dedupKey, action: event.action, event: event.body as Prisma.InputJsonObject, status: "PENDING", nextAttemptAt: now }],
      skipDuplicates: true,
    });
    return created.count > 0;
  }

  /**
   * Claims deliveries due at `now` whose last claim expired, oldest first,
   * in one statement: each gets `leaseUntil` so a crashed sender's claim
   * lapses and another tick takes it. First in, first out per channel and
   * incident (`dedupKey`): a delivery waits while an older one of the same
   * channel and key is still PENDING (a resolve never overtakes its
   * trigger in backoff), so one claim never holds two of one incident.
   * Inside the caller's unit of work (the sender's leader step).
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.db.$queryRaw<Prisma.NotificationDeliveryGetPayload<object>[]>`
      UPDATE "NotificationDelivery" AS d SET "leaseUntil" = ${leaseUntil}
      WHERE d.id IN (
        SELECT c.id FROM "NotificationDelivery" AS c
        WHERE c.status = 'PENDING' AND c."nextAttemptAt" <= ${now} AND (c."leaseUntil" IS NULL OR c."leaseUntil" < ${now})
          AND NOT EXISTS (
            SELECT 1 FROM "NotificationDelivery" AS o
            WHERE o."channelId" = c."channelId" AND o."dedupKey" = c."dedupKey" AND o.status = 'PENDING'
              AND (o."createdAt" < c."createdAt" OR (o."createdAt" = c."createdAt" AND o.id < c.id)))
        ORDER BY c."nextAttemptAt", c."createdAt"
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ${now})
      RETURNING d.*`;
    return rows.map(toDelivery).sort((a, b) => (a.nextAttemptAt?.getTime() ?? 0) - (b.nextAttemptAt?.getTime() ?? 0) || a.createdAt.getTime() - b.createdAt.getTime());
  }

  /**
   * Takes a claimed delivery for one attempt: moves its lease from the claim
   * (`claimed`) to `until` only while the claim is still this sender's (it
   * may have lapsed while the delivery waited, and another sender taken it).
   * False: not ours any more, do not send.
   */
  async takeForAttempt(id: string, claimed: Date, until: Date): Promise<boolean> {
    const { count } = await this.db.notificationDelivery.updateMany({ where: { id, status: "PENDING", leaseUntil: claimed }, data: { leaseUntil: until } });
    return count === 1;
  }

  async delivery(id: string): Promise<DeliveryRecord | null> {
    const row = await this.db.notificationDelivery.findUnique({ where: { id } });
    return row ? toDelivery(row) : null;
  }

  /**
   * Records an attempt's result and the delivery's next state, only while
   * the sender still holds the attempt's lease (`leased`); false when it
   * does not (another sender took it over: its own record counts).
   */
  async recordAttempt(id: string, leased: Date, attempt: DeliveryAttempt, next: { status: DeliveryStatus; nextAttemptAt: Date | null; deliveredAt: Date | null; error: string | null }): Promise<boolean> {
    const row = await this.db.notificationDelivery.findUnique({ where: { id }, select: { log: true } });
    if (!row) return false;
    const log = [...(row.log as unknown as DeliveryAttempt[]), attempt].slice(-50);
    // Conditional on the lease: whoever holds it is the only writer of this row until it is cleared here.
    const { count } = await this.db.notificationDelivery.updateMany({
      where: { id, leaseUntil: leased },
      data: {
        attempts: { increment: 1 },
        lastAttemptAt: new Date(attempt.at),
        lastStatus: attempt.status,
        lastError: next.error,
        status: next.status,
        nextAttemptAt: next.nextAttemptAt,
        deliveredAt: next.deliveredAt,
        leaseUntil: null,
        log: log as unknown as Prisma.InputJsonArray,
      },
    });
    return count === 1;
  }

  /** Puts a dead delivery back in the queue (an operator's resend). */
  async requeue(id: string, now: Date): Promise<void> {
    await this.db.notificationDelivery.update({ where: { id }, data: { status: "PENDING", nextAttemptAt: now, leaseUntil: null, attempts: 0 } });
  }

  async deliveries(filter: { channelId?: string | undefined; status?: DeliveryStatus | undefined; limit: number }): Promise<DeliveryRecord[]> {
    const rows = await this.db.notificationDelivery.findMany({
      where: { ...(filter.channelId ? { channelId: filter.channelId } : {}), ...(filter.status ? { status: filter.status } : {}) },
      orderBy: { createdAt: "desc" },
      take: filter.limit,
    });
    return rows.map(toDelivery);
  }

  async incident(channelId: string, dedupKey: string): Promise<IncidentRef | null> {
    const row = await this.db.channelIncident.findUnique({ where: { channelId_dedupKey: { channelId, dedupKey } } });
    return row ? { externalId: row.externalId, url: row.url, state: row.state === "closed" ? "closed" : "open" } : null;
  }

  async saveIncident(channelId: string, dedupKey: string, incident: IncidentRef): Promise<void> {
    await this.db.channelIncident.upsert({
      where: { channelId_dedupKey: { channelId, dedupKey } },
      create: { channelId, dedupKey, externalId: incident.externalId, url: incident.url, state: incident.state },
      update: { externalId: incident.externalId, url: incident.url, state: incident.state },
    });
  }
}
