// What controllers (SLO evaluator, rollout controller) hand to the
// notification channels. Routing (which severities and namespaces go to
// which channel), signing, retries and the delivery log live behind it.

/** How urgent: `page` wakes someone, `ticket` waits for working hours, `info` is a record. */
export type NotificationSeverity = "page" | "ticket" | "info";

export interface NotificationEvent {
  /** Stable per event: a retried or re-emitted event with the same id is delivered once (idempotency key). */
  id: string;
  /** What happened, dotted: `slo.alert.firing`, `slo.alert.resolved`, `ticket.opened`, `rollout.rolled-back`, ... */
  type: string;
  severity: NotificationSeverity;
  /** Namespace of the subject, for routing; null for mesh-wide events. */
  namespace: string | null;
  /** One line for a human. */
  title: string;
  /** A few lines for a human: what, how bad, what to look at. */
  summary: string;
  /** Groups events about one incident (PagerDuty dedup key, one issue per key in GitHub/Jira). */
  dedupKey: string;
  /** `trigger` opens or re-fires, `resolve` closes the incident of `dedupKey`, `acknowledge` acknowledges it. */
  action: "trigger" | "acknowledge" | "resolve";
  /** Dashboard and runbook links. */
  links: Array<{ label: string; url: string }>;
  /** Machine-readable details (sent as the webhook body's `data`). */
  data: Record<string, unknown>;
  occurredAt: Date;
}

/** Sends an event to every channel whose routing matches; never throws for a channel's failure (it is retried and logged). */
export interface Notifier {
  notify(event: NotificationEvent): Promise<void>;
}
