import { describe, expect, it } from "vitest";
import { issuesFromZod } from "../common/issues.ts";
import { NotificationChannelInputSchema } from "./notification-channel.schema.ts";

const issuesOf = (value: unknown) => {
  const r = NotificationChannelInputSchema.safeParse(value, { reportInput: true });
  return r.success ? [] : issuesFromZod(r.error.issues).map((i) => `${i.path}: ${i.code}`);
};
const secret = `whsec_${"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`;

describe("notification channel input", () => {
  it("fills in defaults", () => {
    expect(NotificationChannelInputSchema.parse({ type: "PAGERDUTY", name: "oncall", config: {}, secrets: { routingKey: "R0UTINGKEY" } })).toEqual({
      type: "PAGERDUTY",
      name: "oncall",
      enabled: true,
      severities: [],
      namespaces: [],
      maxAttempts: 8,
      timeoutMs: 10_000,
      config: { url: "https://events.pagerduty.com/v2/enqueue", source: "weft" },
      secrets: { routingKey: "R0UTINGKEY" },
    });
  });

  it.each<[string, unknown, string[]]>([
    ["a webhook with a secret", { type: "WEBHOOK", name: "hooks", config: { url: "https://hooks.example.com/weft" }, secrets: { signingSecrets: [secret] } }, []],
    ["a webhook to ftp", { type: "WEBHOOK", name: "hooks", config: { url: "ftp://example.com" } }, ["config.url: invalid_value"]],
    ["a secret without whsec_", { type: "WEBHOOK", name: "hooks", config: { url: "https://x.example" }, secrets: { signingSecrets: ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] } }, ["secrets.signingSecrets[0]: invalid_format"]],
    ["a short secret", { type: "WEBHOOK", name: "hooks", config: { url: "https://x.example" }, secrets: { signingSecrets: ["whsec_c2hvcnQ="] } }, ["secrets.signingSecrets[0]: invalid_value"]],
    ["an unknown severity", { type: "SLACK", name: "chat", config: {}, severities: ["urgent"] }, ["severities[0]: invalid_value"]],
    ["a repository without owner", { type: "GITHUB", name: "gh", config: { repository: "weft" } }, ["config.repository: invalid_format"]],
    ["a lowercase Jira key", { type: "JIRA", name: "jira", config: { baseUrl: "https://x.atlassian.net", projectKey: "ops" } }, ["config.projectKey: invalid_format"]],
    ["an unknown type", { type: "EMAIL", name: "mail", config: {} }, ["type: invalid_value"]],
    ["too many attempts", { type: "SLACK", name: "chat", config: {}, maxAttempts: 50 }, ["maxAttempts: too_big"]],
  ])("%s", (_name, value, expected) => expect(issuesOf(value)).toEqual(expected));
});
