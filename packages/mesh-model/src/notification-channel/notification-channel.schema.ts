// Notification channels: where SLO alerts, tickets and rollout failures are
// sent. Not a mesh resource (they hold secrets and only admins manage them),
// but one schema serves the manager's procedures and the dashboard's form.
// Secrets live in their own object: the manager seals it and never returns it.
import { z } from "zod";
import { DnsLabelSchema } from "../common/names.ts";

const httpUrl = (what: string) =>
  z
    .url({ message: "must be a URL" })
    // Only a URL of another scheme gets this message; anything else already has "must be a URL".
    .refine((u) => !/^[a-z][a-z0-9+.-]*:/i.test(u) || /^https?:\/\//.test(u), { message: "must be an http or https URL" })
    .describe(what);

export const NotificationSeveritySchema = z.enum(["page", "ticket", "info"]).describe("`page` wakes someone, `ticket` waits for working hours, `info` is a record.");

const routing = {
  name: DnsLabelSchema.describe("Name of the channel (DNS-1123 label), unique."),
  enabled: z.boolean().default(true).describe("Send to this channel. Default true."),
  severities: z
    .array(NotificationSeveritySchema)
    .max(3)
    .default([])
    .describe("Only events of these severities; every severity when empty."),
  namespaces: z
    .array(DnsLabelSchema.describe("A namespace."))
    .max(100)
    .default([])
    .describe("Only events about these namespaces; every namespace (and mesh-wide events) when empty."),
  maxAttempts: z.number().int().min(1, { message: "must be between 1 and 20" }).max(20, { message: "must be between 1 and 20" }).default(8).describe("Attempts before a delivery goes to the dead letter. Default 8."),
  timeoutMs: z.number().int().min(100, { message: "must be between 100 and 60000" }).max(60_000, { message: "must be between 100 and 60000" }).default(10_000).describe("How long one attempt may take, in milliseconds. Default 10000."),
};

/** A Standard Webhooks secret: `whsec_` and base64 of 24 to 64 random bytes. */
export const WebhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, { message: 'must be "whsec_" followed by base64 (a Standard Webhooks secret)' })
  .refine((s) => {
    // Decoded length without Buffer (the dashboard validates with this schema too); the regex above reports other shapes.
    if (!s.startsWith("whsec_")) return true;
    const b64 = s.slice(6);
    const bytes = Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);
    return bytes >= 24 && bytes <= 64;
  }, { message: "must hold 24 to 64 random bytes" })
  .describe("A Standard Webhooks signing secret: whsec_ and base64 of 24 to 64 random bytes.");

export const WebhookChannelSchema = z
  .strictObject({
    type: z.literal("WEBHOOK").describe("A generic webhook, signed per the Standard Webhooks spec."),
    ...routing,
    config: z.strictObject({ url: httpUrl("Where events are POSTed as JSON.") }).describe("Where to send."),
    secrets: z
      .strictObject({
        signingSecrets: z
          .array(WebhookSecretSchema)
          .min(1, { message: "must hold at least one secret" })
          .max(3, { message: "must hold at most 3 secrets (several only during a rotation)" })
          .describe("Every message is signed with each (space-separated signatures), so a receiver can rotate without missing one."),
      })
      .optional()
      .describe("Omitted on create: the manager generates a secret and shows it once. Omitted on update: the stored secrets stay."),
  })
  .describe("Generic webhook: `webhook-id`, `webhook-timestamp` and `webhook-signature` headers (Standard Webhooks).");

export const PagerDutyChannelSchema = z
  .strictObject({
    type: z.literal("PAGERDUTY").describe("PagerDuty Events API v2: trigger, acknowledge and resolve with a dedup key."),
    ...routing,
    config: z
      .strictObject({
        url: httpUrl("Events API endpoint. Default https://events.pagerduty.com/v2/enqueue.").default("https://events.pagerduty.com/v2/enqueue"),
        source: z.string().min(1).max(255).default("weft").describe("The `payload.source` of triggered events. Default weft."),
      })
      .describe("Where to send."),
    secrets: z.strictObject({ routingKey: z.string().min(1, { message: "must not be empty" }).max(64).describe("The integration's routing key (32 characters).") }).optional().describe("Required on create; omitted on update: the stored key stays."),
  })
  .describe("PagerDuty Events API v2.");

export const SlackChannelSchema = z
  .strictObject({
    type: z.literal("SLACK").describe("A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat)."),
    ...routing,
    config: z.strictObject({}).default({}).describe("Nothing: the webhook URL is a secret."),
    secrets: z.strictObject({ webhookUrl: httpUrl("The incoming webhook URL (it is the credential).") }).optional().describe("Required on create; omitted on update: the stored URL stays."),
  })
  .describe("Slack-compatible incoming webhook.");

export const GitHubChannelSchema = z
  .strictObject({
    type: z.literal("GITHUB").describe("GitHub Issues: an issue per incident, a comment on re-fire, closed on resolve."),
    ...routing,
    config: z
      .strictObject({
        apiUrl: httpUrl("The REST API root. Default https://api.github.com (GitHub Enterprise: https://<host>/api/v3).").default("https://api.github.com"),
        repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: 'must be "owner/repository"' }).describe("Where issues are opened: owner/repository."),
        labels: z.array(z.string().min(1).max(50).describe("A label.")).max(10).default(["weft"]).describe("Labels of opened issues. Default [weft]."),
      })
      .describe("Where to open issues."),
    secrets: z.strictObject({ token: z.string().min(1, { message: "must not be empty" }).max(255).describe("A token allowed to write issues.") }).optional().describe("Required on create; omitted on update: the stored token stays."),
  })
  .describe("GitHub Issues.");

export const JiraChannelSchema = z
  .strictObject({
    type: z.literal("JIRA").describe("Jira: an issue per incident, a comment on re-fire, transitioned on resolve."),
    ...routing,
    config: z
      .strictObject({
        baseUrl: httpUrl("The Jira site, e.g. https://example.atlassian.net."),
        projectKey: z.string().regex(/^[A-Z][A-Z0-9_]{1,9}$/, { message: "must be a Jira project key like OPS" }).describe("Project where issues are created."),
        issueType: z.string().min(1).max(60).default("Bug").describe("Issue type of created issues. Default Bug."),
        doneTransition: z.string().min(1).max(60).default("Done").describe("Name of the transition that closes an issue on resolve. Default Done."),
        email: z.string().email({ message: "must be an email address" }).optional().describe("Jira Cloud: the account email (basic auth with the API token); omitted: the token is sent as a bearer token (Data Center)."),
      })
      .describe("Where to create issues."),
    secrets: z.strictObject({ token: z.string().min(1, { message: "must not be empty" }).max(512).describe("API token (Cloud) or personal access token (Data Center).") }).optional().describe("Required on create; omitted on update: the stored token stays."),
  })
  .describe("Jira.");

/** A notification channel as written by an admin (create or update). */
export const NotificationChannelInputSchema = z
  .discriminatedUnion("type", [WebhookChannelSchema, PagerDutyChannelSchema, SlackChannelSchema, GitHubChannelSchema, JiraChannelSchema])
  .describe("A notification channel: where events go, which of them, and its credentials.");
export type NotificationChannelInput = z.input<typeof NotificationChannelInputSchema>;
export type NotificationChannelSpec = z.output<typeof NotificationChannelInputSchema>;
export type NotificationChannelType = NotificationChannelSpec["type"];
export const NOTIFICATION_CHANNEL_TYPES: readonly NotificationChannelType[] = ["WEBHOOK", "PAGERDUTY", "SLACK", "GITHUB", "JIRA"];
