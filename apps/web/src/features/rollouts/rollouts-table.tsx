"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { DataTable } from "../ui/data-table.tsx";
import { formatRelative } from "../ui/format.ts";
import { rolloutHref } from "./rollout-links.ts";
import { phaseBadge, type RolloutListItem } from "./rollouts-list.ts";

export const BADGE_TONE = { ok: "ok", warn: "warning", bad: "critical", info: "info", muted: undefined } as const;

/** A row of the list: what rollouts-list.ts sorts on, plus what the table shows. */
export interface RolloutRow extends RolloutListItem {
  stable: string;
  canary: string;
  /** "step 2 of 5 · 25 %", in words. */
  progress: string;
}

/** The rollouts, already sorted and filtered, one row each. */
export function RolloutsTable({ rows, now }: { rows: readonly RolloutRow[]; now: number }) {
  const params = useSearchParams();
  return (
    <DataTable columns={["Rollout", "Service", "Versions", "Clusters", "Phase", "Progress", "Updated"]} testId="rollouts-table">
      {rows.map((r) => {
        const badge = phaseBadge(r.phase, r.awaitingApproval);
        return (
          <tr key={`${r.namespace}/${r.name}`} data-testid="rollout-row" data-phase={r.phase}>
            <td>
              <Link href={rolloutHref(params, r.namespace, r.name)}>{`${r.namespace}/${r.name}`}</Link>
            </td>
            <td>{r.service}</td>
            <td>
              {r.stable} → {r.canary}
            </td>
            <td>{r.clusters.length === 0 ? "every cluster" : r.clusters.join(", ")}</td>
            <td>
              <span className="badge" data-tone={BADGE_TONE[badge.tone]}>
                {badge.label}
              </span>
            </td>
            <td>{r.progress}</td>
            <td>{formatRelative(r.finishedAt ?? r.updatedAt, now)}</td>
          </tr>
        );
      })}
    </DataTable>
  );
}
