// `weft sidecar suggest`: reading the target and window, and the summary
// printed beside the document. The document goes to stdout (pipe it to
// `weft apply -f -`); what it is based on goes to stderr.
import type { EgressSuggestion } from "@weft/api";
import { formatSloWindow, parseSloWindow } from "@weft/mesh-model";
import { UsageError } from "./context.ts";

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const WEEK_MS = 7 * 86_400_000;

/** `<namespace>` or `<namespace>/<service>`. */
export function parseTarget(text: string): { namespace: string; service?: string } {
  const [namespace = "", service, ...rest] = text.split("/");
  if (rest.length > 0 || !LABEL.test(namespace) || (service !== undefined && !LABEL.test(service)))
    throw new UsageError(`the target must be <namespace> or <namespace>/<service> (DNS labels), not "${text}"`);
  return service === undefined ? { namespace } : { namespace, service };
}

/** The window `--since` names, ending now: at least a minute, at most a week (the rollups' retention). */
export function sinceWindow(text: string, now: Date): { from: Date; to: Date; label: string } {
  // Whole minutes, hours or days ("30m", "12h", "7d"): the SLO windows' shorthand, since a week is the usual span.
  const ms = parseSloWindow(text);
  if (ms === undefined || ms < 60_000 || ms > WEEK_MS) throw new UsageError(`--since must be a duration from 1m to 7d (like 7d or 12h), not "${text}"`);
  return { from: new Date(now.getTime() - ms), to: now, label: `last ${formatSloWindow(ms)}` };
}

/** What the suggestion rests on, as `#` lines: the callees with counts and last calls, the diff, the notes. */
export function summaryLines(s: EgressSuggestion): string[] {
  const target = s.document.spec.targetRef ? `${s.document.metadata.namespace}/${s.document.spec.targetRef.name}` : `namespace ${s.document.metadata.namespace}`;
  const lines = [`# egress of ${target} seen ${s.window.coveredFrom.toISOString()} … ${s.window.coveredTo.toISOString()}:`];
  for (const c of s.callees)
    lines.push(`#   ${c.host}  ${c.requests} requests, last ${c.lastSeen.toISOString()}${c.kind === "ExternalService" ? " (ExternalService)" : c.clusters.length > 0 ? ` (${c.clusters.join(", ")})` : ""}`);
  if (s.diff) {
    lines.push(`# against ${s.diff.against}: ${s.diff.added.length} added, ${s.diff.removed.length} removed`);
    for (const h of s.diff.added) lines.push(`#   + ${h}`);
    for (const h of s.diff.removed) lines.push(`#   - ${h}`);
  } else lines.push(`# no Sidecar scopes ${target} yet: applying creates ${s.document.metadata.namespace}/${s.document.metadata.name}`);
  for (const n of s.notes) lines.push(`# note: ${n}`);
  return lines;
}
