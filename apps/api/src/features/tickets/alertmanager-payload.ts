// Alertmanager's webhook payload (webhook_config, `version: "4"`), as its
// documentation gives it. Validated whole before anything is stored: a
// payload with a missing or wrong field is refused with the field's path.
import { z } from "zod";

const Labels = z.record(z.string(), z.string()).describe("Label name → value.");
/** RFC 3339 with any fraction (Alertmanager writes nanoseconds; an unset endsAt is 0001-01-01T00:00:00Z). */
const Time = z.string().refine((t) => !Number.isNaN(Date.parse(t)), { message: "must be an RFC 3339 time" });

export const AlertmanagerAlertSchema = z.looseObject({
  status: z.enum(["firing", "resolved"]).describe("This alert's state."),
  labels: Labels.refine((l) => typeof l.alertname === "string" && l.alertname.length > 0, { message: "must hold an alertname label", path: ["alertname"] }),
  annotations: Labels.default({}),
  startsAt: Time.describe("When the alert started firing."),
  endsAt: Time.describe("When it resolved; 0001-01-01T00:00:00Z while firing."),
  generatorURL: z.string().default("").describe("The Prometheus graph of the rule."),
  fingerprint: z.string().min(1, { message: "must not be empty" }).describe("Identifies the alert (its label set)."),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlertSchema>;

export const AlertmanagerPayloadSchema = z.looseObject({
  version: z.literal("4", { message: 'must be "4" (Alertmanager webhook payload version)' }),
  groupKey: z.string().describe("Identifies the group of alerts."),
  truncatedAlerts: z.number().int().min(0).default(0).describe("Alerts left out (max_alerts)."),
  status: z.enum(["firing", "resolved"]).describe("The group's state."),
  receiver: z.string().describe("The receiver's name."),
  groupLabels: Labels,
  commonLabels: Labels,
  commonAnnotations: Labels,
  externalURL: z.string().describe("Alertmanager's URL."),
  alerts: z.array(AlertmanagerAlertSchema).min(1, { message: "must hold at least one alert" }).max(1000, { message: "must hold at most 1000 alerts" }),
});
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayloadSchema>;
