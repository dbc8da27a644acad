// The rollouts list across every namespace and cluster: the ones waiting
// for an approval first (Argo's dashboard shows one namespace at a time),
// then running ones, then finished ones, newest first.

export interface RolloutListItem {
  namespace: string;
  name: string;
  service: string;
  phase: string;
  awaitingApproval: boolean;
  clusters: string[];
  updatedAt: Date;
  finishedAt: Date | null;
}

const TERMINAL = new Set(["Succeeded", "RolledBack", "Aborted"]);

function rank(r: RolloutListItem): number {
  if (r.awaitingApproval) return 0;
  if (r.phase === "Paused") return 1;
  if (!TERMINAL.has(r.phase)) return 2;
  return 3;
}

export function sortRollouts<T extends RolloutListItem>(items: readonly T[]): T[] {
  return [...items].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (b.finishedAt ?? b.updatedAt).getTime() - (a.finishedAt ?? a.updatedAt).getTime() ||
      `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
}

export function filterRollouts<T extends RolloutListItem>(items: readonly T[], filter: { namespace?: string | null; cluster?: string | null; search?: string | null; active?: boolean }): T[] {
  const q = filter.search?.trim().toLowerCase() ?? "";
  return items.filter(
    (r) =>
      (!filter.namespace || r.namespace === filter.namespace) &&
      // A rollout over every cluster (no list) belongs to every cluster.
      (!filter.cluster || r.clusters.length === 0 || r.clusters.includes(filter.cluster)) &&
      (!q || `${r.namespace}/${r.name} ${r.service}`.toLowerCase().includes(q)) &&
      (!filter.active || !TERMINAL.has(r.phase)),
  );
}

/** The phase as a badge: colour class and label. */
export function phaseBadge(phase: string, awaitingApproval: boolean): { tone: "ok" | "warn" | "bad" | "info" | "muted"; label: string } {
  if (awaitingApproval) return { tone: "warn", label: "waiting for approval" };
  switch (phase) {
    case "Succeeded":
      return { tone: "ok", label: "succeeded" };
    case "RolledBack":
      return { tone: "bad", label: "rolled back" };
    case "Aborted":
      return { tone: "muted", label: "aborted" };
    case "Paused":
      return { tone: "warn", label: "paused" };
    case "WaitingPromotion":
      return { tone: "info", label: "waiting to promote" };
    case "Promoting":
      return { tone: "info", label: "promoting" };
    case "Initializing":
      return { tone: "info", label: "initializing" };
    default:
      return { tone: "info", label: "progressing" };
  }
}
