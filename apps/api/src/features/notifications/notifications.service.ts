import { randomBytes, randomUUID } from "node:crypto";
import { openSecret, sealSecret } from "@weft/identity";
import type { NotificationChannelSpec } from "@weft/mesh-model";
import type { Principal } from "../../access.ts";
import { dashboardLink } from "../../dashboard-link.ts";
import { conflict, invalid, notFound, preconditionFailed } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { urlRefusal, type EgressPolicy } from "../../transport/egress-policy.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { Audited } from "../audit/audit-facts.ts";
import type { OpenChannel } from "./channel-sender.ts";
import { routes } from "./delivery-plan.ts";
import type { NotificationEvent, Notifier } from "./notifier.ts";
import type { ChannelRecord, DeliveryRecord, DeliveryStatus, NotificationsRepository } from "./notifications.repository.ts";

/** A channel as the API shows it: settings and routing, whether secrets are stored, never what they are. */
export type ChannelView = ChannelRecord;

/** A stored event back in its domain form. */
export function eventOf(record: Pick<DeliveryRecord, "event">): NotificationEvent {
  const e = record.event as unknown as Omit<NotificationEvent, "occurredAt"> & { occurredAt: string };
  return { ...e, occurredAt: new Date(e.occurredAt) };
}

const secretContext = (channelId: string) => `notification-channel/${channelId}`;

/** A new Standard Webhooks secret: whsec_ and 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * The Notifier controllers hand events to, and the admins' channel
 * management. An event is routed to every matching channel and queued as
 * one delivery per channel (the event id is the idempotency key: queuing
 * it again changes nothing); the delivery controller sends and retries.
 */
export class NotificationsService implements Notifier {
  constructor(
    private readonly repo: NotificationsRepository,
    private readonly uow: UnitOfWork,
    private readonly log: Logger,
    /** Seals channel secrets (the CA key); null: channels with secrets cannot be stored. */
    private readonly caKey: Buffer | null,
    private readonly now: () => Date,
    /** Wakes the sender after something was queued. */
    private readonly queued: () => void,
    /** Where the manager may connect (WEFT_OUTBOUND_ALLOW): channel URLs naming a refused address are refused when saved. */
    private readonly egress: EgressPolicy,
  ) {}

  /** Notifier: queues the event for every matching channel; never throws for a channel's sake. */
  async notify(event: NotificationEvent): Promise<void> {
    try {
      const count = await this.uow.run((tx) => this.enqueueIn(tx, event));
      if (count > 0) this.queued();
    } catch (err) {
      this.log.error({ err, event: event.id, type: event.type }, "notification not queued");
    }
  }

  /** Queues the event inside the caller's unit of work (a controller step: the event commits with the state change). Returns how many deliveries were queued. */
  async enqueueIn(tx: Pick<TransactionRepositories, "notifications">, event: NotificationEvent): Promise<number> {
    let count = 0;
    for (const channel of await tx.notifications.channels()) {
      if (!routes(channel, event)) continue;
      if (await tx.notifications.enqueue(channel.id, { id: event.id, type: event.type, severity: event.severity, dedupKey: event.dedupKey, action: event.action, body: { ...event, occurredAt: event.occurredAt.toISOString() } }, this.now())) count++;
    }
    return count;
  }

  listChannels(): Promise<ChannelView[]> {
    return this.repo.channels();
  }

  private sealSecrets(channelId: string, secrets: Record<string, unknown>): string {
    if (!this.caKey) throw preconditionFailed("channel secrets are sealed with the CA key: set WEFT_CA_KEY (or WEFT_CA_KEY_FILE)", "secrets");
    return sealSecret(JSON.stringify(secrets), this.caKey, { context: secretContext(channelId) });
  }

  /** A channel ready to send (secrets opened); only the sender calls this. */
  async openChannel(channelId: string): Promise<OpenChannel | null> {
    const row = await this.repo.channelWithSecret(channelId);
    if (!row) return null;
    if (row.sealedSecret && !this.caKey) throw new Error("a channel secret is stored but no CA key is configured to open it (WEFT_CA_KEY)");
    const secrets = row.sealedSecret && this.caKey ? (JSON.parse(openSecret(row.sealedSecret, this.caKey, { context: secretContext(channelId) })) as Record<string, unknown>) : {};
    return { type: row.type, config: row.config, secrets, timeoutMs: row.timeoutMs };
  }

  /**
   * Refuses a channel whose URL names an address the egress policy refuses
   * (WEFT_OUTBOUND_ALLOW), naming the field. Host names are judged when a
   * delivery connects (their addresses may change).
   */
  private refuseUnreachable(input: NotificationChannelSpec): void {
    const urls: [string, unknown][] = [
      ["config.url", (input.config as Record<string, unknown> | undefined)?.url],
      ["config.apiUrl", (input.config as Record<string, unknown> | undefined)?.apiUrl],
      ["config.baseUrl", (input.config as Record<string, unknown> | undefined)?.baseUrl],
      ["secrets.webhookUrl", (input.secrets as Record<string, unknown> | undefined)?.webhookUrl],
    ];
    for (const [path, url] of urls) {
      const refusal = typeof url === "string" ? urlRefusal(this.egress, url) : null;
      if (refusal) throw invalid(refusal.message.replace(/^refused to connect: /, "the manager will not connect there: "), path);
    }
  }

  /** Creates a channel; a webhook without a secret gets a generated one, returned in this answer only. */
  async createChannel(principal: Pick<Principal, "username">, input: NotificationChannelSpec, options: { builtIn?: boolean } = {}): Promise<Audited<{ channel: ChannelView; signingSecret: string | null }>> {
    this.refuseUnreachable(input);
    if (await this.repo.channelByName(input.name)) throw conflict(`a channel named "${input.name}" exists`, "name");
    let secrets: Record<string, unknown> | undefined = input.secrets;
    let generated: string | null = null;
    if (input.type === "WEBHOOK" && !secrets) {
      generated = newWebhookSecret();
      secrets = { signingSecrets: [generated] };
    }
    if (!secrets) throw preconditionFailed(`a ${input.type} channel needs its secret`, "secrets");
    const id = randomUUID();
    const channel = await this.repo.createChannel({ id, ...fieldsOf(input), sealedSecret: this.sealSecrets(id, secrets), builtIn: options.builtIn ?? false, createdBy: principal.username });
    return { value: { channel, signingSecret: generated }, audit: { target: `NotificationChannel/${channel.name}`, details: { type: channel.type, severities: channel.severities, namespaces: channel.namespaces } } };
  }

  /** Updates a channel; omitted secrets keep the stored ones, unless the update changes where the channel sends (then they are required). */
  async updateChannel(id: string, input: NotificationChannelSpec): Promise<Audited<ChannelView>> {
    const existing = await this.repo.channel(id);
    if (!existing) throw notFound(`channel ${id}`, "id");
    this.refuseUnreachable(input);
    if (existing.type !== input.type) throw conflict(`a channel keeps its type (${existing.type}); create a new one`, "type");
    const other = await this.repo.channelByName(input.name);
    if (other && other.id !== id) throw conflict(`a channel named "${input.name}" exists`, "name");
    // The stored secret goes where the channel sends: a new destination gets it only from someone who knows it.
    const moved = DESTINATION_FIELDS[input.type].find((field) => existing.config[field] !== (input.config as Record<string, unknown>)[field]);
    if (moved && !input.secrets) throw preconditionFailed(`changing where a channel sends (config.${moved}) requires entering its secret again`, "secrets");
    const channel = await this.repo.updateChannel(id, { ...fieldsOf(input), ...(input.secrets ? { sealedSecret: this.sealSecrets(id, input.secrets) } : {}) });
    return { value: channel, audit: { target: `NotificationChannel/${channel.name}`, details: { secretsReplaced: input.secrets !== undefined, enabled: channel.enabled } } };
  }

  async deleteChannel(id: string): Promise<Audited<{ ok: true }>> {
    const existing = await this.repo.channel(id);
    if (!existing) throw notFound(`channel ${id}`, "id");
    await this.repo.deleteChannel(id);
    return { value: { ok: true }, audit: { target: `NotificationChannel/${existing.name}` } };
  }

  /** Queues a test event for one channel (whatever its routing) and wakes the sender; the delivery log shows how it went. */
  async sendTest(principal: Pick<Principal, "username">, id: string, dashboardUrl: string): Promise<Audited<{ deliveryId: string | null }>> {
    const channel = await this.repo.channel(id);
    if (!channel) throw notFound(`channel ${id}`, "id");
    const now = this.now();
    const event: NotificationEvent = {
      id: `test-${randomUUID()}`,
      type: "channel.test",
      severity: "info",
      namespace: null,
      title: `Test notification from Weft to "${channel.name}"`,
      summary: `${principal.username} sent this test from the dashboard at ${now.toISOString()}. If you can read it, the channel works.`,
      dedupKey: `test:${channel.id}`,
      action: "trigger",
      links: [{ label: "Channels", url: dashboardLink(dashboardUrl, "/channels") }],
      data: { channel: channel.name },
      occurredAt: now,
    };
    await this.repo.enqueue(channel.id, { id: event.id, type: event.type, severity: event.severity, dedupKey: event.dedupKey, action: event.action, body: { ...event, occurredAt: now.toISOString() } }, now);
    this.queued();
    const [delivery] = await this.repo.deliveries({ channelId: channel.id, limit: 1 });
    return { value: { deliveryId: delivery?.eventId === event.id ? delivery.id : null }, audit: { target: `NotificationChannel/${channel.name}`, details: { test: true } } };
  }

  deliveries(filter: { channelId?: string | undefined; status?: DeliveryStatus | undefined; limit: number }): Promise<DeliveryRecord[]> {
    return this.repo.deliveries(filter);
  }

  /** Sends a dead delivery again from its first attempt. */
  async resend(id: string): Promise<Audited<{ ok: true }>> {
    const delivery = await this.repo.delivery(id);
    if (!delivery) throw notFound(`delivery ${id}`, "id");
    if (delivery.status !== "DEAD") throw conflict(`delivery ${id} is ${delivery.status.toLowerCase()}, not in the dead letter`, "id");
    await this.repo.requeue(id, this.now());
    this.queued();
    return { value: { ok: true }, audit: { target: `NotificationDelivery/${id}`, details: { eventId: delivery.eventId } } };
  }
}

/** The config fields that say where a channel sends (Slack's destination is its secret itself). */
const DESTINATION_FIELDS: Record<NotificationChannelSpec["type"], readonly string[]> = {
  WEBHOOK: ["url"],
  PAGERDUTY: ["url"],
  SLACK: [],
  GITHUB: ["apiUrl"],
  JIRA: ["baseUrl"],
};

function fieldsOf(input: NotificationChannelSpec) {
  return {
    name: input.name,
    type: input.type,
    enabled: input.enabled,
    config: input.config as Record<string, unknown>,
    severities: [...input.severities],
    namespaces: [...input.namespaces],
    maxAttempts: input.maxAttempts,
    timeoutMs: input.timeoutMs,
  };
}
