// The demo's SLOs and its built-in notification channel, so a newcomer sees
// budgets move and notifications arrive: a latency SLO on `frontend`, an
// availability SLO on `catalog` (its v2 in east fails 3 %, well inside a
// 98 % objective: the budget burns slowly; README shows how to make it burn
// fast), and a webhook
// channel to the demo's inbox (demo-inbox.ts), which prints what arrives.
// Created once, on the first start, as soon as discovery knows the services
// (an SLO on an unknown service is refused).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEMO_NAMESPACE } from "./demo-topology.ts";
import { ManagerApiError, type ManagerApi } from "./manager-api.ts";

export const DEMO_SLOS = `apiVersion: weft.io/v1alpha1
kind: ServiceLevelObjective
metadata: { name: frontend-latency, namespace: ${DEMO_NAMESPACE} }
spec:
  description: The shop's front door answers within half a second.
  service: { name: frontend }
  indicator: { type: latency, threshold: 500ms }
  objective: 99
  window: 7d
  # The first requests after a start are slow (connections, certificates): no alert until a window holds 5 minutes of traffic.
  alerting: { minimumEvents: 3000 }
---
apiVersion: weft.io/v1alpha1
kind: ServiceLevelObjective
metadata: { name: catalog-availability, namespace: ${DEMO_NAMESPACE} }
spec:
  description: The catalog answers without a server error.
  service: { name: catalog }
  indicator: { type: availability }
  objective: 98
  window: 7d
  alerting: { minimumEvents: 3000 }
`;

/** The inbox's signing secret: made on the first start, kept (0600) in the demo's folder. */
export async function inboxSecret(dir: string): Promise<string> {
  const file = join(dir, "inbox.secret");
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * Applies the demo SLOs once discovery knows frontend and catalog (a dry run
 * says so: it is blocked while either is unknown), and adds the inbox
 * channel. Gives up quietly after `timeoutMs`: the demo runs without them.
 */
export async function seedDemoSlos(api: ManagerApi, options: { inboxUrl: string; secret: string; log: (line: string) => void; timeoutMs?: number }): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  for (;;) {
    const dry = await api.mutation<{ status: string }>("resources.applyDocuments", { text: DEMO_SLOS, dryRun: true });
    if (dry.status !== "blocked" && dry.status !== "invalid") break;
    if (Date.now() > deadline) {
      options.log("demo: the SLOs were not created (frontend and catalog were not discovered in time)");
      return;
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
  await api.mutation("resources.applyDocuments", { text: DEMO_SLOS, message: "demo: SLOs on frontend and catalog" });
  try {
    await api.mutation("channels.create", { type: "WEBHOOK", name: "demo-inbox", config: { url: options.inboxUrl }, secrets: { signingSecrets: [options.secret] } });
  } catch (err) {
    // A channel of that name from an earlier start: keep it.
    if (!(err instanceof ManagerApiError && err.code === "CONFLICT")) throw err;
  }
  options.log("demo: SLOs shop/frontend-latency and shop/catalog-availability, notifications to the demo inbox");
}
