// What the service page's "Scope egress…" shows of a suggested Sidecar, and
// where it sends the user: pure, so the table's rows and the editor link are
// tested without a browser.
import type { EgressSuggestion } from "@weft/api";

/** How a host of the suggestion relates to the Sidecar in force. */
export type HostChange = "added" | "kept" | "new";

export interface CalleeRow {
  host: string;
  kind: "Service" | "ExternalService";
  requests: number;
  lastSeen: Date;
  /** Clusters the calls went to, or "external". */
  where: string;
  /** `added`/`kept` against the Sidecar in force; `new` when there is none. */
  change: HostChange;
}

/** One row per suggested host, busiest first. */
export function calleeRows(s: EgressSuggestion): CalleeRow[] {
  const added = new Set(s.diff?.added ?? []);
  return s.callees
    .map((c) => ({
      host: c.host,
      kind: c.kind,
      requests: c.requests,
      lastSeen: c.lastSeen,
      where: c.kind === "ExternalService" ? "external" : c.clusters.join(", "),
      change: (s.diff ? (added.has(c.host) ? "added" : "kept") : "new") as HostChange,
    }))
    .sort((a, b) => b.requests - a.requests || (a.host < b.host ? -1 : 1));
}

/** One sentence on what applying the suggestion would do. */
export function suggestionSummary(s: EgressSuggestion): string {
  const target = s.document.spec.targetRef ? `${s.document.metadata.namespace}/${s.document.spec.targetRef.name}` : `every workload of ${s.document.metadata.namespace}`;
  const hosts = `${s.callees.length} host${s.callees.length === 1 ? "" : "s"}`;
  if (!s.diff) return `A new Sidecar ${s.document.metadata.namespace}/${s.document.metadata.name} would scope ${target} to the ${hosts} it called; any other call would answer 404.`;
  const { added, removed } = s.diff;
  if (added.length === 0 && removed.length === 0) return `${s.diff.against} already lists exactly the ${hosts} ${target} called.`;
  return `Updating ${s.diff.against} would add ${added.length} and remove ${removed.length} host${removed.length === 1 ? "" : "s"} (${hosts} in all).`;
}

/** The policy editor's query for the suggestion stored as draft `draftId`: an edit of the Sidecar in force (diffed against it), or a new one. */
export function editorQuery(s: EgressSuggestion, draftId: string): Record<string, string> {
  return { kind: "Sidecar", namespace: s.document.metadata.namespace ?? "default", draft: draftId, ...(s.diff ? { name: s.document.metadata.name } : {}) };
}
