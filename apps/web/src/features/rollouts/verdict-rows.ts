// The rollout page's verdict table: every stored check with the numbers it
// judged, newest first, grouped by the step it belonged to.
import { checkSummary, type RolloutCheck } from "@weft/mesh-model";

/** A stored check as the API returns it. */
export interface StoredCheck {
  id: string;
  at: Date;
  attempt: number;
  wave: number;
  step: number;
  windowFrom: Date | null;
  windowTo: Date | null;
  query: string;
  check: RolloutCheck;
}

export interface VerdictRow {
  id: string;
  at: Date;
  /** "step 2 · wave 1", "attempt 2 · step 1". */
  where: string;
  check: string;
  scope: string;
  verdict: "pass" | "fail" | "no-data" | "no-slo";
  mode: "Blocking" | "Advisory";
  /** Value, threshold, vs stable and sample counts in words. */
  numbers: string;
  /** Effect size of the comparison with stable, when there was one. */
  effectSize: number | null;
  warnings: string[];
  reason: string;
  query: string;
}

export function verdictRows(checks: readonly StoredCheck[], options: { waves: number; attempts: number }): VerdictRow[] {
  return [...checks]
    .sort((a, b) => b.at.getTime() - a.at.getTime() || a.id.localeCompare(b.id))
    .map((c) => {
      const parts = [...(options.attempts > 1 ? [`attempt ${c.attempt}`] : []), `step ${c.step + 1}`, ...(options.waves > 1 ? [`wave ${c.wave + 1}`] : [])];
      const check = c.check;
      return {
        id: c.id,
        at: c.at,
        where: parts.join(" · "),
        check: check.kind === "metric" ? check.name : check.kind === "webhook" ? `${check.name} (${check.type} webhook)` : "error budget",
        scope: check.kind === "metric" ? (check.cluster ?? "all clusters") : "—",
        verdict: check.verdict,
        mode: check.kind === "metric" ? check.mode : "Blocking",
        numbers: checkSummary(check),
        effectSize: check.kind === "metric" ? (check.comparison?.effectSize ?? null) : null,
        warnings: check.kind === "metric" ? check.warnings : [],
        reason: check.reason,
        query: c.query,
      };
    });
}

/** Counts for the table's header: how many checks passed, failed, had no data. */
export function verdictCounts(rows: readonly VerdictRow[]): Record<VerdictRow["verdict"], number> {
  const out = { pass: 0, fail: 0, "no-data": 0, "no-slo": 0 };
  for (const r of rows) out[r.verdict]++;
  return out;
}
