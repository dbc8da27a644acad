// Which task wizard a link opens: the service page reads `wizard=<id>` and
// opens that one (the topology side panel links there).

export const RESILIENCE_WIZARDS = [
  { id: "fault", label: "Inject a fault…", heading: "fault-heading" },
  { id: "retries", label: "Timeouts and retries…", heading: "retries-heading" },
  { id: "breaker", label: "Circuit breaking…", heading: "breaker-heading" },
] as const;
export type ResilienceWizard = (typeof RESILIENCE_WIZARDS)[number]["id"];

/** The wizard named by a `wizard` search parameter, or null. */
export function wizardOf(param: string | null): ResilienceWizard | null {
  return RESILIENCE_WIZARDS.find((w) => w.id === param)?.id ?? null;
}
