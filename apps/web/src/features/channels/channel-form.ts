// The channel form's fields per type, and the input they make: validated
// in the browser with the same schema the manager uses.
import { NotificationChannelInputSchema, issuesFromZod, type NotificationChannelInput, type NotificationChannelType, type ValidationIssue } from "@weft/mesh-model";

export interface ChannelField {
  key: string;
  label: string;
  /** Where it goes in the input. */
  in: "config" | "secrets";
  secret?: boolean;
  placeholder?: string;
  optional?: boolean;
}

export const CHANNEL_FIELDS: Record<NotificationChannelType, { label: string; fields: ChannelField[] }> = {
  WEBHOOK: {
    label: "Webhook (Standard Webhooks)",
    fields: [
      { key: "url", label: "URL", in: "config", placeholder: "https://hooks.example.com/weft" },
      { key: "signingSecrets", label: "Signing secret (whsec_…; empty: Weft generates one)", in: "secrets", secret: true, optional: true },
    ],
  },
  PAGERDUTY: { label: "PagerDuty Events v2", fields: [{ key: "routingKey", label: "Routing key", in: "secrets", secret: true }] },
  SLACK: { label: "Slack-compatible webhook", fields: [{ key: "webhookUrl", label: "Incoming webhook URL", in: "secrets", secret: true, placeholder: "https://hooks.slack.com/services/…" }] },
  GITHUB: {
    label: "GitHub Issues",
    fields: [
      { key: "repository", label: "Repository (owner/name)", in: "config", placeholder: "acme/shop" },
      { key: "apiUrl", label: "API URL", in: "config", optional: true, placeholder: "https://api.github.com" },
      { key: "token", label: "Token", in: "secrets", secret: true },
    ],
  },
  JIRA: {
    label: "Jira",
    fields: [
      { key: "baseUrl", label: "Site URL", in: "config", placeholder: "https://example.atlassian.net" },
      { key: "projectKey", label: "Project key", in: "config", placeholder: "OPS" },
      { key: "email", label: "Account email (Jira Cloud)", in: "config", optional: true },
      { key: "token", label: "API token", in: "secrets", secret: true },
    ],
  },
};

export interface ChannelFormValues {
  type: NotificationChannelType;
  name: string;
  severities: string[];
  namespaces: string;
  values: Record<string, string>;
}

/** The create input from the form, or every issue with its path. Empty optional fields are left out. */
export function channelInputOf(form: ChannelFormValues): { ok: true; input: NotificationChannelInput } | { ok: false; issues: ValidationIssue[] } {
  const config: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const field of CHANNEL_FIELDS[form.type].fields) {
    const value = (form.values[field.key] ?? "").trim();
    if (!value && field.optional) continue;
    const target = field.in === "config" ? config : secrets;
    target[field.key] = field.key === "signingSecrets" ? [value] : value;
  }
  const input = {
    type: form.type,
    name: form.name.trim(),
    severities: form.severities,
    namespaces: form.namespaces.split(",").map((n) => n.trim()).filter(Boolean),
    config,
    ...(Object.keys(secrets).length ? { secrets } : {}),
  };
  const parsed = NotificationChannelInputSchema.safeParse(input, { reportInput: true });
  return parsed.success ? { ok: true, input: input as NotificationChannelInput } : { ok: false, issues: issuesFromZod(parsed.error.issues) };
}
