// What each channel type is sent, as pure functions of the event: the
// Standard Webhooks body and signature headers, a PagerDuty Events v2
// event, a Slack-compatible message, and the texts of GitHub and Jira
// issues. Shapes follow each service's public API documentation; the
// acceptance tests check them with local receivers.
import { Webhook } from "standardwebhooks";
import type { NotificationEvent } from "./notifier.ts";

/** The JSON body of a generic webhook: Standard Webhooks' recommended `{ type, timestamp, data }`. */
export function webhookBody(event: NotificationEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: {
      id: event.id,
      severity: event.severity,
      action: event.action,
      namespace: event.namespace,
      title: event.title,
      summary: event.summary,
      dedupKey: event.dedupKey,
      links: event.links,
      ...event.data,
    },
  });
}

/**
 * Standard Webhooks headers for `body`: `webhook-id` (the event id: the
 * receiver's idempotency key, the same on every retry), `webhook-timestamp`
 * (when this attempt was signed) and `webhook-signature`, one `v1,<base64>`
 * per secret, space-separated, so a receiver rotating its secret accepts
 * either. Signed with the `standardwebhooks` library.
 */
export function webhookHeaders(eventId: string, body: string, secrets: readonly string[], at: Date): Record<string, string> {
  const signatures = secrets.map((s) => new Webhook(s).sign(eventId, at, body));
  return {
    "content-type": "application/json",
    "webhook-id": eventId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}

const PAGERDUTY_SEVERITY = { page: "critical", ticket: "warning", info: "info" } as const;

/** A PagerDuty Events API v2 event (trigger, acknowledge or resolve of the incident `dedup_key`). */
export function pagerDutyBody(event: NotificationEvent, routingKey: string, source: string): Record<string, unknown> {
  const base = { routing_key: routingKey, event_action: event.action, dedup_key: event.dedupKey };
  if (event.action !== "trigger") return base;
  return {
    ...base,
    payload: {
      summary: event.title.slice(0, 1024),
      source,
      severity: PAGERDUTY_SEVERITY[event.severity],
      timestamp: event.occurredAt.toISOString(),
      ...(typeof event.data.service === "string" ? { component: event.data.service } : {}),
      ...(event.namespace ? { group: event.namespace } : {}),
      class: event.type,
      custom_details: { summary: event.summary, ...event.data },
    },
    client: "Weft",
    ...(event.links[0] ? { client_url: event.links[0].url } : {}),
    links: event.links.map((l) => ({ href: l.url, text: l.label })),
  };
}

const ICON = { trigger: "🔴", acknowledge: "🟡", resolve: "✅" } as const;

/** A Slack-compatible incoming webhook message: `text` as the fallback, Block Kit blocks for the rest. */
export function slackBody(event: NotificationEvent): Record<string, unknown> {
  const links = event.links.map((l) => `<${l.url}|${l.label}>`).join(" · ");
  return {
    text: `${ICON[event.action]} [${event.severity}] ${event.title}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: `${ICON[event.action]} ${event.title}`.slice(0, 150), emoji: true } },
      { type: "section", text: { type: "mrkdwn", text: event.summary.slice(0, 3000) } },
      { type: "context", elements: [{ type: "mrkdwn", text: [`*${event.severity}*`, event.namespace ? `namespace \`${event.namespace}\`` : "mesh-wide", links].filter(Boolean).join(" · ") }] },
    ],
  };
}

/** The title of an issue opened for an incident. */
export function issueTitle(event: NotificationEvent): string {
  return `[${event.severity}] ${event.title}`.slice(0, 255);
}

/** The body of an issue (GitHub markdown; Jira renders it as plain text). */
export function issueBody(event: NotificationEvent): string {
  const links = event.links.map((l) => `- [${l.label}](${l.url})`).join("\n");
  return `${event.summary}\n\n${links}\n\n_Opened by Weft (${event.type}, incident \`${event.dedupKey}\`)._`;
}

/** A comment on the issue of an incident: it fired again, was acknowledged, or resolved. */
export function issueComment(event: NotificationEvent): string {
  const what = event.action === "resolve" ? "Resolved" : event.action === "acknowledge" ? "Acknowledged" : "Fired again";
  return `${what} at ${event.occurredAt.toISOString()}: ${event.title}\n\n${event.summary}`;
}

/** Jira REST v2 "create issue" fields. */
export function jiraIssueBody(event: NotificationEvent, config: { projectKey: string; issueType: string }): Record<string, unknown> {
  return { fields: { project: { key: config.projectKey }, summary: issueTitle(event), description: issueBody(event), issuetype: { name: config.issueType }, labels: ["weft", `weft-${event.severity}`] } };
}
