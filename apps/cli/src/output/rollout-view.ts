// How weft shows rollouts: the list's columns, a run's status (step, weight
// per cluster, the latest verdict with its numbers), and, for
// `status --watch`, the events that are new since the last look.
import type { RolloutRunDetail, RolloutRunSummary } from "@weft/api";
import type { Column } from "./render.ts";

export const ROLLOUT_COLUMNS: Column<RolloutRunSummary>[] = [
  { header: "NAMESPACE", value: (r) => r.namespace },
  { header: "NAME", value: (r) => r.name },
  { header: "SERVICE", value: (r) => `${r.service} ${r.stableVersion}→${r.canaryVersion}` },
  { header: "PHASE", value: (r) => `${r.phase}${r.awaitingApproval ? " (approval)" : ""}` },
  { header: "STEP", value: (r) => r.stepLabel },
  { header: "CANARY", value: (r) => (r.canaryWeight === null ? "match" : `${r.canaryWeight}%`) },
  { header: "FAILED", value: (r) => `${r.failedChecks}/${r.threshold}` },
  { header: "STARTED", value: (r) => r.createdAt.toISOString(), wide: true },
  { header: "BY", value: (r) => r.startedBy, wide: true },
];

type Event = RolloutRunDetail["events"][number];
type Check = RolloutRunDetail["checks"][number];

/** One timeline line: time, event type, message and who acted. */
export function formatRolloutEvent(e: Event): string {
  return `${e.at.toISOString().slice(11, 19)}  ${e.type.padEnd(16)} ${e.message}${e.actor ? ` [${e.actor}]` : ""}`;
}

/** One check with its numbers: verdict, value vs threshold, samples, the cluster it judged. */
export function formatRolloutCheck(c: Check): string {
  const v = c.values as { value?: number | null; stableValue?: number | null; status?: number | null; attempts?: number };
  const t = c.threshold as { op?: string; value?: number; unit?: string } | null;
  const where = c.cluster ? ` in ${c.cluster}` : "";
  if (c.kind === "metric")
    return `${c.verdict.toUpperCase().padEnd(7)} ${c.name}${where}: ${v.value ?? "none"}${t?.unit === "%" ? " %" : " ms"} (${t?.op ?? ""} ${t?.value ?? ""}; stable ${v.stableValue ?? "none"}; n=${c.sampleCount})`;
  return `${c.verdict.toUpperCase().padEnd(7)} ${c.kind} ${c.name}: ${c.message}`;
}

/** `weft rollout status`: the run, its traffic per cluster, the latest verdicts and the newest events. */
export function describeRollout(d: RolloutRunDetail, events = 10): string {
  const r = d.run;
  const lines = [
    `Rollout ${r.namespace}/${r.name} (revision ${r.rolloutRevision}, attempt ${r.attempt}): ${r.service} ${r.stableVersion} → ${r.canaryVersion}`,
    `  phase ${r.phase}${r.awaitingApproval ? ", waiting for approval (weft rollout promote)" : ""}; ${r.stepLabel}; failed checks ${r.failedChecks}/${r.threshold}`,
  ];
  if (r.message) lines.push(`  ${r.message}`);
  lines.push("traffic:");
  for (const c of d.clusters) lines.push(`  ${c.cluster ?? (d.clusters.length === 1 ? "every cluster" : "other clusters")}: canary ${c.canaryWeight === null ? "matching requests" : `${c.canaryWeight} %`} (${c.traffic.mode})`);
  const latest = d.checks.filter((c) => c.at.getTime() === d.checks[0]?.at.getTime());
  if (latest.length) lines.push(`latest checks (${latest[0]?.at.toISOString()}):`, ...latest.map((c) => `  ${formatRolloutCheck(c)}`));
  lines.push("events:", ...d.events.slice(0, events).reverse().map((e) => `  ${formatRolloutEvent(e)}`));
  return `${lines.join("\n")}\n`;
}

/** The events of `detail` not shown yet (ids above `lastId`), oldest first, and the new high mark. */
export function newEvents(detail: Pick<RolloutRunDetail, "events">, lastId: bigint): { events: Event[]; lastId: bigint } {
  const fresh = detail.events.filter((e) => BigInt(e.id) > lastId).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  return { events: fresh, lastId: fresh.reduce((max, e) => (BigInt(e.id) > max ? BigInt(e.id) : max), lastId) };
}
